/**
 * Benchmark clients for the three systems, with one shape: connect, insert a character at a position, and report
 * acks (own op applied by the server) and remote ops (another client's op arriving) to a Recorder.
 *
 * - `ours`: the session protocol (CONTRACT §6) with a real OT client: one op in flight, later keystrokes composed
 *   into a buffer, remote ops transformed over both, exactly as the service's own client does it.
 * - `relay`: the same protocol against the bare relay, which only numbers and forwards ops. Its clients do the same
 *   work per message but never transform (the relay does not either), so their texts are not expected to agree;
 *   what must hold there is that every client saw every revision exactly once, in order.
 * - `hocuspocus`: a Y.Doc per client with @hocuspocus/provider; an ack is the server's SyncStatus for an update.
 */
import { type as textType } from "ot-text-unicode";

let deps = null;
/** ws, yjs and the provider live in bench/hocuspocus (installed by the runner before the first scenario). */
export async function loadDeps() {
  deps ??= await import("../hocuspocus/deps.mjs");
  return deps;
}

/** Collects what the clients of one run observe. Times are performance.now() milliseconds. */
export class Recorder {
  constructor() {
    this.acks = [];
    this.typedToAck = [];
    this.ackTimes = [];
    /** op key → send time; a key is a revision (ours, relay) or "client:clock" (Yjs). */
    this.sentAt = new Map();
    /** [key, arrival time] of every remote op at every client. */
    this.arrivals = [];
    this.errors = 0;
    this.errorSamples = [];
  }

  ack(sentAt, typedAt, now) {
    this.acks.push(now - sentAt);
    this.typedToAck.push(now - typedAt);
    this.ackTimes.push(now);
  }

  error(message) {
    this.errors += 1;
    if (this.errorSamples.length < 5) this.errorSamples.push(String(message).slice(0, 200));
  }

  /** Broadcast latencies: arrival minus send time of the same op, for every delivery. */
  broadcastLatencies() {
    const latencies = [];
    let unmatched = 0;
    for (const [key, at] of this.arrivals) {
      const sent = this.sentAt.get(key);
      if (sent === undefined) unmatched += 1;
      else latencies.push(at - sent);
    }
    return { latencies, unmatched };
  }
}

function randomChar(alphabet) {
  return alphabet[Math.floor(Math.random() * alphabet.length)];
}

/** Ours and the relay: JSON frames, welcome / op / ack. */
export class OpClient {
  /**
   * @param {object} options
   * @param {string} options.url ws:// URL
   * @param {Record<string,string>} [options.headers]
   * @param {boolean} options.transform whether remote ops are transformed (ours) or only counted (relay)
   * @param {Recorder} options.recorder
   */
  constructor({ url, headers = {}, transform, recorder, keepAliveMessage = null }) {
    this.url = url;
    this.headers = headers;
    this.transform = transform;
    this.keepAliveMessage = keepAliveMessage;
    this.recorder = recorder;
    this.text = "";
    this.rev = 0;
    this.seq = 0;
    this.inflight = null;
    this.buffer = null;
    this.bufferTypedAt = 0;
    this.closedUnexpectedly = false;
    this.onIdle = null;
    /** Called with each error message from the server; answering true means it was handled, not an error. */
    this.onError = null;
    this.welcomedAt = null;
  }

