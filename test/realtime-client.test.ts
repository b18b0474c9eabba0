import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  RealtimeError,
  type RealtimeEvents,
  RealtimeSession,
  type RealtimeSessionOptions,
  type WebSocketLike,
} from "../src/client/realtime";
import { applyOp, checkOpAgainst, parseOp, rebase, type TextOp } from "../src/domain/ot";
import { DEFAULT_PERMISSION_MAP, type Permission, permissionsOf, type Role } from "../src/domain/permissions";
import type { ClientMessage, Comment, MissedOp, PresenceState, ServerMessage } from "../src/domain/protocol";
import type { Participant, SessionView } from "../src/domain/schemas";
import { parseClientMessage } from "../src/room/messages";

const SESSION_ID = "6f1c2a54-8d0e-4b7f-9a3c-2e5d7b9f1a20";
const BASE_URL = "https://sessions.test";
const NOW = "2025-01-01T00:00:00.000Z";
/** The final close codes of CONTRACT.md §6: removed or no access, no such session, ended or archived, flooding. */
const FINAL_CLOSE_CODES = [4403, 4404, 4410, 4429];

type Delivery = "deliver" | "hold" | "drop";

/** One end of an in-memory WebSocket pair; frames reach the other end in a later microtask, in order. */
class FakeSocket implements WebSocketLike {
  readyState = 1;
  peer!: FakeSocket;
  /** What happens to the frames this end sends: delivered, held until release(), or lost on the way. */
  outgoing: Delivery = "deliver";
  /** The close of this connection is delivered late, whichever end starts it (see lingerClose). */
  #lingering = false;
  readonly #held: string[] = [];
  readonly #listeners = new Map<string, Set<(event: any) => void>>();

  static pair(): [FakeSocket, FakeSocket] {
    const one = new FakeSocket();
    const other = new FakeSocket();
    one.peer = other;
    other.peer = one;
    return [one, other];
  }

  addEventListener(type: string, listener: (event: any) => void): void {
    const listeners = this.#listeners.get(type) ?? new Set();
    listeners.add(listener);
    this.#listeners.set(type, listeners);
  }

