// Drives RealtimeSessions against the FakeServer under fake timers: construction, event recording, settling.
import { vi } from "vitest";
import { type RealtimeEvents, RealtimeSession, type RealtimeSessionOptions } from "../../src/client/realtime";
import { BASE_URL, type FakeServer, SESSION_ID } from "./fake-server";

/** The final close codes of CONTRACT.md §6: removed or no access, no such session, ended or archived, flooding. */
export const FINAL_CLOSE_CODES = [4403, 4404, 4410, 4429];

export function session(
  server: FakeServer,
  userId: string,
  options: Partial<RealtimeSessionOptions> = {},
): RealtimeSession {
  return new RealtimeSession({
    baseUrl: BASE_URL,
    sessionId: SESSION_ID,
    getToken: () => userId,
    connect: server.connect,
    fetch: server.fetch,
    // No jitter wait unless a test asks for one: reconnects happen on the next settle().
    random: () => 0,
    heartbeatMs: 0,
    ...options,
  });
}

export function record<K extends keyof RealtimeEvents>(target: RealtimeSession, event: K): RealtimeEvents[K][] {
  const seen: RealtimeEvents[K][] = [];
  target.on(event, (payload) => seen.push(payload));
  return seen;
}

/** Lets every queued frame, ticket request and zero-delay timer run, without moving the clock. */
export async function settle(): Promise<void> {
  for (let round = 0; round < 10; round++) await vi.advanceTimersByTimeAsync(0);
}

export async function connectAll(...sessions: RealtimeSession[]): Promise<void> {
  const ready = sessions.map((target) => target.connect());
  await settle();
  await Promise.all(ready);
}
