// The realtime connection's state machine: tickets, sockets, the welcome, closes, backoff and the heartbeat.
/**
 * One Connection keeps one realtime session's WebSocket open: every attempt gets a fresh single-use ticket over
 * HTTP, then opens the socket and waits for the welcome. A close the server says is final (or a ticket refusal that
 * retrying will not cure) stops it; anything else is retried after a full-jitter exponential backoff.
 *
 * The server announces each close it starts with a `closing` message; the connection acts on it at once, as on the
 * close itself, because some runtimes deliver the close frame's event seconds later.
 *
 * What the frames mean is not its business: it hands each one (the welcome first) to its owner, who tells it when a
 * welcome was accepted and when to drop the connection and try again.
 */
import { CLOSE, type ServerMessage, TERMINAL_CLOSE_CODES } from "../domain/protocol";
import {
  type ConnectionStatus,
  RealtimeError,
  type RealtimeSessionOptions,
  type StatusEvent,
  type WebSocketLike,
} from "./realtime-types";

const SOCKET_OPEN = 1;
const DEFAULT_BACKOFF = { initialMs: 500, maxMs: 30_000 };
const DEFAULT_HEARTBEAT_MS = 30_000;
const DEFAULT_CONNECT_TIMEOUT_MS = 15_000;
/** Close code this client uses when it drops a connection itself (to start over, or a silent peer). */
const CLIENT_DROP = 4000;

export type Timer = ReturnType<typeof setTimeout>;

/** Clears a timer; null in, null out. Browser, Node and Workers typings disagree on what clearTimeout accepts. */
export function cancel(timer: Timer | null): null {
  if (timer !== null) clearTimeout(timer);
  return null;
}

class TicketError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The close code matching a ticket refusal that retrying will not cure, or null to retry. A 409 is final only for a
 * session that ended; "too many connections" (also a 409) may clear up, like close code 4409.
 */
function terminalTicketCode(error: TicketError): number | null {
  if (error.status === 403) return CLOSE.noAccess;
  if (error.status === 400 || error.status === 404) return CLOSE.noSession;
  if (error.status === 410 || (error.status === 409 && error.code === "SESSION_NOT_ACTIVE")) return CLOSE.sessionClosed;
  return null;
}

/** What the connection tells its owner. */
export interface ConnectionHandlers {
  status(event: StatusEvent): void;
  /** A ticket request failed (or no token could be had). */
  ticketError(error: { code: string; message: string }): void;
  /** Asked once a ticket is in hand: the revision to resume from (`since_rev`), or null for a fresh start. */
  resumeFrom(): number | null;
  /** A frame from the server other than `closing`; before a welcome, only a welcome is passed on. */
  message(message: Exclude<ServerMessage, { type: "closing" }>): void;
  /** The server closed the connection (or announced it would) with `code`, and another attempt follows. */
  serverClosed(code: number): void;
  /** The socket was let go: whatever waited on it stops. */
  detached(): void;
  /** No more attempts will be made. */
  stopped(): void;
}

export class Connection {
  readonly #clientId: string;
  readonly #sessionId: string;
  readonly #baseUrl: string;
  readonly #getToken: () => string | Promise<string>;
  readonly #openSocket: (url: string) => WebSocketLike;
  readonly #fetch: typeof fetch;
  readonly #backoff: { initialMs: number; maxMs: number };
  readonly #random: () => number;
  readonly #heartbeatMs: number;
  readonly #connectTimeoutMs: number;
  readonly #handlers: ConnectionHandlers;

  #socket: WebSocketLike | null = null;
  /** The current socket has delivered its welcome: ops may flow. */
  #welcomed = false;
  #status: ConnectionStatus = "closed";
  /** close() was called or the server refused for good: no more attempts. */
  #stopped = true;
  /** Consecutive attempts without a welcome, for the backoff. */
  #attempt = 0;
  /** Bumped by every attempt, by an attempt given up and by close(), so a stale ticket request drops its result. */
  #generation = 0;
  #ready: { promise: Promise<void>; resolve: () => void; reject: (error: Error) => void } | null = null;
  #reconnectTimer: Timer | null = null;
  #heartbeatTimer: Timer | null = null;
  /** Gives up an attempt whose ticket request or handshake has not completed in time. */
  #attemptTimer: Timer | null = null;
  #ticketRequest: AbortController | null = null;
  #lastFrameAt = 0;

  constructor(options: RealtimeSessionOptions & { clientId: string }, handlers: ConnectionHandlers) {
    this.#clientId = options.clientId;
    this.#sessionId = options.sessionId;
    this.#baseUrl = options.baseUrl.replace(/\/+$/, "");
    this.#getToken = options.getToken;
    this.#openSocket = options.connect ?? ((url) => new WebSocket(url));
    // Called unbound: a browser's fetch throws "Illegal invocation" when called as a method of another object.
    const fetchImpl = options.fetch ?? fetch;
    this.#fetch = (input, init) => fetchImpl(input, init);
    this.#backoff = options.backoff ?? DEFAULT_BACKOFF;
    this.#random = options.random ?? Math.random;
    this.#heartbeatMs = options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
    this.#connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    this.#handlers = handlers;
  }