  send(data: string): void {
    if (this.readyState !== 1) throw new Error("The socket is not open");
    if (this.outgoing === "drop") return;
    if (this.outgoing === "hold") this.#held.push(data);
    else queueMicrotask(() => this.peer.#receive(data));
  }

  release(): void {
    this.outgoing = "deliver";
    for (const data of this.#held.splice(0)) queueMicrotask(() => this.peer.#receive(data));
  }

  /** A clean close from this end: frames already on their way still reach the peer. */
  close(code = 1000, reason = ""): void {
    if (this.readyState !== 1) return;
    this.readyState = 2;
    if (this.#lingering) return;
    queueMicrotask(() => {
      for (const end of [this, this.peer]) {
        end.readyState = 3;
        end.#dispatch("close", { code, reason });
      }
    });
  }

  /**
   * A close from this end that the runtime delivers only after `delayMs`, to both ends, with this end's code: the
   * way workerd keeps a connection the server closed. A close from the other end meanwhile changes nothing.
   */
  lingerClose(code: number, reason: string, delayMs: number): void {
    if (this.readyState !== 1) return;
    this.readyState = 2;
    this.#lingering = true;
    this.peer.#lingering = true;
    setTimeout(() => {
      for (const end of [this, this.peer]) {
        end.readyState = 3;
        end.#dispatch("close", { code, reason });
      }
    }, delayMs);
  }

  /** The connection is lost: both ends see `code` (1006 by default) and whatever was on the wire is gone. */
  abort(code = 1006): void {
    if (this.readyState === 3) return;
    this.readyState = 3;
    this.peer.readyState = 3;
    queueMicrotask(() => {
      this.#dispatch("close", { code, reason: "" });
      this.peer.#dispatch("close", { code, reason: "" });
    });
  }

  #receive(data: string): void {
    if (this.readyState === 1) this.#dispatch("message", { data });
  }

  #dispatch(type: string, event: object): void {
    for (const listener of this.#listeners.get(type) ?? []) listener(event);
  }
}

interface Connection {
  /** The server's end; `socket.peer` is the end the client holds. */
  socket: FakeSocket;
  userId: string;
  clientId: string;
}

type LoggedOp = MissedOp & { op: TextOp };

/**
 * The session object's realtime behaviour, reduced: single-use tickets, welcome with `missed` or `resync`, ops
 * deduplicated by (client_id, seq), rebased, checked and applied, acks to the author and ops to everyone else,
 * presence and comments relayed, ping answered.
 */
class FakeServer {
  text: string;
  readonly log: LoggedOp[] = [];
  /** Revisions up to this one are no longer kept: an older since_rev gets `resync`. */
  keptFrom = 0;
  answerPings = true;
  /** Close codes for the next connections, used right after the upgrade (1006: the connection drops). */
  readonly refuseNext: number[] = [];
  /** Each close the server starts is announced with `closing` and reaches the client only this much later. */
  announceClosesMs: number | null = null;
  /** Error codes for the next ops, sent instead of applying them. */
  readonly failNextOps: string[] = [];
  /** How many of the next messages to drop for flooding, answering each with an error that names no seq. */
  rateLimitNext = 0;
  /** How many of the next connections get no welcome. */
  withholdWelcomes = 0;
  /** Refusals for the next ticket requests. */
  readonly ticketRefusals: { status: number; code: string }[] = [];
  readonly comments: Comment[] = [];
  readonly frames: { clientId: string; message: ClientMessage }[] = [];
  readonly urls: URL[] = [];
  readonly ticketTimes: number[] = [];
  readonly roles: Map<string, Role>;
  readonly connections = new Set<Connection>();
  readonly presence = new Map<string, PresenceState>();
  readonly #tickets = new Map<string, string>();
  readonly #applied = new Map<string, number>();
  #ticketCount = 0;

  constructor(text: string, roles: Record<string, Role>) {
    this.text = text;
    this.roles = new Map(Object.entries(roles));
  }

  get rev(): number {
    return this.log.length;
  }

  fetch: typeof fetch = async (input, init) => {
    this.ticketTimes.push(Date.now());
    const url = new URL(input instanceof Request ? input.url : String(input));
    if (init?.method !== "POST" || url.pathname !== `/api/v1/sessions/${SESSION_ID}/ticket`) {
      return Response.json({ status: "error", error: { code: "NOT_FOUND", message: "No route" } }, { status: 404 });
    }
    const refusal = this.ticketRefusals.shift();
    if (refusal) {
      const error = { code: refusal.code, message: `Refused: ${refusal.code}` };
      return Response.json({ status: "error", error }, { status: refusal.status });
    }
    const userId = new Headers(init.headers).get("Authorization")?.replace(/^Bearer /, "") ?? "";
    if (!this.roles.has(userId)) {
      return Response.json(
        { status: "error", error: { code: "FORBIDDEN", message: "Not a participant" } },
        { status: 403 },
      );
    }
    const ticket = `ticket-${++this.#ticketCount}`;
    this.#tickets.set(ticket, userId);
    return Response.json({
      status: "success",
      data: {
        ticket,
        expires_at: new Date(Date.now() + 60_000).toISOString(),
        ws_url: `wss://sessions.test/api/v1/sessions/${SESSION_ID}/ws?ticket=${ticket}`,
      },
    });
  };

  connect = (raw: string): WebSocketLike => {
    const url = new URL(raw);
    this.urls.push(url);
    const [client, server] = FakeSocket.pair();
    const ticket = url.searchParams.get("ticket") ?? "";
    const userId = this.#tickets.get(ticket);
    this.#tickets.delete(ticket);
    const refusal = userId === undefined ? 4401 : this.refuseNext.shift();
    if (refusal === 1006) server.abort();
    else if (refusal !== undefined) this.close(server, refusal, "refused");
    if (userId === undefined || refusal !== undefined) return client;
    const connection: Connection = { socket: server, userId, clientId: url.searchParams.get("client_id") ?? "" };
    this.connections.add(connection);
    server.addEventListener("message", (event: { data: string }) => this.#onMessage(connection, event.data));
    server.addEventListener("close", () => {
      this.connections.delete(connection);
      if (![...this.connections].some((other) => other.userId === userId)) {
        this.presence.delete(userId);
        this.#broadcast({ type: "presence", user_id: userId, cursor: null, status: "away", online: false });
      }
    });
    const since = url.searchParams.get("since_rev");
    if (this.withholdWelcomes > 0) this.withholdWelcomes--;
    else this.#send(connection, this.#welcome(connection, since === null ? null : Number(since)));
    this.#broadcast({ type: "presence", user_id: userId, cursor: null, status: "active", online: true }, connection);
    return client;
  };

  /** Closes a connection from the server's end, announced first when announceClosesMs says so. */
  close(socket: FakeSocket, code: number, reason: string): void {
    if (this.announceClosesMs === null) {
      socket.close(code, reason);
      return;
    }
    socket.send(JSON.stringify({ type: "closing", code, reason } satisfies ServerMessage));
    socket.lingerClose(code, reason, this.announceClosesMs);
  }

  connection(clientId: string): Connection {
    const found = [...this.connections].find((connection) => connection.clientId === clientId);
    if (!found) throw new Error(`${clientId} is not connected`);
    return found;
  }

  opsFrom(clientId: string): { seq: number; rev: number; op: unknown }[] {
    return this.frames.flatMap(({ clientId: from, message }) =>
      from === clientId && message.type === "op" ? [{ seq: message.seq, rev: message.rev, op: message.op }] : [],
    );
  }

  framesFrom(clientId: string, type: ClientMessage["type"]): ClientMessage[] {
    return this.frames
      .filter((frame) => frame.clientId === clientId && frame.message.type === type)
      .map((f) => f.message);
  }

  setRole(userId: string, role: Role): void {
    this.roles.set(userId, role);
    this.#broadcast({ type: "role_changed", user_id: userId, role, permissions: this.#permissions(userId) });
  }

  #permissions(userId: string): Permission[] {
    return permissionsOf(this.roles.get(userId) ?? null, DEFAULT_PERMISSION_MAP);
  }

  #welcome(connection: Connection, sinceRev: number | null): ServerMessage {
    const resync = sinceRev !== null && (sinceRev < this.keptFrom || sinceRev > this.rev);
    return {
      type: "welcome",
      session: sessionView(),
      you: {
        user_id: connection.userId,
        role: this.roles.get(connection.userId)!,
        permissions: this.#permissions(connection.userId),
        color: "#e11d48",
        client_id: connection.clientId,
        last_seq: Math.max(
          0,
          ...this.log
            .filter((entry) => entry.user_id === connection.userId && entry.client_id === connection.clientId)
            .map((entry) => entry.seq),
        ),
      },
      doc: { rev: this.rev, content: this.text },
      participants: [...this.roles].map(([userId, role]) => participant(userId, role)),
      presence: [...this.presence.values()],
      comments: [...this.comments],
      ...(sinceRev === null ? {} : resync ? { resync: true } : { missed: this.log.slice(sinceRev) }),
    };
  }

  #onMessage(connection: Connection, data: string): void {
    const message = parseClientMessage(data);
    if ("error" in message) throw new Error(`The client sent an invalid frame: ${data}`);
    if (this.rateLimitNext > 0) {
      this.rateLimitNext--;
      this.#send(connection, { type: "error", code: "RATE_LIMITED", message: "Slow down" });
      return;
    }
    this.frames.push({ clientId: connection.clientId, message });
    if (message.type === "op") this.#onOp(connection, message);
    else if (message.type === "presence") {
      const state = {
        user_id: connection.userId,
        cursor: message.cursor,
        status: message.status ?? "active",
        online: true,
      };
      this.presence.set(connection.userId, state);
      this.#broadcast({ type: "presence", ...state }, connection);
    } else if (message.type === "comment") {
      const comment = {
        id: this.comments.length + 1,
        user_id: connection.userId,
        text: message.text,
        anchor: message.anchor ?? null,
        rev: this.rev,
        created_at: NOW,
      };
      this.comments.push(comment);
      this.#broadcast({ type: "comment", comment });
    } else if (this.answerPings) this.#send(connection, { type: "pong" });
  }

  #onOp(connection: Connection, message: Extract<ClientMessage, { type: "op" }>): void {
    const key = `${connection.clientId}:${message.seq}`;
    const appliedAt = this.#applied.get(key);
    if (appliedAt !== undefined) {
      this.#send(connection, { type: "ack", seq: message.seq, rev: appliedAt });
      return;
    }
    const refusal = this.#apply(connection, message);
    if (refusal) this.#send(connection, { type: "error", ...refusal, seq: message.seq });
  }

  /** Sequences an op, or says why it may not be. */
  #apply(
    connection: Connection,
    message: Extract<ClientMessage, { type: "op" }>,
  ): { code: string; message: string } | null {
    if (!this.#permissions(connection.userId).includes("edit"))
      return { code: "FORBIDDEN", message: "No edit permission" };
    const failure = this.failNextOps.shift();
    if (failure) return { code: failure, message: `Refused: ${failure}` };
    if (message.rev < this.keptFrom || message.rev > this.rev)
      return { code: "RESYNC_REQUIRED", message: "Unknown base rev" };
    const parsed = parseOp(message.op);
    if (!parsed.ok) return { code: parsed.code, message: parsed.message };
    const op = rebase(
      parsed.op,
      this.log.slice(message.rev).map((entry) => entry.op),
    );
    const problem = checkOpAgainst(this.text, op);
    if (problem) return problem;
    this.text = applyOp(this.text, op);
    const rev = this.rev + 1;
    this.log.push({ rev, op, user_id: connection.userId, client_id: connection.clientId, seq: message.seq });
    this.#applied.set(`${connection.clientId}:${message.seq}`, rev);
    this.#send(connection, { type: "ack", seq: message.seq, rev });
    this.#broadcast({ type: "op", rev, op, user_id: connection.userId }, connection);
    return null;
  }

  #send(connection: Connection, message: ServerMessage): void {
    if (connection.socket.readyState === 1) connection.socket.send(JSON.stringify(message));
  }

  #broadcast(message: ServerMessage, except?: Connection): void {
    for (const connection of this.connections) if (connection !== except) this.#send(connection, message);
  }
}

