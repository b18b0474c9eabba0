/**
 * A client of the service over real TCP, as `npm start` serves it: HTTP through fetch and WebSockets through `ws`,
 * with what arrives queued and timed. The workerd test pool's sockets live inside workerd and hide what only the
 * network shows (when a close reaches a client, a half-open socket); these do not.
 */
import WebSocket from "ws";

export interface User {
  id: string;
  email: string;
  token: string;
}

export interface Answer<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

export function service(baseUrl: string) {
  async function call<T = any>(
    method: string,
    path: string,
    options: { user?: User; token?: string; body?: unknown; rawBody?: string } = {},
  ): Promise<Answer<T>> {
    const headers: Record<string, string> = {};
    const token = options.token ?? options.user?.token;
    if (token) headers.Authorization = `Bearer ${token}`;
    let body: string | undefined = options.rawBody;
    if (options.body !== undefined) body = JSON.stringify(options.body);
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const response = await fetch(`${baseUrl}/api/v1${path}`, { method, headers, body });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      // not JSON
    }
    return { status: response.status, body: parsed as T, headers: response.headers };
  }

  let counter = 0;
  async function user(label: string, options: { email?: string; admin?: boolean } = {}): Promise<User> {
    counter += 1;
    const id = `${label}-${counter}-${crypto.randomUUID().slice(0, 8)}`;
    const email = options.email ?? `${id}@example.test`;
    const answer = await call("POST", "/dev/token", { body: { sub: id, email, name: label, admin: options.admin } });
    if (answer.status !== 200) throw new Error(`dev token: ${answer.status} ${JSON.stringify(answer.body)}`);
    return { id, email, token: answer.body.data.token };
  }

  async function song(owner: User, content = "[C]Let it [G]be") {
    const answer = await call("POST", "/songs", { user: owner, body: { title: "Let It Be", content } });
    if (answer.status !== 201) throw new Error(`song: ${answer.status} ${JSON.stringify(answer.body)}`);
    return answer.body.data as { id: number; content: string };
  }

  async function session(owner: User, fields: Record<string, unknown> = {}) {
    const songId = (fields.song_id as number | undefined) ?? (await song(owner)).id;
    const answer = await call("POST", "/sessions", {
      user: owner,
      body: { song_id: songId, name: "Rehearsal", ...fields },
    });
    if (answer.status !== 201) throw new Error(`session: ${answer.status} ${JSON.stringify(answer.body)}`);
    return answer.body.data;
  }

  /** Opens the session's socket with a fresh ticket (or a bearer token), waiting for the upgrade. */
  async function socket(
    who: User,
    sessionId: string,
    options: { clientId?: string; sinceRev?: number; bearer?: string } = {},
  ): Promise<Socket> {
    let url: string;
    const headers: Record<string, string> = {};
    if (options.bearer) {
      url = `${baseUrl.replace(/^http/, "ws")}/api/v1/sessions/${sessionId}/ws?x=1`;
      headers.Authorization = `Bearer ${options.bearer}`;
    } else {
      const ticket = await call("POST", `/sessions/${sessionId}/ticket`, { user: who });
      if (ticket.status !== 200) throw new Error(`ticket: ${ticket.status} ${JSON.stringify(ticket.body)}`);
      url = ticket.body.data.ws_url;
    }
    url += `&client_id=${options.clientId ?? crypto.randomUUID()}`;
    if (options.sinceRev !== undefined) url += `&since_rev=${options.sinceRev}`;
    return Socket.open(url, headers);
  }

  return { call, user, song, session, socket };
}

/** A WebSocket whose messages are queued with the time each arrived. */
export class Socket {
  readonly messages: { at: number; message: any }[] = [];
  /** When the close frame's code was seen by the client library, and when TCP ended. */
  closedAt: number | null = null;
  closeCode: number | null = null;
  tcpEndedAt: number | null = null;
  private readonly waiters: (() => void)[] = [];

  private constructor(readonly ws: WebSocket) {
    ws.on("message", (data) => {
      this.messages.push({ at: performance.now(), message: JSON.parse(String(data)) });
      this.wake();
    });
    ws.on("close", (code) => {
      this.closedAt = performance.now();
      this.closeCode = code;
      this.wake();
    });
  }

  static open(url: string, headers: Record<string, string> = {}): Promise<Socket> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { headers });
      const socket = new Socket(ws);
      ws.once("upgrade", (response) => {
        response.socket.once("close", () => {
          socket.tcpEndedAt = performance.now();
        });
      });
      ws.once("open", () => resolve(socket));
      ws.once("unexpected-response", (_request, response) => {
        reject(new HttpRefusal(response.statusCode ?? 0));
      });
      ws.once("error", reject);
    });
  }

  send(message: unknown): void {
    this.ws.send(typeof message === "string" ? message : JSON.stringify(message));
  }

  /** The first queued message of `type` (or of any of `a|b`), removed from the queue, with its arrival time. */
  async nextTimed(type: string, timeoutMs = 20_000): Promise<{ at: number; message: any }> {
    const types = type.split("|");
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const index = this.messages.findIndex((entry) => types.includes(entry.message.type));
      if (index >= 0) return this.messages.splice(index, 1)[0]!;
      const remaining = deadline - performance.now();
      if (remaining <= 0) {
        throw new Error(`no '${type}'; got ${JSON.stringify(this.messages.map((entry) => entry.message.type))}`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(remaining, 500));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  async next(type: string, timeoutMs?: number): Promise<any> {
    return (await this.nextTimed(type, timeoutMs)).message;
  }

  /** No message of `type` came before the object answered a probe sent now (it answers in order, one at a time). */
  async none(type: string): Promise<void> {
    const from = this.messages.length;
    this.send({ type: "probe" });
    const deadline = performance.now() + 20_000;
    for (;;) {
      const index = this.messages.findIndex((entry, at) => at >= from && entry.message.code === "INVALID_MESSAGE");
      if (index >= 0) {
        const before = this.messages.slice(0, index);
        this.messages.splice(index, 1);
        if (before.some((entry) => entry.message.type === type)) throw new Error(`unexpected '${type}'`);
        return;
      }
      if (performance.now() > deadline) throw new Error("the probe was never answered");
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  close(): void {
    this.ws.close(1000, "done");
  }

  private wake(): void {
    for (const waiter of this.waiters.splice(0)) waiter();
  }
}

export class HttpRefusal extends Error {
  constructor(readonly status: number) {
    super(`HTTP ${status}`);
  }
}
