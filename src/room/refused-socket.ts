/** A WebSocket upgrade answered only to be refused with a close code a browser can read. */
import type { ServerMessage } from "../domain/protocol";

/**
 * Accepts the server end plainly (never into a Durable Object's socket set, so it counts toward nothing and the
 * runtime releases it as soon as it is closed), announces the close with a `closing` message, and closes it.
 */
export function refusedSocket(code: number, reason: string): Response {
  const pair = new WebSocketPair();
  const server = pair[1];
  server.accept();
  const closing: ServerMessage = { type: "closing", code, reason };
  server.send(JSON.stringify(closing));
  server.close(code, reason);
  return new Response(null, { status: 101, webSocket: pair[0] });
}
