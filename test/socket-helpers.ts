/** A WebSocket client for tests: connects through the Worker like a browser would and queues what arrives. */
import { exports } from "cloudflare:workers";
import { api, type TestUser } from "./helpers";

export interface TestSocket {
  socket: WebSocket;
  messages: any[];
  closed: Promise<{ code: number; reason: string }>;
  send(message: unknown): void;
  /** The first queued message of this type, or of any of `a|b` (waiting for one), removed from the queue. */
  next(type: string, timeoutMs?: number): Promise<any>;
  /**
   * Resolves when no message of `type` has arrived by the time the object answers a message sent now on this
   * socket: the object handles events one at a time and sends on one socket in order, so whatever it sent this
   * socket before handling the probe arrives before the probe's answer. No sleeping.
   */
  none(type: string): Promise<void>;
  close(): void;
}

export async function ticketUrl(user: TestUser, sessionId: string): Promise<string> {
  const response = await api("POST", `/sessions/${sessionId}/ticket`, { user });
  if (response.status !== 200) throw new Error(`ticket: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body.data.ws_url;
}

export async function openSocket(url: string, headers: Record<string, string> = {}): Promise<Response> {
  const parsed = new URL(url);
  return exports.default.fetch(`http://sessions.test${parsed.pathname}${parsed.search}`, {
    headers: { Upgrade: "websocket", ...headers },
  });
}

export async function connect(
  user: TestUser,
  sessionId: string,
  options: { clientId?: string; sinceRev?: number } = {},
): Promise<TestSocket> {
  let url = await ticketUrl(user, sessionId);
  url += `&client_id=${options.clientId ?? crypto.randomUUID()}`;
  if (options.sinceRev !== undefined) url += `&since_rev=${options.sinceRev}`;
  const response = await openSocket(url);
  if (response.status !== 101 || !response.webSocket) {
    throw new Error(`upgrade: ${response.status} ${await response.text()}`);
  }
  return wrap(response.webSocket);
}

export function wrap(socket: WebSocket): TestSocket {
  const messages: any[] = [];
  const waiters: (() => void)[] = [];
  let resolveClosed: (value: { code: number; reason: string }) => void = () => {};
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    resolveClosed = resolve;
  });
  socket.accept();
  socket.addEventListener("message", (event) => {
    messages.push(JSON.parse(event.data as string));
    for (const waiter of waiters.splice(0)) waiter();
  });
  socket.addEventListener("close", (event) => {
    resolveClosed({ code: event.code, reason: event.reason });
    for (const waiter of waiters.splice(0)) waiter();
  });
  const take = (type: string) => {
    const types = type.split("|");
    const index = messages.findIndex((message) => types.includes(message.type));
    if (index < 0) return undefined;
    return messages.splice(index, 1)[0];
  };
  return {
    socket,
    messages,
    closed,
    send: (message) => socket.send(typeof message === "string" ? message : JSON.stringify(message)),
    // Generous: a busy machine may take seconds to deliver what a quiet one delivers at once.
    async next(type, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = take(type);
        if (found) return found;
        const remaining = deadline - Date.now();
        if (remaining <= 0) throw new Error(`no '${type}' message; got ${JSON.stringify(messages.map((m) => m.type))}`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, remaining);
          waiters.push(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
    },
    async none(type) {
      // A message of an unknown type: the object answers it with an INVALID_MESSAGE error on this socket.
      const from = messages.length;
      socket.send(JSON.stringify({ type: "probe" }));
      const deadline = Date.now() + 20_000;
      const answered = () =>
        messages.findIndex((message, index) => index >= from && message.code === "INVALID_MESSAGE");
      while (answered() < 0) {
        if (Date.now() > deadline) throw new Error("the object never answered the probe");
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, 100);
          waiters.push(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
      const index = answered();
      const before = messages.slice(0, index);
      messages.splice(index, 1);
      if (before.some((message) => message.type === type)) throw new Error(`unexpected '${type}' message`);
    },
    close: () => socket.close(1000, "done"),
  };
}