function sessionView(): SessionView {
  return {
    id: SESSION_ID,
    song_id: 1,
    template_id: null,
    owner_id: "alice",
    name: "Friday rehearsal",
    description: null,
    access_mode: "invite-only",
    status: "active",
    max_participants: 8,
    participant_count: 3,
    online_count: 1,
    is_recording: false,
    default_role: "viewer",
    settings: {},
    created_at: NOW,
    updated_at: NOW,
    started_at: NOW,
    ended_at: null,
    last_activity_at: NOW,
    user_role: null,
    permissions: [],
    participants: [],
  };
}

function participant(userId: string, role: Role): Participant {
  return {
    user_id: userId,
    display_name: userId,
    role,
    status: "active",
    color: "#2563eb",
    online: true,
    joined_at: NOW,
    last_seen_at: null,
    contribution_count: 0,
    total_time_seconds: 0,
    invited_by: null,
  };
}

function session(server: FakeServer, userId: string, options: Partial<RealtimeSessionOptions> = {}): RealtimeSession {
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

function record<K extends keyof RealtimeEvents>(target: RealtimeSession, event: K): RealtimeEvents[K][] {
  const seen: RealtimeEvents[K][] = [];
  target.on(event, (payload) => seen.push(payload));
  return seen;
}

/** Lets every queued frame, ticket request and zero-delay timer run, without moving the clock. */
async function settle(): Promise<void> {
  for (let round = 0; round < 10; round++) await vi.advanceTimersByTimeAsync(0);
}

async function connectAll(...sessions: RealtimeSession[]): Promise<void> {
  const ready = sessions.map((target) => target.connect());
  await settle();
  await Promise.all(ready);
}

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(() => {
  vi.useRealTimers();
});

describe("RealtimeSession editing", () => {
  it("connects with a ticket and its client id, then gets each edit acknowledged, one op in flight", async () => {
    const server = new FakeServer("Amazing grace", { alice: "owner" });
    const alice = session(server, "alice", { clientId: "tab-1" });
    const statuses = record(alice, "status");
    await connectAll(alice);
    expect(statuses.map((event) => event.status)).toEqual(["connecting", "connected"]);
    expect(server.urls[0]?.searchParams.get("client_id")).toBe("tab-1");
    expect(server.urls[0]?.searchParams.has("since_rev")).toBe(false);
    expect(alice.text).toBe("Amazing grace");
    expect(alice.role).toBe("owner");
    expect(alice.permissions).toContain("edit");

    server.connection("tab-1").socket.outgoing = "hold";
    alice.insert(0, "[G]");
    alice.insert(11, "[C]");
    await settle();
    expect(alice.text).toBe("[G]Amazing [C]grace");
    expect(server.opsFrom("tab-1")).toEqual([{ seq: 1, rev: 0, op: ["[G]"] }]);
    expect(alice.synchronized).toBe(false);

    server.connection("tab-1").socket.release();
    await settle();
    expect(server.opsFrom("tab-1")).toEqual([
      { seq: 1, rev: 0, op: ["[G]"] },
      { seq: 2, rev: 1, op: [11, "[C]"] },
    ]);
    expect(server.text).toBe("[G]Amazing [C]grace");
    expect(alice.rev).toBe(2);
    expect(alice.synchronized).toBe(true);
  });

  it("transforms a remote op over a local edit the server has not acknowledged yet", async () => {
    const server = new FakeServer("Amazing grace", { alice: "owner", bob: "editor" });
    const alice = session(server, "alice");
    const bob = session(server, "bob");
    await connectAll(alice, bob);
    const texts = record(alice, "text");

    server.connection(alice.clientId).socket.peer.outgoing = "hold";
    alice.insert(0, "[G]");
    bob.insert(8, "[C]");
    await settle();
    expect(texts.at(-1)).toEqual({ text: "[G]Amazing [C]grace", op: [11, "[C]"], origin: "remote" });
    expect(alice.rev).toBe(1);

    server.connection(alice.clientId).socket.peer.release();
    await settle();
    expect(server.text).toBe("[G]Amazing [C]grace");
    expect(server.log.map((entry) => entry.op)).toEqual([[8, "[C]"], ["[G]"]]);
    expect(bob.text).toBe(server.text);
    expect(alice.text).toBe(server.text);
    expect([alice.rev, bob.rev]).toEqual([2, 2]);
  });

  it("keeps two clients converging through concurrent edits in every part of Unicode", async () => {
    const server = new FakeServer("[C]Let it 😀 be, 中 ", { alice: "owner", bob: "editor" });
    const clients = [session(server, "alice"), session(server, "bob")];
    await connectAll(...clients);
    let seed = 7;
    const next = (bound: number) => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed % bound;
    };
    const tokens = ["a", "[G]", "é", "e\u0301", "👍🏽", "👩‍👩‍👧", "和", "\n"];
    for (let step = 0; step < 60; step++) {
      const target = clients[next(2)]!;
      const length = Array.from(target.text).length;
      const position = next(length + 1);
      if (next(3) === 0 && position < length) target.delete(position, 1 + next(Math.min(3, length - position)));
      else target.insert(position, tokens[next(tokens.length)]!);
      if (next(4) === 0) await settle();
    }
    await settle();
    expect(server.log.length).toBeGreaterThan(10);
    for (const target of clients) {
      expect(target.text).toBe(server.text);
      expect(target.rev).toBe(server.rev);
      expect(target.synchronized).toBe(true);
    }
  });

  it("makes local edits throw once the role loses `edit`, and accepts them again when it comes back", async () => {
    const server = new FakeServer("Let it be", { alice: "owner", bob: "editor" });
    const alice = session(server, "alice");
    const bob = session(server, "bob");
    await connectAll(alice, bob);
    const roles = record(bob, "role");
    const aliceRoles = record(alice, "role");

    server.setRole("bob", "viewer");
    await settle();
    expect(roles).toEqual([{ role: "viewer", permissions: ["read"] }]);
    expect(bob.role).toBe("viewer");
    expect(aliceRoles).toEqual([]);
    expect(alice.participants.find((entry) => entry.user_id === "bob")?.role).toBe("viewer");
    expect(() => bob.insert(0, "x")).toThrow(RealtimeError);
    expect(() => bob.applyLocal([{ d: 3 }])).toThrow(expect.objectContaining({ code: "FORBIDDEN" }));
    expect(bob.text).toBe("Let it be");
    await settle();
    expect(server.opsFrom(bob.clientId)).toEqual([]);

    server.setRole("bob", "editor");
    await settle();
    bob.insert(9, "!");
    await settle();
    expect(server.text).toBe("Let it be!");
  });

  it("refuses edits before the first welcome, and client ids the server would refuse", () => {
    const server = new FakeServer("", { alice: "owner" });
    const alice = session(server, "alice");
    expect(alice.clientId).toMatch(/^[0-9a-f-]{36}$/);
    expect(() => alice.insert(0, "x")).toThrow(expect.objectContaining({ code: "NOT_CONNECTED" }));
    expect(() => session(server, "alice", { clientId: "tab 1" })).toThrow(TypeError);
  });

  it("announces each comment once, those posted while it was away included", async () => {
    const server = new FakeServer("Let it be", { alice: "owner", bob: "editor" });
    const alice = session(server, "alice");
    const bob = session(server, "bob", { backoff: { initialMs: 1_000, maxMs: 1_000 }, random: () => 1 });
    await connectAll(alice, bob);
    const comments = record(bob, "comment");
    alice.comment("one");
    await settle();
    server.connection(bob.clientId).socket.abort();
    await settle();
    expect(bob.status).toBe("reconnecting");
    alice.comment("two");
    await settle();
    await vi.advanceTimersByTimeAsync(1_000);
    await settle();
    expect(bob.status).toBe("connected");
    expect(comments.map((comment) => comment.text)).toEqual(["one", "two"]);
    expect(bob.comments.map((comment) => comment.id)).toEqual([1, 2]);
  });

  it("sends comments and delivers everyone's comments as events", async () => {
    const server = new FakeServer("Let it be", { alice: "owner", carol: "viewer" });
    const alice = session(server, "alice");
    const carol = session(server, "carol");
    await connectAll(alice, carol);
    const comments = record(carol, "comment");
    alice.comment("Slower here", { from: 0, to: 3 });
    await settle();
    expect(comments).toEqual([
      expect.objectContaining({ user_id: "alice", text: "Slower here", anchor: { from: 0, to: 3 } }),
    ]);
    expect(() => carol.comment("me too")).toThrow(expect.objectContaining({ code: "FORBIDDEN" }));
    expect(() => alice.comment("   ")).toThrow(expect.objectContaining({ code: "INVALID_COMMENT" }));
  });
});

