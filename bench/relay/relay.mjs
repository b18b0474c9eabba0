/**
 * A bare broadcast relay: one Durable Object per room accepts hibernatable WebSockets, numbers each op with a
 * revision counter, acks its sender and sends it to everyone else. No OT, no storage, no checks: what the runtime
 * does for a session when the service's own work is taken away. It speaks the subset of the session protocol the
 * benchmark uses (welcome, op → ack + op, ping → pong; anything else is read and ignored). Its welcome carries the benchmark's chord sheet, so joins move
 * as many bytes as the service's; the relay does not apply ops to it.
 *
 * `?store=1` on the first connection of a room makes it also insert every op into its SQLite table before acking,
 * as the service stores each op: the runtime's ceiling with storage, to tell storage cost from the rest.
 */
import { DurableObject } from "cloudflare:workers";
import { SONG } from "../lib/song.mjs";

export class RelayRoom extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    this.rev = 0;
    this.store = false;
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair('{"type":"ping"}', '{"type":"pong"}'));
  }

  async fetch(request) {
    const url = new URL(request.url);
    const userId = url.searchParams.get("user_id") ?? "anonymous";
    if (url.searchParams.get("store") === "1" && !this.store) {
      this.store = true;
      this.ctx.storage.sql.exec(
        "CREATE TABLE IF NOT EXISTS ops (rev INTEGER PRIMARY KEY, user_id TEXT NOT NULL, op TEXT NOT NULL, created_at TEXT NOT NULL)",
      );
    }
    const pair = new WebSocketPair();
    this.ctx.acceptWebSocket(pair[1]);
    pair[1].serializeAttachment({ user_id: userId });
    pair[1].send(JSON.stringify({ type: "welcome", you: { user_id: userId }, doc: { rev: this.rev, content: SONG } }));
    return new Response(null, { status: 101, webSocket: pair[0] });
  }

  async webSocketMessage(socket, raw) {
    const message = JSON.parse(raw);
    if (message.type !== "op") return;
    this.rev += 1;
    const rev = this.rev;
    const { user_id } = socket.deserializeAttachment();
    if (this.store) {
      this.ctx.storage.sql.exec(
        "INSERT INTO ops (rev, user_id, op, created_at) VALUES (?, ?, ?, ?)",
        rev,
        user_id,
        JSON.stringify(message.op),
        new Date().toISOString(),
      );
    }
    socket.send(JSON.stringify({ type: "ack", seq: message.seq, rev }));
    const text = JSON.stringify({ type: "op", rev, op: message.op, user_id });
    for (const other of this.ctx.getWebSockets()) {
      if (other === socket) continue;
      try {
        other.send(text);
      } catch {
        // closing
      }
    }
  }

  async webSocketClose(socket, code, reason) {
    try {
      socket.close(code === 1005 || code === 1006 ? 1000 : code, reason);
    } catch {
      // already closed
    }
  }
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const match = url.pathname.match(/^\/relay\/([A-Za-z0-9_-]{1,64})\/ws$/);
    if (!match) return new Response("relay: GET /relay/<room>/ws", { status: 404 });
    if (request.headers.get("Upgrade")?.toLowerCase() !== "websocket") return new Response("upgrade", { status: 426 });
    return env.RELAY_ROOM.get(env.RELAY_ROOM.idFromName(match[1])).fetch(request);
  },
};
