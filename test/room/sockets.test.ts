/** The session's sockets over a stand-in for the runtime's socket set: state, sending, closing announced first. */
import { describe, expect, it } from "vitest";
import type { SocketPort } from "../../src/room/ports";
import { type SocketState, Sockets, userTag } from "../../src/room/sockets";

/** Enough of a hibernatable WebSocket: an attachment, what was sent, and how it was closed. */
class StandInSocket {
  attachment: unknown = null;
  readonly sent: unknown[] = [];
  closedWith: [number, string] | null = null;

  serializeAttachment(value: unknown) {
    this.attachment = structuredClone(value);
  }
  deserializeAttachment() {
    return structuredClone(this.attachment);
  }
  send(text: string) {
    if (this.closedWith) throw new Error("closed");
    this.sent.push(JSON.parse(text));
  }
  close(code: number, reason: string) {
    this.closedWith = [code, reason];
  }
}

function socketSet() {
  const accepted: { socket: StandInSocket; tags: string[] }[] = [];
  const port: SocketPort = {
    acceptWebSocket: (socket, tags) => accepted.push({ socket: socket as unknown as StandInSocket, tags }),
    getWebSockets: (tag) =>
      accepted.filter((entry) => tag === undefined || entry.tags.includes(tag)).map((entry) => entry.socket) as never,
  };
  return { port, sockets: new Sockets(port) };
}

const stateOf = (userId: string, clientId = "tab"): SocketState => ({
  user_id: userId,
  client_id: clientId,
  connected_at: 0,
  tokens: 10,
  refilled_at: 0,
  strikes: 0,
  presence: { cursor: null, status: "active", sent_at: 0 },
});

function open(sockets: Sockets, userId: string, clientId = "tab"): StandInSocket {
  const socket = new StandInSocket();
  sockets.accept(socket as unknown as WebSocket, stateOf(userId, clientId));
  return socket;
}

describe("sockets", () => {
  it("tags each socket with its user and says who is online", () => {
    const { port, sockets } = socketSet();
    open(sockets, "ann");
    open(sockets, "ann", "phone");
    open(sockets, "bob");
    expect(port.getWebSockets(userTag("ann"))).toHaveLength(2);
    expect([...sockets.onlineUsers()].sort()).toEqual(["ann", "bob"]);
  });

  it("broadcasts to every open socket but the one excepted, and to those a rule includes", () => {
    const { sockets } = socketSet();
    const ann = open(sockets, "ann");
    const bob = open(sockets, "bob");
    sockets.broadcast({ type: "pong" }, ann as unknown as WebSocket);
    expect(ann.sent).toEqual([]);
    expect(bob.sent).toEqual([{ type: "pong" }]);
    sockets.sendWhere((userId) => userId === "ann", { type: "session_status", status: "paused" });
    expect(ann.sent).toEqual([{ type: "session_status", status: "paused" }]);
    expect(bob.sent).toHaveLength(1);
  });

  it("announces a close with `closing` before the close frame; the socket then counts for nothing, once", () => {
    const { sockets } = socketSet();
    const gone: string[] = [];
    sockets.onGone = (_socket, state) => gone.push(state.user_id);
    const ann = open(sockets, "ann");
    sockets.closeUser("ann", 4403, "You were removed from the session");
    expect(ann.sent).toEqual([{ type: "closing", code: 4403, reason: "You were removed from the session" }]);
    expect(ann.closedWith).toEqual([4403, "You were removed from the session"]);
    sockets.forget(ann as unknown as WebSocket);
    sockets.close(ann as unknown as WebSocket, 4410, "again");
    expect(gone).toEqual(["ann"]);
    expect(sockets.live("ann")).toEqual([]);
    expect(sockets.onlineUsers().size).toBe(0);
  });

  it("supersedes an older connection of the same client, not the user's other clients", () => {
    const { sockets } = socketSet();
    const older = open(sockets, "ann", "tab");
    const phone = open(sockets, "ann", "phone");
    const newer = open(sockets, "ann", "tab");
    sockets.supersede(newer as unknown as WebSocket, "ann", "tab");
    expect(older.closedWith?.[0]).toBe(4000);
    expect(phone.closedWith).toBeNull();
    expect(sockets.live("ann")).toEqual([phone, newer]);
  });

  it("keeps a socket's state in its attachment, which is what survives hibernation", () => {
    const { port, sockets } = socketSet();
    const ann = open(sockets, "ann");
    const state = sockets.stateOf(ann as unknown as WebSocket)!;
    state.presence = { cursor: { anchor: 1, head: 2 }, status: "idle", sent_at: 5 };
    sockets.keep(ann as unknown as WebSocket, state);
    const woken = new Sockets(port);
    expect(woken.presence()).toEqual([
      { user_id: "ann", cursor: { anchor: 1, head: 2 }, status: "idle", online: true },
    ]);
  });
});