describe("RealtimeSession reconnecting", () => {
  it("takes a lost ack from `missed` after reconnecting with since_rev, and never applies the op twice", async () => {
    const server = new FakeServer("Let it be", { alice: "owner", bob: "editor" });
    const alice = session(server, "alice");
    const bob = session(server, "bob");
    await connectAll(alice, bob);
    const lost = record(alice, "lost_edits");

    server.connection(alice.clientId).socket.outgoing = "drop";
    alice.insert(9, " [C]");
    await settle();
    expect(server.log).toHaveLength(1);
    expect(alice.synchronized).toBe(false);
    bob.insert(0, "[G]");
    await settle();
    alice.insert(0, "♪ ");
    server.connection(alice.clientId).socket.abort();
    await settle();

    const resumed = server.urls.at(-1)!;
    expect(resumed.searchParams.get("since_rev")).toBe("0");
    expect(resumed.searchParams.get("client_id")).toBe(alice.clientId);
    expect(server.opsFrom(alice.clientId).map((frame) => frame.seq)).toEqual([1, 2]);
    expect(server.opsFrom(alice.clientId)[1]).toEqual({ seq: 2, rev: 2, op: [3, "♪ "] });
    expect(server.text).toBe("[G]♪ Let it be [C]");
    expect(server.log).toHaveLength(3);
    expect(alice.text).toBe(server.text);
    expect(bob.text).toBe(server.text);
    expect(alice.rev).toBe(3);
    expect(alice.synchronized).toBe(true);
    expect(lost).toEqual([]);
  });

  it("resends an op the server never received, with the same seq, and it is applied once", async () => {
    const server = new FakeServer("Let it be", { alice: "owner" });
    const alice = session(server, "alice");
    await connectAll(alice);
    const statuses = record(alice, "status");

    server.connection(alice.clientId).socket.peer.outgoing = "drop";
    alice.insert(0, "[G]");
    await settle();
    expect(server.log).toHaveLength(0);
    server.connection(alice.clientId).socket.abort();
    await settle();

    expect(statuses.map((event) => event.status)).toEqual(["reconnecting", "connecting", "connected"]);
    expect(statuses[0]).toMatchObject({ code: 1006, attempt: 1 });
    expect(server.urls.at(-1)?.searchParams.get("since_rev")).toBe("0");
    expect(server.opsFrom(alice.clientId)).toEqual([{ seq: 1, rev: 0, op: ["[G]"] }]);
    expect(server.text).toBe("[G]Let it be");
    expect(server.log).toHaveLength(1);
    expect(alice.text).toBe(server.text);
    expect(alice.synchronized).toBe(true);
  });

  it.each(FINAL_CLOSE_CODES)("stops for good on close code %i", async (code) => {
    const server = new FakeServer("Let it be", { alice: "owner" });
    const alice = session(server, "alice");
    await connectAll(alice);
    const statuses = record(alice, "status");
    server.connection(alice.clientId).socket.close(code, "bye");
    await settle();
    await vi.advanceTimersByTimeAsync(10 * 60_000);
    expect(statuses).toEqual([{ status: "closed", code, reason: "bye", terminal: true }]);
    expect(server.ticketTimes).toHaveLength(1);
    expect(alice.status).toBe("closed");
  });

  it("rejects connect() when the first connection is refused for good", async () => {
    const server = new FakeServer("Let it be", { alice: "owner" });
    server.refuseNext.push(4404);
    const alice = session(server, "alice");
    const ready = alice.connect();
    await settle();
    await expect(ready).rejects.toMatchObject({ code: "CLOSED", closeCode: 4404 });
    expect(server.ticketTimes).toHaveLength(1);
  });

  it("treats a refused ticket request as final", async () => {
    const server = new FakeServer("Let it be", { alice: "owner" });
    const mallory = session(server, "mallory");
    const errors = record(mallory, "error");
    const ready = mallory.connect();
    await settle();
    await expect(ready).rejects.toMatchObject({ closeCode: 4403 });
    expect(errors).toEqual([{ code: "FORBIDDEN", message: "Not a participant" }]);
    expect(server.urls).toHaveLength(0);
  });

  it.each([4401, 1006, 4409])(
    "reconnects after %i with a fresh ticket and exponential backoff with full jitter",
    async (code) => {
      const server = new FakeServer("Let it be", { alice: "owner" });
      const alice = session(server, "alice", { backoff: { initialMs: 100, maxMs: 1_000 }, random: () => 0.5 });
      await connectAll(alice);
      const statuses = record(alice, "status");
      server.refuseNext.push(code, code, code, code, code);
      const connection = server.connection(alice.clientId);
      if (code === 1006) connection.socket.abort();
      else connection.socket.close(code, "again");
      await settle();

      // Half of min(1000, 100 * 2^attempt): the ceiling doubles, then stays at the maximum.
      const expected = [50, 100, 200, 400, 500, 500];
      for (const delay of expected) {
        const tickets = server.ticketTimes.length;
        await vi.advanceTimersByTimeAsync(delay - 1);
        expect(server.ticketTimes).toHaveLength(tickets);
        await vi.advanceTimersByTimeAsync(1);
        await settle();
        expect(server.ticketTimes).toHaveLength(tickets + 1);
      }
      const delays = statuses.flatMap((event) => (event.status === "reconnecting" ? [event.delayMs] : []));
      expect(delays).toEqual(expected);
      expect(
        statuses
          .filter((event) => event.status === "reconnecting")
          .every((event) => "code" in event && event.code === code),
      ).toBe(true);
      expect(alice.status).toBe("connected");
      expect(new Set(server.urls.map((url) => url.searchParams.get("ticket"))).size).toBe(server.urls.length);

      // A welcome resets the backoff.
      server.connection(alice.clientId).socket.abort();
      await settle();
      expect(statuses.at(-1)).toMatchObject({ status: "reconnecting", delayMs: 50, attempt: 1 });
    },
  );

  it("keeps every delay within [0, maxMs) whatever the jitter", async () => {
    const server = new FakeServer("", { alice: "owner" });
    const alice = session(server, "alice", { backoff: { initialMs: 100, maxMs: 1_000 }, random: () => 0.999_999 });
    await connectAll(alice);
    const statuses = record(alice, "status");
    server.refuseNext.push(...Array.from({ length: 40 }, () => 1006));
    server.connection(alice.clientId).socket.abort();
    await settle();
    for (let second = 0; second < 60; second++) {
      await vi.advanceTimersByTimeAsync(1_000);
      await settle();
    }
    const delays = statuses.flatMap((event) => (event.status === "reconnecting" ? [event.delayMs] : []));
    expect(alice.status).toBe("connected");
    expect(delays.slice(0, 5)).toEqual([99, 199, 399, 799, 999]);
    expect(delays.length).toBeGreaterThan(40);
    expect(Math.max(...delays)).toBe(999);
  });

  it.each([
    [409, "TOO_MANY_CONNECTIONS", null],
    [401, "UNAUTHORIZED", null],
    [503, "UNAVAILABLE", null],
    [409, "SESSION_NOT_ACTIVE", 4410],
    [404, "NOT_FOUND", 4404],
  ])("after a ticket refusal %i %s, retries or stops (%s)", async (status, code, closeCode) => {
    const server = new FakeServer("Let it be", { alice: "owner" });
    server.ticketRefusals.push({ status, code });
    const getToken = vi.fn(() => "alice");
    const alice = session(server, "alice", { getToken });
    const errors = record(alice, "error");
    const ready = alice.connect();
    await settle();
    expect(errors).toEqual([{ code, message: `Refused: ${code}` }]);
    if (closeCode === null) {
      await ready;
      expect(server.ticketTimes).toHaveLength(2);
      expect(getToken).toHaveBeenCalledTimes(2);
    } else {
      await expect(ready).rejects.toMatchObject({ code: "CLOSED", closeCode });
      expect(alice.status).toBe("closed");
      expect(server.ticketTimes).toHaveLength(1);
    }
  });

  it("gives up a connection that never sends its welcome, and retries a token that could not be had", async () => {
    const server = new FakeServer("Let it be", { alice: "owner" });
    server.withholdWelcomes = 1;
    let tokenFails = true;
    const getToken = () => {
      if (tokenFails) {
        tokenFails = false;
        throw new Error("signed out");
      }
      return "alice";
    };
    const alice = session(server, "alice", { getToken, heartbeatMs: 1_000 });
    const statuses = record(alice, "status");
    const errors = record(alice, "error");
    const ready = alice.connect();
    await settle();
    expect(errors).toEqual([{ code: "TOKEN_UNAVAILABLE", message: "signed out" }]);
    expect(server.urls).toHaveLength(1);
    expect(alice.status).toBe("connecting");
    await vi.advanceTimersByTimeAsync(2_001);
    await settle();
    await ready;
    expect(statuses.map((event) => event.status)).toEqual([
      "connecting",
      "reconnecting",
      "connecting",
      "reconnecting",
      "connecting",
      "connected",
    ]);
    expect(server.urls).toHaveLength(2);
  });

  it("does not reconnect after close()", async () => {
    const server = new FakeServer("Let it be", { alice: "owner" });
    const alice = session(server, "alice");
    await connectAll(alice);
    const statuses = record(alice, "status");
    alice.close();
    await settle();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(statuses).toEqual([{ status: "closed", code: 1000, reason: "closed by client", terminal: false }]);
    expect(server.connections.size).toBe(0);
    expect(server.ticketTimes).toHaveLength(1);
  });

  it("drops a connection that stops answering pings, and resumes", async () => {
    const server = new FakeServer("Let it be", { alice: "owner" });
    const alice = session(server, "alice", { heartbeatMs: 1_000 });
    await connectAll(alice);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(server.framesFrom(alice.clientId, "ping").length).toBeGreaterThanOrEqual(4);
    expect(server.ticketTimes).toHaveLength(1);

    server.answerPings = false;
    const statuses = record(alice, "status");
    await vi.advanceTimersByTimeAsync(1_999);
    expect(statuses).toEqual([]);
    // A zero delay set inside a timer callback runs a millisecond later under fake timers.
    await vi.advanceTimersByTimeAsync(2);
    await settle();
    expect(statuses[0]).toMatchObject({ status: "reconnecting", code: 4000 });
    expect(alice.status).toBe("connected");
    expect(server.urls.at(-1)?.searchParams.get("since_rev")).toBe("0");
  });
});