  /** Resolves with the milliseconds from the start of the connection to the welcome. */
  async connect(timeoutMs = 30_000) {
    const { WebSocket } = await loadDeps();
    const started = performance.now();
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(this.url, { headers: this.headers, perMessageDeflate: false });
      this.socket = socket;
      const timer = setTimeout(() => {
        reject(new Error("no welcome in time"));
        socket.terminate();
      }, timeoutMs);
      socket.on("message", (data) => {
        const message = JSON.parse(data.toString());
        if (message.type === "welcome") {
          clearTimeout(timer);
          this.text = message.doc.content;
          this.rev = message.doc.rev;
          this.welcomedAt = performance.now();
          resolve(this.welcomedAt - started);
          return;
        }
        this.handle(message);
      });
      socket.on("error", (error) => {
        clearTimeout(timer);
        this.recorder.error(`socket: ${error.message}`);
        reject(error);
      });
      socket.on("unexpected-response", (_request, response) => {
        clearTimeout(timer);
        let body = "";
        response.on("data", (chunk) => {
          body += chunk;
        });
        response.on("end", () => reject(new Error(`upgrade refused: ${response.statusCode} ${body.slice(0, 200)}`)));
        response.on("error", () => reject(new Error(`upgrade refused: ${response.statusCode}`)));
      });
      socket.on("close", (code, reason) => {
        clearTimeout(timer);
        if (!this.closing) {
          this.closedUnexpectedly = true;
          this.recorder.error(`closed ${code} ${reason}`);
        }
      });
    });
  }

  get length() {
    return this.text.length;
  }

  get idle() {
    return this.inflight === null && this.buffer === null;
  }

  /** Types one character at a random position (or `position`). */
  typeRandom(alphabet, position = Math.floor(Math.random() * (this.length + 1))) {
    const op = position > 0 ? [position, randomChar(alphabet)] : [randomChar(alphabet)];
    const now = performance.now();
    this.text = textType.apply(this.text, op);
    if (this.inflight === null) {
      this.send(op, now);
    } else {
      this.buffer = this.buffer ? textType.compose(this.buffer, op) : op;
      if (this.bufferTypedAt === 0) this.bufferTypedAt = now;
    }
  }

  send(op, typedAt) {
    this.seq += 1;
    const sentAt = performance.now();
    this.inflight = { seq: this.seq, op, sentAt, typedAt };
    this.socket.send(JSON.stringify({ type: "op", seq: this.seq, rev: this.rev, op }));
  }

  handle(message) {
    const now = performance.now();
    if (message.type === "ack") {
      const inflight = this.inflight;
      if (!inflight || inflight.seq !== message.seq) {
        this.recorder.error(`ack for seq ${message.seq} not in flight`);
        return;
      }
      if (message.rev !== this.rev + 1) this.recorder.error(`ack rev ${message.rev} after ${this.rev}`);
      this.rev = message.rev;
      this.inflight = null;
      this.recorder.sentAt.set(message.rev, inflight.sentAt);
      this.recorder.ack(inflight.sentAt, inflight.typedAt, now);
      if (this.buffer) {
        const buffered = this.buffer;
        const typedAt = this.bufferTypedAt;
        this.buffer = null;
        this.bufferTypedAt = 0;
        this.send(buffered, typedAt);
      } else if (this.onIdle) {
        this.onIdle();
      }
    } else if (message.type === "op") {
      if (message.rev !== this.rev + 1) this.recorder.error(`op rev ${message.rev} after ${this.rev}`);
      let remote = message.op;
      if (this.transform) {
        if (this.inflight) {
          const local = textType.transform(this.inflight.op, remote, "right");
          remote = textType.transform(remote, this.inflight.op, "left");
          this.inflight.op = local;
        }
        if (this.buffer) {
          const local = textType.transform(this.buffer, remote, "right");
          remote = textType.transform(remote, this.buffer, "left");
          this.buffer = local;
        }
      }
      try {
        this.text = textType.apply(this.text, remote);
      } catch (error) {
        this.recorder.error(`apply: ${error.message}`);
      }
      this.rev = message.rev;
      this.recorder.arrivals.push([message.rev, now]);
    } else if (message.type === "error") {
      if (this.onError?.(message)) return;
      this.recorder.error(`server error ${message.code}: ${message.message}`);
    }
  }

  /** One message that keeps the server's object in memory while this room waits for its next round. */
  keepAlive() {
    if (this.keepAliveMessage) this.socket.send(JSON.stringify(this.keepAliveMessage));
  }

  close() {
    this.closing = true;
    try {
      this.socket?.close(1000, "done");
    } catch {
      // already closed
    }
  }
}

/** Hocuspocus: a Y.Doc with the provider; Y.Text "content". */
export class YjsClient {
  constructor({ url, name, recorder }) {
    this.url = url;
    this.name = name;
    this.recorder = recorder;
    this.pending = [];
    this.unsynced = 0;
    this.clock = 0;
    this.onIdle = null;
    this.closedUnexpectedly = false;
  }

  async connect(timeoutMs = 30_000) {
    const { HocuspocusProvider, WebSocket, Y } = await loadDeps();
    this.Y = Y;
    this.doc = new Y.Doc();
    this.ytext = this.doc.getText("content");
    const started = performance.now();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("not synced in time")), timeoutMs);
      this.provider = new HocuspocusProvider({
        url: this.url,
        name: this.name,
        document: this.doc,
        awareness: null,
        WebSocketPolyfill: WebSocket,
        // Without awareness nothing arrives while a room waits for its next round; the provider would take the
        // silence for a dead connection after 30 s and reconnect.
        messageReconnectTimeout: 10 * 60_000,
        onSynced: () => {
          clearTimeout(timer);
          resolve(performance.now() - started);
        },
        onUnsyncedChanges: ({ number }) => this.unsyncedChanged(number),
        onClose: () => {
          if (!this.closing) {
            this.closedUnexpectedly = true;
            this.recorder.error("closed");
          }
        },
        onAuthenticationFailed: () => this.recorder.error("authentication failed"),
      });
      this.doc.on("update", (update, origin) => {
        if (origin !== this.provider) return;
        const now = performance.now();
        for (const [client, clock] of Y.parseUpdateMeta(update).from) {
          this.recorder.arrivals.push([`${client}:${clock}`, now]);
        }
      });
    });
  }

  unsyncedChanged(number) {
    const now = performance.now();
    if (number < this.unsynced) {
      for (let acked = this.unsynced - number; acked > 0; acked--) {
        const sent = this.pending.shift();
        if (sent) this.recorder.ack(sent, sent, now);
      }
      if (number === 0 && this.onIdle) {
        this.unsynced = number;
        this.onIdle();
        return;
      }
    }
    this.unsynced = number;
  }

  get length() {
    return this.ytext.length;
  }

  get text() {
    return this.ytext.toString();
  }

  get idle() {
    return this.pending.length === 0;
  }

  typeRandom(alphabet, position = Math.floor(Math.random() * (this.length + 1))) {
    const now = performance.now();
    this.recorder.sentAt.set(`${this.doc.clientID}:${this.clock}`, now);
    this.pending.push(now);
    this.clock += 1;
    // The provider sends the update synchronously from the document's update event.
    this.ytext.insert(position, randomChar(alphabet));
  }

  /** Hocuspocus keeps a document in memory while a client is connected. */
  keepAlive() {}

  close() {
    this.closing = true;
    this.provider?.destroy();
  }
}
