/**
 * Several RealtimeSession clients edit one session through the real Worker and session object, with random
 * delivery delays, dropped connections and resends. At the end every client's text and revision equal the
 * object's own document (what a fresh welcome carries), and no client reported an edit as lost.
 */
import { exports } from "cloudflare:workers";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { RealtimeSession, type WebSocketLike } from "../src/client/realtime";
import { codePointLength, type TextOp } from "../src/domain/ot";
import { api, createSession, newUser, type TestUser } from "./helpers";
import { connect } from "./socket-helpers";

const START = "[C]Let it [G]be";
const JAM_SESSION = 3;

type Handler = (event: any) => void;
type Direction = "inbound" | "outbound";

/**
 * A WebSocket over the Worker's fetch upgrade, with every frame in each direction delayed by a random amount
 * (order kept, as TCP keeps it) and a way to cut the connection as a network would.
 */
class DelayedSocket implements WebSocketLike {
  readyState = 0;
  private socket: WebSocket | null = null;
  private readonly handlers = new Map<string, Handler[]>();
  private stalled = false;
  private readonly lastDue: Record<Direction, number> = { inbound: 0, outbound: 0 };
  private readonly queues: Record<Direction, { due: number; task: () => void }[]> = { inbound: [], outbound: [] };

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

  /** From now on nothing from the server gets through, as on a stalled network; a cut then drops it all. */
  stall(): void {
    this.stalled = true;
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

  /**
   * Runs `task` after a random delay, never before the previous task of the same direction. Each direction is a
   * queue with one timer at a time: two timers due at the same moment may fire in either order, which would
   * reorder frames as no TCP connection does.
   */
  private later(direction: Direction, task: () => void) {
    const now = Date.now();
    const due = Math.max(this.lastDue[direction], now + this.delay());
    this.lastDue[direction] = due;
    this.queues[direction].push({ due, task });
    if (this.queues[direction].length === 1) this.pump(direction);
  }

  private pump(direction: Direction) {
    const head = this.queues[direction][0];
    if (!head || (direction === "inbound" && this.stalled)) return;
    setTimeout(
      () => {
        this.queues[direction].shift();
        if (direction === "outbound" || this.readyState !== 3) head.task();
        this.pump(direction);
      },
      Math.max(0, head.due - Date.now()),
    );
  }
}

const ALPHABET = ["a", "b", "C", "G", "[", "]", " ", "\n", "é", "ß", "😀", "👍🏽", "和", "音"];
const KINDS = ["insert", "delete", "two-part"] as const;
/** Of every 100 edits, this many cut their client's connection afterwards. */
const CUTS_PER_HUNDRED = 4;

// Positions and cuts are integers drawn without bias: fast-check's default bias favours the bounds of a range, which
// would put most edits at the start of the text and cut the connection far more often than intended.
const editArbitrary = fc.record({
  client: fc.nat({ max: 4 }),
  kind: fc.constantFrom(...KINDS),
  /** Where the edit starts, in thousandths of the room the text leaves for it. */
  position: fc.noBias(fc.integer({ min: 0, max: 999 })),
  /** Where a two-part op's insert goes, in thousandths of the text after its delete. */
  second: fc.noBias(fc.integer({ min: 0, max: 999 })),
  text: fc.array(fc.constantFrom(...ALPHABET), { minLength: 1, maxLength: 4 }).map((parts) => parts.join("")),
  length: fc.integer({ min: 1, max: 4 }),
  pauseMs: fc.integer({ min: 0, max: 8 }),
  cut: fc.noBias(fc.integer({ min: 0, max: 99 })),
});

type Edit = typeof editArbitrary extends fc.Arbitrary<infer T> ? T : never;

/** `share` thousandths of the way from 0 to `room`, both included. */
const scaled = (share: number, room: number) => Math.floor((share * (room + 1)) / 1000);

/**
 * The op `edit` makes of a text of `length` code points: an insert, a delete, or a delete followed by an insert
 * further on (two changes in one op).
 */
function opFor(edit: Edit, length: number): TextOp {
  const skip = (count: number): TextOp => (count > 0 ? [count] : []);
  if (edit.kind === "insert" || length === 0) return [...skip(scaled(edit.position, length)), edit.text];
  const from = scaled(edit.position, length - 1);
  const deleted = Math.min(edit.length, length - from);
  const delete_: TextOp = [...skip(from), { d: deleted }];
  if (edit.kind === "delete") return delete_;
  const after = length - from - deleted;
  // At least one code point between the two changes when the text has any.
  const gap = after === 0 ? 0 : 1 + scaled(edit.second, after - 1);
  return [...delete_, ...skip(gap), edit.text];
}

async function waitFor(condition: () => boolean, timeoutMs: number, what: string, state: () => unknown = () => null) {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(state())}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

const totals = { edits: 0, cuts: 0, reconnects: 0, ops: 0, ownOpsInMissed: 0 };

/**
 * A Jam Session (everyone edits) with `clientCount` people, each connected through a RealtimeSession whose frames
 * are delayed by `delay()` ms, with what each client reports as lost or started over.
 */
async function band(clientCount: number, delay: () => number, random: () => number) {
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
  const sockets: DelayedSocket[][] = users.map(() => []);
  const lost: { client: number; ops: TextOp[]; reason: string }[] = [];
  const resynced: { client: number; reason: string }[] = [];
  const clients: RealtimeSession[] = users.map(
    (user, index) =>
      new RealtimeSession({
        baseUrl: "http://sessions.test",
        sessionId: session.id,
        getToken: () => user.token,
        fetch: (input, init) => exports.default.fetch(input as RequestInfo, init),
        connect: (url) => {
          const socket = new DelayedSocket(url, delay);
          // Counts the reconnects whose welcome hands the client its own op back as the ack it lost.
          socket.addEventListener("message", (event) => {
            const message = JSON.parse(event.data);
            const own = (message.missed ?? []).some(
              (missed: { client_id: string }) => missed.client_id === clients[index]!.clientId,
            );
            if (message.type === "welcome" && own) totals.ownOpsInMissed += 1;
          });
          sockets[index]!.push(socket);
          return socket;
        },
        backoff: { initialMs: 5, maxMs: 40 },
        random,
        heartbeatMs: 0,
      }),
  );
  // The last thing each client reported, for a timeout's message.
  const lastEvents: string[] = clients.map(() => "");
  clients.forEach((client, index) => {
    client.on("lost_edits", ({ ops, reason }) => lost.push({ client: index, ops, reason }));
    client.on("resynced", ({ reason }) => resynced.push({ client: index, reason }));
    client.on("error", (error) => {
      lastEvents[index] = `error ${error.code}`;
    });
    client.on("status", (event) => {
      lastEvents[index] = `status ${JSON.stringify(event)}`;
    });
  });
  await Promise.all(clients.map((client) => client.connect()));

  /** Waits until every client is connected with nothing pending, all at one revision; then closes them. */
  const settle = async () => {
    await waitFor(
      () =>
        clients.every(
          (client) => client.status === "connected" && client.synchronized && client.rev === clients[0]!.rev,
        ),
      120_000,
      "every client to be connected with nothing pending, at one revision",
      () =>
        clients.map((client, index) => ({
          status: client.status,
          rev: client.rev,
          synchronized: client.synchronized,
          sockets: sockets[index]!.length,
          last: lastEvents[index],
        })),
    );
    const seen = clients.map((client) => ({ text: client.text, rev: client.rev }));
    for (const client of clients) client.close();
    return seen;
  };

  /** The object's own document, as a fresh connection is welcomed with it. */
  const documentOfObject = async (): Promise<{ rev: number; content: string }> => {
    const observer = await connect(owner, session.id);
    const { doc } = await observer.next("welcome");
    observer.close();
    return doc;
  };

  return { clients, sockets, lost, resynced, settle, documentOfObject };
}

async function scenario(clientCount: number, edits: Edit[], seed: number) {
  let randomState = seed;
  const random = () => {
    randomState = (randomState * 1103515245 + 12345) % 2147483648;
    return randomState / 2147483648;
  };
  const { clients, sockets, lost, resynced, settle, documentOfObject } = await band(
    clientCount,
    () => Math.floor(random() * 6),
    random,
  );
  for (const edit of edits) {
    const index = edit.client % clients.length;
    const client = clients[index]!;
    client.applyLocal(opFor(edit, codePointLength(client.text)));
    totals.edits += 1;
    if (edit.cut < CUTS_PER_HUNDRED && sockets[index]!.at(-1)?.cut()) totals.cuts += 1;
    if (edit.pauseMs) await new Promise((resolve) => setTimeout(resolve, edit.pauseMs));
  }
  const seen = await settle();
  const doc = await documentOfObject();
  totals.reconnects += sockets.reduce((count, opened) => count + opened.length - 1, 0);
  totals.ops += doc.rev;
  return { seen, doc, lost, resynced };
}

describe("convergence through the session object", () => {
  it("every client ends with the object's text and loses no edit, through delays, drops and resends", async () => {
    const generated: Edit[] = [];
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 2, max: 5 }),
        fc.array(editArbitrary, { minLength: 10, maxLength: 40 }),
        fc.integer({ min: 1, max: 1_000_000 }),
        async (clientCount, edits, seed) => {
          generated.push(...edits);
          const { seen, doc, lost, resynced } = await scenario(clientCount, edits, seed);
          expect(lost).toEqual([]);
          // The object keeps every op of a run this short, so each reconnect resumes from since_rev.
          expect(resynced).toEqual([]);
          expect(doc.rev).toBeGreaterThan(0);
          expect(seen).toHaveLength(clientCount);
          for (const client of seen) expect(client).toEqual({ text: doc.content, rev: doc.rev });
        },
      ),
      { seed: 20_261_127, numRuns: 12, endOnFailure: true },
    );
    // The runs did what they are for: edits spread over the text and of every kind, many ops, connections cut
    // about as often as intended, and clients back through reconnects.
    const share = (count: number) => count / generated.length;
    for (let quarter = 0; quarter < 4; quarter += 1) {
      const inQuarter = generated.filter((edit) => Math.floor(edit.position / 250) === quarter).length;
      expect(share(inQuarter), `edits in quarter ${quarter + 1} of the text`).toBeGreaterThan(0.15);
    }
    for (const kind of KINDS) {
      expect(share(generated.filter((edit) => edit.kind === kind).length), kind).toBeGreaterThan(0.2);
    }
    const cutShare = share(generated.filter((edit) => edit.cut < CUTS_PER_HUNDRED).length);
    expect(cutShare).toBeGreaterThan(0.01);
    expect(cutShare).toBeLessThan(0.1);
    expect(totals.edits).toBe(generated.length);
    expect(totals.ops).toBeGreaterThan(60);
    expect(totals.cuts).toBeGreaterThan(3);
    expect(totals.reconnects).toBeGreaterThanOrEqual(totals.cuts);
  }, 600_000);

  it("a client whose op was applied but whose ack was lost keeps the edits it made since", async () => {
    const { clients, sockets, lost, resynced, settle, documentOfObject } = await band(
      2,
      () => 0,
      () => 0.5,
    );
    const [alice, bob] = clients as [RealtimeSession, RealtimeSession];
    const ownOpsInMissed = totals.ownOpsInMissed;
    sockets[0]!.at(-1)!.stall();
    alice.insert(0, "1 ");
    // Bob being sent it shows the object applied it; Alice hears nothing back.
    await waitFor(() => bob.rev === 1, 20_000, "Bob to get Alice's op");
    alice.insert(codePointLength(alice.text), " 2");
    expect(alice.synchronized).toBe(false);
    expect(sockets[0]!.at(-1)!.cut()).toBe(true);

    const seen = await settle();
    // Alice's reconnect was welcomed with her own op among the missed ones: the ack she lost.
    expect(sockets[0]).toHaveLength(2);
    expect(totals.ownOpsInMissed).toBe(ownOpsInMissed + 1);
    expect(lost).toEqual([]);
    expect(resynced).toEqual([]);
    const expected = { rev: 2, content: `1 ${START} 2` };
    expect(await documentOfObject()).toEqual(expected);
    expect(seen).toEqual([
      { text: expected.content, rev: 2 },
      { text: expected.content, rev: 2 },
    ]);
  });
});