/** How long workerd may keep a connection it closed before Node's `ws` sees the close. */
const LINGER_MS = 30_000;

describe("RealtimeSession when the server announces a close", () => {
  it.each(FINAL_CLOSE_CODES)("stops for good on `closing` %i at once, not when the close arrives", async (code) => {
    const server = new FakeServer("Let it be", { alice: "owner" });
    const alice = session(server, "alice");
    await connectAll(alice);
    const statuses = record(alice, "status");
    server.announceClosesMs = LINGER_MS;
    server.close(server.connection(alice.clientId).socket, code, "You were removed from the session");
    await settle();
    expect(statuses).toEqual([{ status: "closed", code, reason: "You were removed from the session", terminal: true }]);
    expect(alice.status).toBe("closed");

    // The close itself comes much later and changes nothing.
    await vi.advanceTimersByTimeAsync(LINGER_MS + 1);
    await settle();
    expect(statuses).toHaveLength(1);
    expect(server.ticketTimes).toHaveLength(1);
    expect(server.connections.size).toBe(0);
  });

  it.each([4409, 4401])("reconnects at once on `closing` %i, and only once", async (code) => {
    const server = new FakeServer("Let it be", { alice: "owner" });
    const alice = session(server, "alice");
    await connectAll(alice);
    const statuses = record(alice, "status");
    server.announceClosesMs = LINGER_MS;
    server.close(server.connection(alice.clientId).socket, code, "again");
    await settle();
    expect(statuses.map((event) => event.status)).toEqual(["reconnecting", "connecting", "connected"]);
    expect(statuses[0]).toMatchObject({ code, reason: "again", attempt: 1 });
    expect(server.ticketTimes).toHaveLength(2);

    await vi.advanceTimersByTimeAsync(LINGER_MS + 1);
    await settle();
    expect(statuses).toHaveLength(3);
    expect(server.ticketTimes).toHaveLength(2);
    expect(alice.status).toBe("connected");
    alice.insert(9, "!");
    await settle();
    expect(server.text).toBe("Let it be!");
  });

  it("acts on a `closing` that comes instead of a welcome", async () => {
    const server = new FakeServer("Let it be", { alice: "owner" });
    server.announceClosesMs = LINGER_MS;
    server.refuseNext.push(4409);
    const alice = session(server, "alice");
    const statuses = record(alice, "status");
    await connectAll(alice);
    expect(statuses.map((event) => event.status)).toEqual(["connecting", "reconnecting", "connecting", "connected"]);
    expect(statuses[1]).toMatchObject({ code: 4409, reason: "refused" });

    const refused = record(alice, "status");
    server.refuseNext.push(4404);
    server.connection(alice.clientId).socket.abort();
    await settle();
    expect(refused.at(-1)).toEqual({ status: "closed", code: 4404, reason: "refused", terminal: true });
  });

  it("starts over at once after `closing` 1009, reporting the op the server refused", async () => {
    const server = new FakeServer("Let it be", { alice: "owner" });
    const alice = session(server, "alice");
    await connectAll(alice);
    const lost = record(alice, "lost_edits");
    server.connection(alice.clientId).socket.peer.outgoing = "drop";
    alice.insert(0, "big");
    server.announceClosesMs = LINGER_MS;
    server.close(server.connection(alice.clientId).socket, 1009, "too big");
    await settle();
    expect(lost).toEqual([{ ops: [["big"]], text: "bigLet it be", reason: "MESSAGE_TOO_BIG" }]);
    expect(alice.text).toBe("Let it be");
    expect(alice.status).toBe("connected");
    await vi.advanceTimersByTimeAsync(LINGER_MS + 1);
    await settle();
    expect(lost).toHaveLength(1);
    expect(server.ticketTimes).toHaveLength(2);
  });
});

