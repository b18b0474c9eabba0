// The session object as the realtime client sees it, on in-memory sockets, sequencing ops with the real Sequencer.
/**
 * What is faked here is the transport and the room around the sequencer: single-use tickets, sockets, a welcome
 * per connection, roles, presence, comments and pings, refusals, and the faults a test asks for. What ops become is
 * not faked: the Sequencer of src/room/sequencer.ts, on a Durable Object's SQLite storage, recognises resends,
 * rebases, checks, applies and logs each op, says what a reconnecting client missed (or that it must resync), and
 * knows the last seq applied from each client. The knobs marked "fault injection" make the server refuse or
 * misbehave on purpose, where the real one would only do so in circumstances too costly to build in a test.
 */

import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import type { WebSocketLike } from "../../src/client/realtime";
import { DEFAULT_PERMISSION_MAP, type Permission, permissionsOf, type Role } from "../../src/domain/permissions";
import type { ClientMessage, Comment, PresenceState, ServerMessage } from "../../src/domain/protocol";
import type { Participant, SessionView } from "../../src/domain/schemas";
import { parseClientMessage } from "../../src/room/messages";
import { RoomFailure } from "../../src/room/result";
import { type LoggedOp, OP_WINDOW, Sequencer } from "../../src/room/sequencer";
import { FakeSocket } from "./fake-socket";

export const SESSION_ID = "6f1c2a54-8d0e-4b7f-9a3c-2e5d7b9f1a20";
export const BASE_URL = "https://sessions.test";
const NOW = "2025-01-01T00:00:00.000Z";
/** No recording holds the op log back. */
const NO_RECORDING = () => Number.POSITIVE_INFINITY;
/** A writer with no connection here (another device, say): its ops reach the connected clients like anyone's. */
const ELSEWHERE = { userId: "elsewhere", clientId: "elsewhere-tab" };

/**
 * Runs `body` inside a fresh session object, with a FakeServer sequencing on that object's storage. The whole test
 * runs there: the storage cannot be used from outside the object it belongs to.
 */
export function withServer(
  text: string,
  roles: Record<string, Role>,
  body: (server: FakeServer) => Promise<void> | void,
): Promise<void> {
  const stub = env.SESSION_ROOM.get(env.SESSION_ROOM.idFromName(crypto.randomUUID()));
  return runInDurableObject(stub, async (_room, state) => {
    await body(new FakeServer(state.storage, text, roles));
  });
}

interface Connection {
  /** The server's end; `socket.peer` is the end the client holds. */
  socket: FakeSocket;
  userId: string;
  clientId: string;
}

export class FakeServer {
  readonly #sequencer: Sequencer;
  answerPings = true;
  /** Close codes for the next connections, used right after the upgrade (1006: the connection drops). */
  readonly refuseNext: number[] = [];
  /** Each close the server starts is announced with `closing` and reaches the client only this much later. */
  announceClosesMs: number | null = null;
  /** Fault injection: error codes for the next ops, sent instead of sequencing them. */
  readonly failNextOps: string[] = [];
  /** Fault injection: how many of the next messages to drop for flooding, answering each with an error naming no seq. */
  rateLimitNext = 0;
  /** Fault injection: how many of the next connections get no welcome. */
  withholdWelcomes = 0;
  /** Fault injection: how many of the next ticket requests never answer (until the client aborts them). */
  stallTickets = 0;
  /** The ticket requests the client aborted. */
  abortedTickets = 0;
  /** Fault injection: how many of the next WebSocket handshakes never complete. */
  stallHandshakes = 0;
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
  #ticketCount = 0;

  constructor(storage: DurableObjectStorage, text: string, roles: Record<string, Role>) {
    this.#sequencer = new Sequencer(storage, () => new Date().toISOString());
    this.#sequencer.create(text);
    this.roles = new Map(Object.entries(roles));
  }

  get text(): string {
    return this.#sequencer.document().content;
  }

  get rev(): number {
    return this.#sequencer.document().rev;
  }

