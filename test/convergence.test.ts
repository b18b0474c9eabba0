/**
 * Several RealtimeSession clients edit one session through the real Worker and session object, with random
 * delivery delays, dropped connections and resends. At the end every client's text equals the object's, and the
 * object's op log replays to the same text.
 */
import { runInDurableObject } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { RealtimeSession, type WebSocketLike } from "../src/client/realtime";
import { applyOp, codePointLength, type TextOp } from "../src/domain/ot";
import { api, createSession, newUser, type TestUser } from "./helpers";

const START = "[C]Let it [G]be";
const JAM_SESSION = 3;

type Handler = (event: any) => void;

/**
 * A WebSocket over the Worker's fetch upgrade, with every frame in each direction delayed by a random amount
 * (order kept, as TCP keeps it) and a way to cut the connection as a network would.
 */
class DelayedSocket implements WebSocketLike {
  readyState = 0;
  private socket: WebSocket | null = null;
  private readonly handlers = new Map<string, Handler[]>();
  private inboundAt = 0;
  private outboundAt = 0;

  constructor(
    url: string,
    private readonly delay: () => number,
  ) {
    const parsed = new URL(url);
    exports.default
      .fetch(`http://sessions.test${parsed.pathname}${parsed.search}`, { headers: { Upgrade: "websocket" } })
      .then((response) => {
        if (response.status !== 101 || !response.webSocket) return this.finish(1006, "refused");
        const socket = response.webSocket;
        socket.accept();
        this.socket = socket;
        this.readyState = 1;
        socket.addEventListener("message", (event) =>
          this.later("inbound", () => this.emit("message", { data: event.data })),
        );
        socket.addEventListener("close", (event) => this.later("inbound", () => this.finish(event.code, event.reason)));
        this.emit("open", {});
      })
      .catch(() => this.finish(1006, "failed"));
  }

  send(data: string): void {
    this.later("outbound", () => {
      if (this.readyState === 1) this.socket?.send(data);
    });
  }

  close(code = 1000, reason = ""): void {
    if (this.readyState >= 2) return;
    this.readyState = 2;
    try {
      this.socket?.close(code, reason);
    } catch {
      // already closing
    }
    this.finish(code, reason);
  }

  /** The network fails: the client sees 1006 and the server a closed socket. */
  cut(): boolean {
    if (this.readyState !== 1) return false;
    try {
      this.socket?.close(1001, "network");
    } catch {
      // already closing
    }
    this.finish(1006, "network");
    return true;
  }

  addEventListener(type: string, listener: Handler): void {
    this.handlers.set(type, [...(this.handlers.get(type) ?? []), listener]);
  }

  private finish(code: number, reason: string) {
    if (this.readyState === 3) return;
    this.readyState = 3;
    this.emit("close", { code, reason });
  }

  private emit(type: string, event: unknown) {
    for (const handler of this.handlers.get(type) ?? []) handler(event);
  }

  /** Runs `task` after a random delay, never before the previous task of the same direction. */
  private later(direction: "inbound" | "outbound", task: () => void) {
    const now = Date.now();
    const key = direction === "inbound" ? "inboundAt" : "outboundAt";
    this[key] = Math.max(this[key], now + this.delay());
    setTimeout(() => {
      if (direction === "outbound" || this.readyState !== 3) task();
    }, this[key] - now);
  }
}

const ALPHABET = ["a", "b", "C", "G", "[", "]", " ", "\n", "é", "ß", "😀", "👍🏽", "和", "音"];

const editArbitrary = fc.record({
  client: fc.nat(),
  kind: fc.constantFrom("insert", "insert", "delete"),
  position: fc.double({ min: 0, max: 1, noNaN: true }),
  text: fc.array(fc.constantFrom(...ALPHABET), { minLength: 1, maxLength: 4 }).map((parts) => parts.join("")),
  length: fc.integer({ min: 1, max: 4 }),
  pauseMs: fc.integer({ min: 0, max: 8 }),
  cut: fc.double({ min: 0, max: 1, noNaN: true }),
});

async function waitFor(condition: () => boolean, timeoutMs: number, what: string, state: () => unknown = () => null) {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(state())}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

type Edit = typeof editArbitrary extends fc.Arbitrary<infer T> ? T : never;

const totals = { cuts: 0, reconnects: 0, ops: 0 };