describe("RealtimeSession after a message dropped for flooding", () => {
  it("sends the op in flight again, and the server applies it once", async () => {
    const server = new FakeServer("Let it be", { alice: "owner" });
    const alice = session(server, "alice");
    await connectAll(alice);
    const errors = record(alice, "error");
    const lost = record(alice, "lost_edits");

    server.rateLimitNext = 1;
    alice.insert(0, "[G]");
    await settle();
    expect(errors).toEqual([{ code: "RATE_LIMITED", message: "Slow down" }]);
    expect(server.log).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(999);
    expect(server.opsFrom(alice.clientId)).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    await settle();
    expect(server.opsFrom(alice.clientId)).toEqual([{ seq: 1, rev: 0, op: ["[G]"] }]);
    expect(alice.synchronized).toBe(true);

    // When the dropped message was something else and the op had been applied, the resend only gets its ack again.
    const connection = server.connection(alice.clientId);
    connection.socket.outgoing = "drop";
    alice.insert(3, "[C]");
    await settle();
    connection.socket.outgoing = "deliver";
    connection.socket.send(JSON.stringify({ type: "error", code: "RATE_LIMITED", message: "Slow down" }));
    await settle();
    await vi.advanceTimersByTimeAsync(1_000);
    await settle();
    expect(server.opsFrom(alice.clientId).map((frame) => frame.seq)).toEqual([1, 2, 2]);
    expect(server.log).toHaveLength(2);
    expect(server.text).toBe("[G][C]Let it be");
    expect(alice.text).toBe(server.text);
    expect(alice.rev).toBe(2);
    expect(alice.synchronized).toBe(true);
    expect(lost).toEqual([]);
  });
});

describe("RealtimeSession starting over", () => {
  it("resyncs after an error for the op in flight and reports the lost edits", async () => {
    const server = new FakeServer("Amazing grace", { alice: "owner", bob: "editor" });
    const alice = session(server, "alice");
    const bob = session(server, "bob");
    await connectAll(alice, bob);
    const errors = record(alice, "error");
    const lost = record(alice, "lost_edits");
    const texts = record(alice, "text");

    server.failNextOps.push("DOCUMENT_TOO_LARGE");
    alice.insert(0, "[G]");
    alice.insert(3, "[D]");
    await settle();

    expect(errors).toEqual([{ code: "DOCUMENT_TOO_LARGE", message: "Refused: DOCUMENT_TOO_LARGE", seq: 1 }]);
    expect(lost).toEqual([{ ops: [["[G]"], [3, "[D]"]], text: "[G][D]Amazing grace", reason: "DOCUMENT_TOO_LARGE" }]);
    expect(server.urls.at(-1)?.searchParams.has("since_rev")).toBe(false);
    expect(texts.at(-1)).toEqual({ text: "Amazing grace", op: [{ d: "[G][D]" }], origin: "remote" });
    expect(alice.text).toBe("Amazing grace");
    expect(alice.synchronized).toBe(true);

    // The refused seq is not reused: the server would take a reused one for a duplicate.
    alice.insert(0, "[A]");
    await settle();
    expect(server.opsFrom(alice.clientId).map((frame) => frame.seq)).toEqual([1, 2]);
    expect(server.text).toBe("[A]Amazing grace");
    expect(bob.text).toBe(server.text);
  });

  it("ignores an error for an op that is no longer in flight", async () => {
    const server = new FakeServer("Amazing grace", { alice: "owner" });
    const alice = session(server, "alice");
    await connectAll(alice);
    const errors = record(alice, "error");
    const statuses = record(alice, "status");
    alice.insert(0, "x");
    await settle();
    server
      .connection(alice.clientId)
      .socket.send(
        JSON.stringify({ type: "error", code: "INVALID_OP", message: "late", seq: 1 } satisfies ServerMessage),
      );
    await settle();
    expect(errors).toHaveLength(1);
    expect(statuses).toEqual([]);
    expect(alice.text).toBe("xAmazing grace");
  });

  it("keeps an unsent edit when the server no longer has since_rev, and sends it with a new seq", async () => {
    const server = new FakeServer("Let it be", { alice: "owner", bob: "editor" });
    const alice = session(server, "alice");
    const bob = session(server, "bob");
    await connectAll(alice, bob);
    const lost = record(alice, "lost_edits");
    const resynced = record(alice, "resynced");

    const connection = server.connection(alice.clientId);
    connection.socket.outgoing = "drop";
    connection.socket.peer.outgoing = "drop";
    alice.insert(9, "!");
    bob.insert(0, "[G]");
    bob.insert(3, "[C]");
    await settle();
    server.keptFrom = 2;
    connection.socket.abort();
    await settle();

    expect(server.urls.at(-1)?.searchParams.get("since_rev")).toBe("0");
    expect(lost).toEqual([]);
    expect(resynced).toEqual([{ reason: "RESYNC", kept: [[15, "!"]], text: "[G][C]Let it be!" }]);
    // Seq 1 went out before the drop: the edit goes again as seq 2, so a late seq 1 could not count twice.
    expect(server.opsFrom(alice.clientId)).toEqual([{ seq: 2, rev: 2, op: [15, "!"] }]);
    expect(server.text).toBe("[G][C]Let it be!");
    expect(alice.text).toBe(server.text);
    expect(bob.text).toBe(server.text);
    expect(alice.rev).toBe(server.rev);
    expect(alice.synchronized).toBe(true);
  });

  it("starts over after the server closes with 1009", async () => {
    const server = new FakeServer("Let it be", { alice: "owner" });
    const alice = session(server, "alice");
    await connectAll(alice);
    const lost = record(alice, "lost_edits");
    server.connection(alice.clientId).socket.peer.outgoing = "drop";
    alice.insert(0, "big");
    server.connection(alice.clientId).socket.close(1009, "too big");
    await settle();
    expect(lost).toEqual([{ ops: [["big"]], text: "bigLet it be", reason: "MESSAGE_TOO_BIG" }]);
    expect(server.urls.at(-1)?.searchParams.has("since_rev")).toBe(false);
    expect(alice.text).toBe("Let it be");
    expect(alice.status).toBe("connected");
  });
});