  /** The ops the sequencer still keeps, oldest first. */
  get log(): LoggedOp[] {
    return this.#sequencer.opsSince(this.#sequencer.logFloor());
  }

  /**
   * Moves the text more than the sequencer's window (OP_WINDOW revisions) on, with edits from elsewhere that cancel
   * out (a mark typed and deleted again, over and over): the text ends as it was, and a client that has not seen the
   * current revision gets `resync` when it comes back, the sequencer no longer replaying that many ops.
   */
  moveFarAhead(): void {
    const behind = this.rev;
    let seq = this.#sequencer.lastSeq(ELSEWHERE.userId, ELSEWHERE.clientId);
    for (let pair = 0; pair <= OP_WINDOW / 2; pair++) {
      for (const op of [["~"], [{ d: 1 }]]) {
        seq++;
        const submission = { ...ELSEWHERE, seq, baseRev: this.rev, op };
        const result = this.#sequencer.submit(submission, NO_RECORDING);
        if (result.kind !== "applied") throw new Error(`Op ${seq} from elsewhere was not applied`);
        this.#broadcast({ type: "op", rev: result.rev, op: result.op, user_id: ELSEWHERE.userId });
      }
    }
    if (!("resync" in this.#sequencer.catchUp(behind))) throw new Error(`Revision ${behind} can still catch up`);
  }

  fetch: typeof fetch = async (input, init) => {
    this.ticketTimes.push(Date.now());
    if (this.stallTickets > 0) {
      this.stallTickets--;
      return new Promise<Response>((_resolve, reject) => {
        init?.signal?.addEventListener("abort", () => {
          this.abortedTickets++;
          reject(new DOMException("The request was aborted", "AbortError"));
        });
      });
    }
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
    if (this.stallHandshakes > 0) {
      this.stallHandshakes--;
      return FakeSocket.stalled();
    }
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
    const document = this.#sequencer.document();
    return {
      type: "welcome",
      session: sessionView(),
      you: {
        user_id: connection.userId,
        role: this.roles.get(connection.userId)!,
        permissions: this.#permissions(connection.userId),
        color: "#e11d48",
        client_id: connection.clientId,
        last_seq: this.#sequencer.lastSeq(connection.userId, connection.clientId),
      },
      doc: { rev: document.rev, content: document.content },
      participants: [...this.roles].map(([userId, role]) => participant(userId, role)),
      presence: [...this.presence.values()],
      comments: [...this.comments],
      ...(sinceRev === null ? {} : this.#sequencer.catchUp(sinceRev)),
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
        ...(message.lead ? { lead: message.lead } : {}),
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

  /** As the session object does: a resend is acked again, anything else goes through the sequencer. */
  #onOp(connection: Connection, message: Extract<ClientMessage, { type: "op" }>): void {
    const { userId, clientId } = connection;
    const { seq } = message;
    const earlier = this.#sequencer.resendOf(userId, clientId, seq);
    if (earlier !== null) {
      this.#send(connection, { type: "ack", seq, rev: earlier });
      return;
    }
    if (!this.#permissions(userId).includes("edit")) {
      this.#send(connection, { type: "error", code: "FORBIDDEN", message: "No edit permission", seq });
      return;
    }
    const failure = this.failNextOps.shift();
    if (failure) {
      this.#send(connection, { type: "error", code: failure, message: `Refused: ${failure}`, seq });
      return;
    }
    try {
      const result = this.#sequencer.submit(
        { userId, clientId, seq, baseRev: message.rev, op: message.op },
        NO_RECORDING,
      );
      this.#send(connection, { type: "ack", seq, rev: result.rev });
      if (result.kind === "applied") {
        this.#broadcast({ type: "op", rev: result.rev, op: result.op, user_id: userId }, connection);
      }
    } catch (error) {
      if (!(error instanceof RoomFailure)) throw error;
      this.#send(connection, { type: "error", code: error.error.code, message: error.error.message, seq });
    }
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
    last_activity: NOW,
    auto_save_enabled: false,
    user_role: null,
    permissions: [],
    role_permissions: DEFAULT_PERMISSION_MAP,
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