  get status(): ConnectionStatus {
    return this.#status;
  }

  /** Welcomed on a socket that is open: frames may be sent. */
  get live(): boolean {
    return this.#socket !== null && this.#welcomed && this.#socket.readyState === SOCKET_OPEN;
  }

  /** Starts connecting; resolves at the first welcome, rejects if the server refuses for good or close() is called. */
  start(): Promise<void> {
    if (this.#ready) return this.#ready.promise;
    let resolve: () => void = () => {};
    let reject: (error: Error) => void = () => {};
    const promise = new Promise<void>((onResolve, onReject) => {
      resolve = onResolve;
      reject = onReject;
    });
    // Callers that never await it must not get an unhandled rejection; those that do still see it.
    promise.catch(() => {});
    this.#ready = { promise, resolve, reject };
    this.#stopped = false;
    this.#attempt = 0;
    void this.#open();
    return promise;
  }

  /** Closes the connection for good. */
  close(): void {
    if (this.#stopped) return;
    this.#dropSocket(1000, "closed by client");
    this.#finish(1000, "closed by client", false);
  }

  /** The owner accepted the welcome: frames may flow, the backoff starts over. */
  welcomed(): void {
    this.#attemptTimer = cancel(this.#attemptTimer);
    this.#welcomed = true;
    this.#attempt = 0;
    this.#setStatus({ status: "connected" });
  }

  /** Settles the promise start() returned, once the first welcome has been taken in. */
  resolveReady(): void {
    this.#ready?.resolve();
  }

  /** Sends a frame when live; otherwise drops it (the owner sends what matters again after the next welcome). */
  send(message: object): void {
    if (!this.live) return;
    try {
      this.#socket?.send(JSON.stringify(message));
    } catch {
      // The socket is closing; its close event schedules the reconnect and the resend.
    }
  }

  /** Drops the current connection from this side and tries again. */
  reconnectNow(reason: string): void {
    if (!this.#socket) return;
    this.#dropSocket(CLIENT_DROP, reason);
    this.#scheduleReconnect(CLIENT_DROP, reason);
  }

  /**
   * Skips the backoff wait: while a retry is scheduled, tries again at once. Does nothing while a socket is open or
   * being opened, or after close(), so it never opens a second socket.
   */
  retryNow(): void {
    if (this.#stopped || this.#socket !== null || this.#reconnectTimer === null) return;
    this.#reconnectTimer = cancel(this.#reconnectTimer);
    this.#attempt = 0;
    void this.#open();
  }

  async #open(): Promise<void> {
    const generation = ++this.#generation;
    this.#setStatus({ status: "connecting", attempt: this.#attempt });
    this.#startAttemptDeadline(generation);
    let url: string;
    try {
      url = await this.#requestSocketUrl();
    } catch (error) {
      if (generation !== this.#generation || this.#stopped) return;
      const code = error instanceof TicketError ? error.code : "NETWORK_ERROR";
      const message = error instanceof Error ? error.message : String(error);
      this.#handlers.ticketError({ code, message });
      const terminalCode = error instanceof TicketError ? terminalTicketCode(error) : null;
      if (terminalCode !== null) this.#finish(terminalCode, message, true);
      else this.#scheduleReconnect(1006, message);
      return;
    }
    if (generation !== this.#generation || this.#stopped) return;
    let socket: WebSocketLike;
    try {
      socket = this.#openSocket(url);
    } catch (error) {
      this.#scheduleReconnect(1006, error instanceof Error ? error.message : String(error));
      return;
    }
    this.#socket = socket;
    this.#welcomed = false;
    socket.addEventListener("message", (event) => {
      if (this.#socket === socket) this.#onFrame(event.data);
    });
    socket.addEventListener("close", (event) => {
      if (this.#socket === socket) this.#onSocketClosed(event.code, event.reason);
    });
    // Started now rather than at the welcome, so a handshake that never completes is given up too.
    this.#lastFrameAt = Date.now();
    this.#startHeartbeat();
  }

  /**
   * A request or a handshake can stall without ever failing (a dropped packet, a proxy that holds it): give the
   * attempt up after connectTimeoutMs and try again. An open socket is the heartbeat's from then on, so a large
   * welcome on a slow link is not cut short.
   */
  #startAttemptDeadline(generation: number): void {
    this.#attemptTimer = cancel(this.#attemptTimer);
    if (this.#connectTimeoutMs <= 0) return;
    this.#attemptTimer = setTimeout(() => {
      this.#attemptTimer = null;
      if (generation !== this.#generation || this.#stopped) return;
      if (this.#socket?.readyState === SOCKET_OPEN) return;
      const reason = `no answer within ${this.#connectTimeoutMs / 1000} s`;
      this.#generation++;
      this.#abortTicketRequest();
      if (this.#socket) this.#dropSocket(CLIENT_DROP, reason);
      this.#scheduleReconnect(CLIENT_DROP, reason);
    }, this.#connectTimeoutMs);
  }

  #abortTicketRequest(): void {
    this.#ticketRequest?.abort();
    this.#ticketRequest = null;
  }

  /** Gets a ticket and builds the WebSocket URL with this client's id and the revision to resume from. */
  async #requestSocketUrl(): Promise<string> {
    let token: string;
    try {
      token = await this.#getToken();
    } catch (error) {
      throw new TicketError(0, "TOKEN_UNAVAILABLE", error instanceof Error ? error.message : String(error));
    }
    const request = new AbortController();
    this.#ticketRequest = request;
    const response = await this.#fetch(
      `${this.#baseUrl}/api/v1/sessions/${encodeURIComponent(this.#sessionId)}/ticket`,
      { method: "POST", headers: { Authorization: `Bearer ${token}` }, signal: request.signal },
    );
    const body = (await response.json().catch(() => null)) as {
      data?: { ws_url?: string };
      error?: { code?: string; message?: string };
    } | null;
    if (this.#ticketRequest === request) this.#ticketRequest = null;
    const wsUrl = body?.data?.ws_url;
    if (!response.ok || typeof wsUrl !== "string") {
      throw new TicketError(
        response.status,
        body?.error?.code ?? `HTTP_${response.status}`,
        body?.error?.message ?? `The ticket request failed with HTTP ${response.status}`,
      );
    }
    const url = new URL(wsUrl, this.#baseUrl);
    if (url.protocol === "http:" || url.protocol === "https:") url.protocol = url.protocol.replace("http", "ws");
    url.searchParams.set("client_id", this.#clientId);
    const sinceRev = this.#handlers.resumeFrom();
    if (sinceRev !== null) url.searchParams.set("since_rev", String(sinceRev));
    return url.toString();
  }

  #onFrame(data: unknown): void {
    this.#lastFrameAt = Date.now();
    if (typeof data !== "string") return;
    let message: ServerMessage;
    try {
      message = JSON.parse(data) as ServerMessage;
    } catch {
      return;
    }
    // The server speaks first with a welcome (or a refusal); anything else before it would be out of context.
    if (!this.#welcomed && message.type !== "welcome" && message.type !== "closing") return;
    if (message.type === "closing") this.#onClosing(message.code, message.reason);
    else this.#handlers.message(message);
  }

  #onSocketClosed(code: number, reason: string): void {
    this.#detachSocket();
    this.#afterClose(code, reason);
  }

  /**
   * The server said it is closing this connection: close it from this side and go on as its close would, now. The
   * socket is detached first, so its own close event, whenever it comes, is ignored.
   */
  #onClosing(code: number, reason: string): void {
    this.#dropSocket(1000, "closing");
    this.#afterClose(code, reason);
  }

  #afterClose(code: number, reason: string): void {
    if (TERMINAL_CLOSE_CODES.has(code)) {
      this.#finish(code, reason, true);
      return;
    }
    this.#handlers.serverClosed(code);
    this.#scheduleReconnect(code, reason);
  }

  /** Detaches the current socket and closes it from this side; its close event will not be acted on. */
  #dropSocket(code: number, reason: string): void {
    const socket = this.#socket;
    this.#detachSocket();
    try {
      socket?.close(code, reason);
    } catch {
      // already closing
    }
  }

  #scheduleReconnect(code: number, reason: string): void {
    this.#attemptTimer = cancel(this.#attemptTimer);
    const { initialMs, maxMs } = this.#backoff;
    // The exponent is capped so the product cannot overflow to Infinity (or NaN with initialMs 0).
    const ceiling = Math.min(maxMs, initialMs * 2 ** Math.min(this.#attempt, 30));
    const delayMs = Math.floor(this.#random() * ceiling);
    this.#attempt++;
    this.#setStatus({ status: "reconnecting", code, reason, attempt: this.#attempt, delayMs });
    this.#reconnectTimer = cancel(this.#reconnectTimer);
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = null;
      void this.#open();
    }, delayMs);
  }

  #finish(code: number, reason: string, terminal: boolean): void {
    this.#stopped = true;
    this.#generation++;
    this.#reconnectTimer = cancel(this.#reconnectTimer);
    this.#attemptTimer = cancel(this.#attemptTimer);
    this.#abortTicketRequest();
    this.#handlers.stopped();
    this.#setStatus({ status: "closed", code, reason, terminal });
    this.#ready?.reject(new RealtimeError("CLOSED", `The session connection closed (${code}): ${reason}`, code));
    this.#ready = null;
  }

  #detachSocket(): void {
    this.#socket = null;
    this.#welcomed = false;
    this.#heartbeatTimer = cancel(this.#heartbeatTimer);
    this.#handlers.detached();
  }

  #startHeartbeat(): void {
    if (this.#heartbeatMs <= 0) return;
    this.#heartbeatTimer = setTimeout(() => {
      this.#heartbeatTimer = null;
      if (Date.now() - this.#lastFrameAt >= 2 * this.#heartbeatMs) {
        this.reconnectNow("no answer to ping");
        return;
      }
      this.send({ type: "ping" });
      this.#startHeartbeat();
    }, this.#heartbeatMs);
  }

  #setStatus(event: StatusEvent): void {
    this.#status = event.status;
    this.#handlers.status(event);
  }
}