/** Every `text` event turns the text before it into its own text. */
function expectChained(start: string, events: RealtimeEvents["text"][]): void {
  let text = start;
  for (const event of events) {
    expect(applyOp(text, event.op)).toBe(event.text);
    text = event.text;
  }
}

const occurrences = (text: string, part: string) => text.split(part).length - 1;

describe("RealtimeSession resyncing", () => {
  /** Alice loses her connection and stays away a second; the next attempt waits for the test. */
  async function disconnectAlice(server: FakeServer, alice: RealtimeSession): Promise<void> {
    server.connection(alice.clientId).socket.abort();
    await settle();
    expect(alice.status).toBe("reconnecting");
  }

  const slowBackoff = { backoff: { initialMs: 1_000, maxMs: 1_000 }, random: () => 0.999 };

  it("keeps edits typed while the server moved far ahead, and each reaches the server once", async () => {
    const start = "[C]Let it be\n[G]Speaking words of wisdom";
    const server = new FakeServer(start, { alice: "owner", bob: "editor" });
    const alice = session(server, "alice", slowBackoff);
    const bob = session(server, "bob");
    await connectAll(alice, bob);
    const texts = record(alice, "text");
    const lost = record(alice, "lost_edits");
    const resynced = record(alice, "resynced");

    await disconnectAlice(server, alice);
    alice.insert(0, "♪ ");
    alice.insert(alice.text.indexOf("\n"), " (x2)");
    alice.delete(alice.text.indexOf("words "), 6);
    expect(alice.text).toBe("♪ [C]Let it be (x2)\n[G]Speaking of wisdom");

    bob.insert(bob.text.indexOf("Speaking"), "[Am]");
    bob.delete(bob.text.indexOf("it "), 3);
    for (let line = 0; line < 30; line++) bob.insert(bob.text.length, `\n[F]line ${line}`);
    await settle();
    server.keptFrom = server.rev;
    await vi.advanceTimersByTimeAsync(1_000);
    await settle();

    const lines = Array.from({ length: 30 }, (_, line) => `\n[F]line ${line}`).join("");
    expect(server.text).toBe(`♪ [C]Let be (x2)\n[G][Am]Speaking of wisdom${lines}`);
    expect(alice.text).toBe(server.text);
    expect(bob.text).toBe(server.text);
    expect(alice.synchronized).toBe(true);
    expect(lost).toEqual([]);
    expect(resynced).toEqual([{ reason: "RESYNC", kept: expect.any(Array), text: expect.any(String) }]);
    expect(resynced[0]?.kept).toHaveLength(2);
    expect([
      occurrences(server.text, "♪"),
      occurrences(server.text, "(x2)"),
      occurrences(server.text, "words"),
    ]).toEqual([1, 1, 0]);
    // Seq 1 was in flight when the connection dropped and was never applied: the edits go again as new seqs.
    expect(server.opsFrom(alice.clientId).map((frame) => frame.seq)).toEqual([2, 3]);
    expect(server.log.filter((entry) => entry.client_id === alice.clientId).map((entry) => entry.seq)).toEqual([2, 3]);
    expectChained(start, texts);
  });

  it("does not apply again an op in flight the server applied before the drop (last_seq covers it)", async () => {
    const server = new FakeServer("Let it be", { alice: "owner", bob: "editor" });
    const alice = session(server, "alice", slowBackoff);
    const bob = session(server, "bob");
    await connectAll(alice, bob);
    const lost = record(alice, "lost_edits");
    const resynced = record(alice, "resynced");

    // The server applies seq 1 but its ack is lost; a later edit waits behind it.
    server.connection(alice.clientId).socket.outgoing = "drop";
    alice.insert(9, " [C]");
    await settle();
    expect(server.log).toHaveLength(1);
    alice.insert(0, "♪ ");
    bob.insert(0, "[G]");
    await settle();
    server.keptFrom = server.rev;
    await disconnectAlice(server, alice);
    await vi.advanceTimersByTimeAsync(1_000);
    await settle();

    expect(server.text).toBe("[G]♪ Let it be [C]");
    expect(alice.text).toBe(server.text);
    expect(bob.text).toBe(server.text);
    expect(server.log.filter((entry) => entry.client_id === alice.clientId).map((entry) => entry.seq)).toEqual([1, 2]);
    expect(lost).toEqual([]);
    expect(resynced).toEqual([{ reason: "RESYNC", kept: [[3, "♪ "]], text: "[G]♪ Let it be [C]" }]);
    expect(alice.synchronized).toBe(true);
  });

  it("counts positions in code points around astral characters", async () => {
    const server = new FakeServer("😀 Let it be 🎸", { alice: "owner", bob: "editor" });
    const alice = session(server, "alice", slowBackoff);
    const bob = session(server, "bob");
    await connectAll(alice, bob);
    const resynced = record(alice, "resynced");
    const texts = record(alice, "text");

    await disconnectAlice(server, alice);
    alice.insert(6, "[G]");
    alice.insert(16, "👍🏽");
    expect(alice.text).toBe("😀 Let [G]it be 🎸👍🏽");
    bob.insert(0, "🎹🎹 ");
    bob.delete(3, 2);
    bob.insert(10, "和音");
    await settle();
    expect(bob.text).toBe("🎹🎹 Let it 和音be 🎸");
    server.keptFrom = server.rev;
    await vi.advanceTimersByTimeAsync(1_000);
    await settle();

    expect(resynced).toEqual([
      {
        reason: "RESYNC",
        kept: [
          [7, "[G]"],
          [19, "👍🏽"],
        ],
        text: "🎹🎹 Let [G]it 和音be 🎸👍🏽",
      },
    ]);
    expect(server.text).toBe("🎹🎹 Let [G]it 和音be 🎸👍🏽");
    expect(alice.text).toBe(server.text);
    expect(bob.text).toBe(server.text);
    expectChained("😀 Let it be 🎸", texts);
  });

  it("keeps the op in flight and what follows it after RESYNC_REQUIRED", async () => {
    const server = new FakeServer("Let it be", { alice: "owner", bob: "editor" });
    const alice = session(server, "alice");
    const bob = session(server, "bob");
    await connectAll(alice, bob);
    const errors = record(alice, "error");
    const statuses = record(alice, "status");
    const lost = record(alice, "lost_edits");
    const resynced = record(alice, "resynced");

    server.failNextOps.push("RESYNC_REQUIRED");
    alice.insert(9, "!");
    alice.insert(0, "[G]");
    bob.insert(3, " it");
    await settle();

    expect(errors).toEqual([{ code: "RESYNC_REQUIRED", message: "Refused: RESYNC_REQUIRED", seq: 1 }]);
    expect(statuses[0]).toMatchObject({ status: "reconnecting", code: 4000 });
    expect(server.urls.at(-1)?.searchParams.has("since_rev")).toBe(false);
    expect(lost).toEqual([]);
    expect(resynced).toEqual([{ reason: "RESYNC_REQUIRED", kept: [[12, "!"], ["[G]"]], text: "[G]Let it it be!" }]);
    expect(server.opsFrom(alice.clientId).map((frame) => frame.seq)).toEqual([1, 2, 3]);
    expect(server.text).toBe("[G]Let it it be!");
    expect(alice.text).toBe(server.text);
    expect(bob.text).toBe(server.text);
  });

  it("reports as lost only the edit that no longer fits the document, and keeps the one before it", async () => {
    const server = new FakeServer("Let it be", { alice: "owner", bob: "editor" });
    const alice = session(server, "alice", slowBackoff);
    const bob = session(server, "bob");
    await connectAll(alice, bob);
    const lost = record(alice, "lost_edits");
    const resynced = record(alice, "resynced");

    await disconnectAlice(server, alice);
    alice.insert(0, "[G]");
    const long = "x".repeat(20_000);
    alice.insert(12, long);
    const filler = "y".repeat(18_000);
    for (let step = 0; step < 5; step++) bob.insert(bob.text.length, filler);
    await settle();
    server.keptFrom = server.rev;
    await vi.advanceTimersByTimeAsync(1_000);
    await settle();

    const expected = `[G]Let it be${filler.repeat(5)}`;
    expect(lost).toEqual([{ ops: [[12, long]], text: `[G]Let it be${long}`, reason: "RESYNC" }]);
    expect(resynced).toEqual([{ reason: "RESYNC", kept: [["[G]"]], text: expected }]);
    expect(server.text).toBe(expected);
    expect(alice.text).toBe(expected);
    expect(alice.synchronized).toBe(true);
  });
});