async function scenario(clientCount: number, edits: Edit[], seed: number) {
  const owner = await newUser("owner");
  const song = await api("POST", "/songs", { user: owner, body: { title: "Jam", content: START } });
  const session = await createSession(owner, {
    song_id: song.body.data.id,
    template_id: JAM_SESSION,
    access_mode: "link-access",
  });
  const users: TestUser[] = [owner];
  for (let index = 1; index < clientCount; index += 1) {
    const user = await newUser("player");
    await api("POST", `/sessions/${session.id}/join`, { user, body: { invitation_code: session.invitation_code } });
    users.push(user);
  }
  let randomState = seed;
  const random = () => {
    randomState = (randomState * 1103515245 + 12345) % 2147483648;
    return randomState / 2147483648;
  };
  const sockets: DelayedSocket[][] = users.map(() => []);
  const clients = users.map(
    (user, index) =>
      new RealtimeSession({
        baseUrl: "http://sessions.test",
        sessionId: session.id,
        getToken: () => user.token,
        fetch: (input, init) => exports.default.fetch(input as RequestInfo, init),
        connect: (url) => {
          const socket = new DelayedSocket(url, () => Math.floor(random() * 6));
          sockets[index]!.push(socket);
          return socket;
        },
        backoff: { initialMs: 5, maxMs: 40 },
        random,
        heartbeatMs: 0,
      }),
  );
  const lastEvents: string[] = clients.map(() => "");
  for (const [index, client] of clients.entries()) {
    client.on("error", (error) => {
      lastEvents[index] = `error ${error.code}`;
    });
    client.on("status", (event) => {
      lastEvents[index] = `status ${JSON.stringify(event)}`;
    });
  }
  await Promise.all(clients.map((client) => client.connect()));

  for (const edit of edits) {
    const client = clients[edit.client % clients.length]!;
    const length = codePointLength(client.text);
    const position = Math.floor(edit.position * (length + 1));
    try {
      if (edit.kind === "insert" || length === 0) client.insert(Math.min(position, length), edit.text);
      else
        client.delete(Math.min(position, length - 1), Math.min(edit.length, length - Math.min(position, length - 1)));
    } catch (error) {
      // Edits before the first welcome of a reconnect may be refused locally; they change nothing.
      if (!(error instanceof Error)) throw error;
    }
    if (edit.cut < 0.04) {
      if (sockets[edit.client % clients.length]!.at(-1)?.cut()) totals.cuts += 1;
    }
    if (edit.pauseMs) await new Promise((resolve) => setTimeout(resolve, edit.pauseMs));
  }

  const stub = env.SESSION_ROOM.get(env.SESSION_ROOM.idFromName(session.id));
  const serverRev = async () =>
    runInDurableObject(
      stub,
      (_room, state) => state.storage.sql.exec<{ rev: number }>("SELECT count(*) AS rev FROM ops").one().rev,
    );
  let rev = -1;
  await waitFor(
    () => {
      void serverRev().then((value) => {
        rev = value;
      });
      return clients.every((client) => client.synchronized && client.rev === rev);
    },
    120_000,
    "every client to catch up",
    () => ({
      serverRev: rev,
      clients: clients.map((client, index) => ({
        status: client.status,
        rev: client.rev,
        synchronized: client.synchronized,
        sockets: sockets[index]!.length,
        last: lastEvents[index],
      })),
    }),
  );
  const log = await runInDurableObject(stub, (_room, state) =>
    state.storage.sql.exec<{ op: string }>("SELECT op FROM ops ORDER BY rev").toArray(),
  );
  const replayed = log.reduce((text, row) => applyOp(text, JSON.parse(row.op) as TextOp), START);
  const texts = clients.map((client) => client.text);
  totals.reconnects += sockets.reduce((count, opened) => count + opened.length - 1, 0);
  totals.ops += log.length;
  for (const client of clients) client.close();
  return { texts, replayed, rev, opCount: log.length };
}

describe("convergence through the session object", () => {
  it("every client ends with the object's text, through delays, drops and resends", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 2, max: 5 }),
        fc.array(editArbitrary, { minLength: 10, maxLength: 40 }),
        fc.integer({ min: 1, max: 1_000_000 }),
        async (clientCount, edits, seed) => {
          const { texts, replayed, rev, opCount } = await scenario(clientCount, edits, seed);
          expect(rev).toBe(opCount);
          for (const text of texts) expect(text).toBe(replayed);
        },
      ),
      { seed: 20_261_127, numRuns: 12, endOnFailure: true },
    );
    // The runs did what they are for: many ops, connections cut, clients back through reconnects.
    expect(totals.ops).toBeGreaterThan(60);
    expect(totals.cuts).toBeGreaterThan(3);
    expect(totals.reconnects).toBeGreaterThanOrEqual(totals.cuts);
  }, 600_000);
});
