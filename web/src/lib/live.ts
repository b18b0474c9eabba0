/** One RealtimeSession per open session page, and its events as React state. */
import {
  friendlyMessage,
  type Participant,
  type Permission,
  type PresenceState,
  type RealtimeEvents,
  RealtimeSession,
  type Role,
  type SessionStatus,
  type StatusEvent,
} from "chordme-sessions/client";
import { useEffect, useRef, useState } from "react";
import { loadToken } from "./auth";

export type LiveComment = RealtimeEvents["comment"];

export interface LiveState {
  realtime: RealtimeSession | null;
  connection: StatusEvent | null;
  /** The first welcome has arrived: the text is the server's and edits may flow. */
  ready: boolean;
  role: Role | null;
  permissions: readonly Permission[];
  participants: readonly Participant[];
  presence: ReadonlyMap<string, PresenceState>;
  status: SessionStatus | undefined;
  recording: RealtimeEvents["recording"] | null;
  /** Who was last turned away because the session is full (told only to those who manage it). */
  turnedAway: RealtimeEvents["join_refused"] | null;
  comments: LiveComment[];
  /** The latest problem, as a sentence. */
  notice: string | null;
  /** Why the connection closed for good, as a sentence; null while it is open or may come back. */
  closedBecause: string | null;
  /** Bumped by every event that changes what the activity feed would show. */
  activityTick: number;
  /** Local edits the server has not acknowledged yet. */
  pendingEdits: number;
}

const INITIAL: LiveState = {
  realtime: null,
  connection: null,
  ready: false,
  role: null,
  permissions: [],
  participants: [],
  presence: new Map(),
  status: undefined,
  recording: null,
  turnedAway: null,
  comments: [],
  notice: null,
  closedBecause: null,
  activityTick: 0,
  pendingEdits: 0,
};

/** Why the server closed the connection for good, by close code (the SDK reconnects after any other). */
const CLOSE_SENTENCES: Record<number, string> = {
  4403: "You were removed from this session and no longer have access to it.",
  4404: "This session no longer exists.",
  4410: "This session has ended.",
  4429: "Disconnected: too many messages were sent too fast. Reload the page to reconnect.",
};

function closeSentence(code: number, status: SessionStatus | undefined): string {
  if (code === 4410 && status === "archived") return "This session has been archived.";
  return CLOSE_SENTENCES[code] ?? "The connection to the session closed.";
}

export function useLiveSession(sessionId: string, enabled: boolean): LiveState {
  const [state, setState] = useState<LiveState>(INITIAL);

  useEffect(() => {
    if (!enabled) return;
    const realtime = new RealtimeSession({
      baseUrl: window.location.origin,
      sessionId,
      getToken: () => loadToken() ?? "",
    });
    const update = (change: Partial<LiveState> | ((current: LiveState) => Partial<LiveState>)) =>
      setState((current) => ({ ...current, ...(typeof change === "function" ? change(current) : change) }));
    const tick = (current: LiveState) => ({ activityTick: current.activityTick + 1 });
    setState({ ...INITIAL, realtime });

    const unsubscribe = [
      realtime.on("status", (event) =>
        update({
          connection: event,
          ...(event.status === "connected"
            ? { ready: true, notice: null, status: realtime.session?.status ?? undefined }
            : {}),
          ...(event.status === "closed" && event.terminal
            ? { closedBecause: closeSentence(event.code, realtime.session?.status) }
            : {}),
        }),
      ),
      realtime.on("role", ({ role, permissions }) => update((current) => ({ role, permissions, ...tick(current) }))),
      realtime.on("participants", (participants) => update((current) => ({ participants, ...tick(current) }))),
      realtime.on("presence", (presence) => update({ presence })),
      realtime.on("session_status", (status) => update((current) => ({ status, ...tick(current) }))),
      realtime.on("recording", (recording) => update((current) => ({ recording, ...tick(current) }))),
      realtime.on("join_refused", (turnedAway) => update({ turnedAway })),
      realtime.on("comment", (comment) =>
        update((current) => ({
          comments: [...current.comments.filter((entry) => entry.id !== comment.id), comment],
          ...tick(current),
        })),
      ),
      realtime.on("error", (error) => update({ notice: friendlyMessage(error) })),
      realtime.on("pending", ({ count }) => update({ pendingEdits: count })),
      realtime.on("lost_edits", () =>
        update({ notice: "Some of your latest changes could not be saved; the sheet now shows the shared version." }),
      ),
    ];
    realtime.connect().catch(() => {
      // The status listener has already said why the connection closed for good.
    });
    // Back online or back in view: try again now rather than after the backoff. Gone offline: the socket may not
    // notice for a while, so let it go; edits made meanwhile wait and are sent once it is back.
    const retry = () => realtime.reconnectNow();
    const onVisible = () => {
      if (document.visibilityState === "visible") retry();
    };
    const onOffline = () => realtime.dropConnection("offline");
    window.addEventListener("online", retry);
    window.addEventListener("offline", onOffline);
    document.addEventListener("visibilitychange", onVisible);
    return () => {
      window.removeEventListener("online", retry);
      window.removeEventListener("offline", onOffline);
      document.removeEventListener("visibilitychange", onVisible);
      for (const off of unsubscribe) off();
      realtime.close();
    };
  }, [sessionId, enabled]);

  return state;
}

/** While `pending` edits are unsent, leaving or reloading the page asks first. */
export function useUnsentWarning(pending: number): void {
  useEffect(() => {
    if (pending === 0) return;
    const warn = (event: BeforeUnloadEvent) => {
      event.preventDefault();
      // Older browsers ask only when returnValue is set.
      event.returnValue = "";
    };
    window.addEventListener("beforeunload", warn);
    return () => window.removeEventListener("beforeunload", warn);
  }, [pending]);
}

/**
 * Everyone this page has seen in the session, by user id: the names of people who have left or were removed since,
 * for playing back a recording they appear in.
 */
export function useKnownNames(participants: readonly Participant[]): ReadonlyMap<string, string> {
  const known = useRef(new Map<string, string>());
  for (const participant of participants) known.current.set(participant.user_id, participant.display_name);
  return known.current;
}