describe("RealtimeSession presence", () => {
  it("keeps remote cursors on the local text through remote and local edits", async () => {
    const server = new FakeServer("Let it be", { alice: "owner", bob: "editor", carol: "editor" });
    const [alice, bob, carol] = ["alice", "bob", "carol"].map((user) => session(server, user)) as [
      RealtimeSession,
      RealtimeSession,
      RealtimeSession,
    ];
    await connectAll(alice, bob, carol);
    const updates = record(alice, "presence");
    const cursorOfBob = () => alice.presence.get("bob")?.cursor;

    bob.setPresence({ anchor: 4, head: 6 }, "typing");
    await settle();
    expect(alice.presence.get("bob")).toEqual({
      user_id: "bob",
      cursor: { anchor: 4, head: 6 },
      status: "typing",
      online: true,
    });
    expect(alice.presence.has("alice")).toBe(false);
    expect(updates).toHaveLength(1);

    carol.insert(0, "[G]");
    await settle();
    expect(cursorOfBob()).toEqual({ anchor: 7, head: 9 });

    // Bob's caret follows his own typing; someone else's insert at the same place leaves it behind.
    bob.insert(9, "xy");
    await settle();
    expect(cursorOfBob()).toEqual({ anchor: 7, head: 11 });
    carol.insert(11, "!!");
    await settle();
    expect(cursorOfBob()).toEqual({ anchor: 7, head: 11 });

    alice.insert(0, "> ");
    expect(cursorOfBob()).toEqual({ anchor: 9, head: 13 });
    expect(updates.at(-1)?.get("bob")?.cursor).toEqual({ anchor: 9, head: 13 });
    await settle();
    expect(alice.text).toBe(server.text);
  });

  it("places a cursor reported on the server's text past local edits still pending", async () => {
    const server = new FakeServer("Let it be", { alice: "owner", bob: "editor" });
    const alice = session(server, "alice");
    const bob = session(server, "bob");
    await connectAll(alice, bob);
    server.connection(alice.clientId).socket.peer.outgoing = "hold";
    alice.insert(0, "> ");
    bob.setPresence({ anchor: 4, head: 6 });
    await settle();
    expect(alice.presence.get("bob")?.cursor).toEqual({ anchor: 6, head: 8 });
  });

  it("sends at most one presence per 50 ms, and the latest one last", async () => {
    const server = new FakeServer("Let it be", { alice: "owner", bob: "editor" });
    const alice = session(server, "alice");
    const bob = session(server, "bob");
    await connectAll(alice, bob);
    const sent = () => server.framesFrom(alice.clientId, "presence");

    alice.setPresence({ anchor: 0, head: 0 });
    alice.setPresence({ anchor: 1, head: 1 });
    alice.setPresence({ anchor: 2, head: 2 }, "idle");
    await settle();
    expect(sent()).toEqual([{ type: "presence", cursor: { anchor: 0, head: 0 } }]);
    await vi.advanceTimersByTimeAsync(49);
    expect(sent()).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(sent()).toEqual([
      { type: "presence", cursor: { anchor: 0, head: 0 } },
      { type: "presence", cursor: { anchor: 2, head: 2 }, status: "idle" },
    ]);
    await vi.advanceTimersByTimeAsync(500);
    expect(sent()).toHaveLength(2);
    expect(bob.presence.get("alice")).toMatchObject({ cursor: { anchor: 2, head: 2 }, status: "idle" });
  });
});
