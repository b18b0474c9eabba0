// An in-memory WebSocket pair for the realtime client tests, with the delivery faults a real network has.
import type { WebSocketLike } from "../../src/client/realtime";

type Delivery = "deliver" | "hold" | "drop";

/** One end of an in-memory WebSocket pair; frames reach the other end in a later microtask, in order. */
export class FakeSocket implements WebSocketLike {
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

  /** A socket whose handshake never completes: it stays connecting, and nothing ever arrives on it. */
  static stalled(): FakeSocket {
    const [socket] = FakeSocket.pair();
    socket.readyState = 0;
    return socket;
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
