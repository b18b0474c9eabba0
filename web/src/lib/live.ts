/** One RealtimeSession per open session page, and its events as React state. */
import { useEffect, useState } from "react";
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
} from "../../../src/client";
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
  comments: LiveComment[];
  /** The latest problem, as a sentence. */
  notice: string | null;
  /** Bumped by every event that changes what the activity feed would show. */
  activityTick: number;
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
  comments: [],
  notice: null,
  activityTick: 0,
};

const CLOSE_SENTENCES: Record<number, string> = {
  4401: "Your sign-in for this session expired. Reload the page to reconnect.",
  4403: "You no longer have access to this session.",
  4404: "This session does not exist any more.",
  4409: "You have this session open in too many tabs. Close one and reload.",
  4410: "This session has ended.",
  4429: "Too many changes too fast: the connection was closed. Reload to continue.",
};

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
            ? { notice: CLOSE_SENTENCES[event.code] ?? "The connection to the session closed." }
            : {}),
        }),
      ),
      realtime.on("role", ({ role, permissions }) => update((current) => ({ role, permissions, ...tick(current) }))),
      realtime.on("participants", (participants) => update((current) => ({ participants, ...tick(current) }))),
      realtime.on("presence", (presence) => update({ presence })),
      realtime.on("session_status", (status) => update((current) => ({ status, ...tick(current) }))),
      realtime.on("recording", (recording) => update((current) => ({ recording, ...tick(current) }))),
      realtime.on("comment", (comment) =>
        update((current) => ({
          comments: [...current.comments.filter((entry) => entry.id !== comment.id), comment],
          ...tick(current),
        })),
      ),
      realtime.on("error", (error) => update({ notice: friendlyMessage(error) })),
      realtime.on("lost_edits", () =>
        update({ notice: "Some of your latest changes could not be saved; the sheet now shows the shared version." }),
      ),
    ];
    realtime.connect().catch(() => {
      // The status listener has already turned a final refusal into a notice.
    });
    return () => {
      for (const off of unsubscribe) off();
      realtime.close();
    };
  }, [sessionId, enabled]);

  return state;
}
