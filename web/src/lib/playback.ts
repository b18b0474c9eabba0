/**
 * A recording's events (CONTRACT "Recording and playback"; captured in src/room) as a player shows them: what
 * happened at each moment in words, and the session as it stood at a moment — who was there with which role,
 * where their carets were, the comments so far.
 */
import type { RecordingEvent, Role } from "chordme-sessions/client";
import { ROLE_LABELS } from "./words";

export type TimelineKind = "join" | "leave" | "role" | "remove" | "comment" | "status" | "connect";

export interface TimelineEntry {
  /** Milliseconds from the start of the recording. */
  t: number;
  kind: TimelineKind;
  text: string;
  /** A private event (a role change, a removal): only the leader and the person it is about see it. */
  private: boolean;
}

export interface PresenceAt {
  userId: string;
  cursor: { anchor: number; head: number } | null;
  status: string | null;
}

export interface MomentState {
  /** Edits (ops) applied up to the moment. */
  edits: number;
  /** People seen in the session up to the moment and not gone since, with the role they last had. */
  people: { userId: string; role: Role | null }[];
  /** The latest presence of each of them. */
  presence: PresenceAt[];
  comments: { t: number; userId: string | null; text: string }[];
  /** The status the session was last set to during the recording; null when it did not change. */
  status: string | null;
}

type Names = (userId: string | null) => string;

const SESSION_STATUS_WORDS: Record<string, string> = {
  active: "resumed the session",
  paused: "paused the session",
  ended: "ended the session",
  archived: "archived the session",
};

interface EventData {
  role?: unknown;
  user_id?: unknown;
  text?: unknown;
  status?: unknown;
  cursor?: unknown;
}

const data = (event: RecordingEvent): EventData => (event.data ?? {}) as EventData;
const roleWord = (role: unknown) =>
  typeof role === "string" && role in ROLE_LABELS ? ROLE_LABELS[role as Role].toLowerCase() : String(role);

/** One event in words, or null for the ones a timeline does not list (edits and caret moves). */
export function describeEvent(event: RecordingEvent, nameOf: Names): TimelineEntry | null {
  const who = nameOf(event.user_id);
  const about = typeof data(event).user_id === "string" ? nameOf(data(event).user_id as string) : "someone";
  const entry = (kind: TimelineKind, text: string): TimelineEntry => ({
    t: event.t,
    kind,
    text,
    private: event.private === true,
  });
  switch (event.type) {
    case "user_joined":
      return entry("join", `${who} joined as ${roleWord(data(event).role)}`);
    case "user_left":
      return entry("leave", `${who} left`);
    case "role_changed":
      return entry("role", `${who} made ${about} ${roleWord(data(event).role)}`);
    case "participant_removed":
      return entry("remove", `${who} removed ${about}`);
    case "comment":
      return entry("comment", `${who} commented: “${String(data(event).text ?? "")}”`);
    case "session_status": {
      const status = String(data(event).status ?? "");
      const words = SESSION_STATUS_WORDS[status] ?? `set the session to ${status}`;
      return entry("status", event.user_id ? `${who} ${words}` : `The session was ${status} automatically`);
    }
    case "connected":
      return entry("connect", `${who} opened the session`);
    default:
      return null;
  }
}

export function timelineOf(events: readonly RecordingEvent[], nameOf: Names): TimelineEntry[] {
  return events.flatMap((event) => describeEvent(event, nameOf) ?? []);
}

/** The session as the events up to `atMs` (inclusive) leave it. */
export function stateAt(events: readonly RecordingEvent[], atMs: number): MomentState {
  const people = new Map<string, Role | null>();
  const presence = new Map<string, PresenceAt>();
  const comments: MomentState["comments"] = [];
  let edits = 0;
  let status: string | null = null;
  const seen = (userId: string | null) => {
    if (userId && !people.has(userId)) people.set(userId, null);
  };
  for (const event of events) {
    if (event.t > atMs) break;
    const details = data(event);
    switch (event.type) {
      case "op":
        edits += 1;
        seen(event.user_id);
        break;
      case "user_joined":
        if (event.user_id) people.set(event.user_id, (details.role as Role) ?? null);
        break;
      case "role_changed":
        if (typeof details.user_id === "string") people.set(details.user_id, details.role as Role);
        break;
      case "user_left":
        if (event.user_id) {
          people.delete(event.user_id);
          presence.delete(event.user_id);
        }
        break;
      case "participant_removed":
        if (typeof details.user_id === "string") {
          people.delete(details.user_id);
          presence.delete(details.user_id);
        }
        break;
      case "comment":
        seen(event.user_id);
        comments.push({ t: event.t, userId: event.user_id, text: String(details.text ?? "") });
        break;
      case "session_status":
        status = String(details.status ?? "") || null;
        break;
      case "connected":
        seen(event.user_id);
        break;
      case "presence":
        if (event.user_id) {
          seen(event.user_id);
          const cursor = details.cursor as PresenceAt["cursor"] | undefined;
          presence.set(event.user_id, {
            userId: event.user_id,
            cursor: cursor ?? null,
            status: typeof details.status === "string" ? details.status : null,
          });
        }
        break;
    }
  }
  return {
    edits,
    people: [...people].map(([userId, role]) => ({ userId, role })),
    presence: [...presence.values()],
    comments,
    status,
  };
}
