/**
 * The SDK and the session object agree on what an op is: (user, client_id, seq). A client id kept across a reload
 * goes on after the seqs the server applied, and another user's op with the same client id is never taken for one's
 * own acknowledgement.
 */
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { RealtimeSession, type WebSocketLike } from "../src/client/realtime";
import { api, createSession, newUser, type TestUser } from "./helpers";
import { connect } from "./socket-helpers";

type Listener = (event: any) => void;

/** A WebSocket over the Worker's upgrade that can stop sending (as a network that loses frames) and be cut. */
class LossySocket implements WebSocketLike {
  readyState = 0;
  dropOutgoing = false;
  private socket: WebSocket | null = null;
  private readonly listeners = new Map<string, Listener[]>();

  constructor(url: string) {
    const parsed = new URL(url);
    void exports.default
      .fetch(`http://sessions.test${parsed.pathname}${parsed.search}`, { headers: { Upgrade: "websocket" } })
      .then((response) => {
        const socket = response.webSocket;
        if (!socket) return this.finish(1006);
        socket.accept();
        this.socket = socket;
        this.readyState = 1;
        socket.addEventListener("message", (event) => this.emit("message", { data: event.data }));
        socket.addEventListener("close", (event) => this.finish(event.code));
        this.emit("open", {});
      });
  }

  addEventListener(type: string, listener: Listener): void {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener]);
  }

  send(data: string): void {
    if (!this.dropOutgoing) this.socket?.send(data);
  }

  close(code = 1000, reason = ""): void {
    if (this.readyState >= 2) return;
    try {
      this.socket?.close(code, reason);
    } catch {
      // closing
    }
    this.finish(code);
  }

  cut(): void {
    this.close(1001, "network");
    this.finish(1006);
  }

  private finish(code: number): void {
    if (this.readyState === 3) return;
    this.readyState = 3;
    this.emit("close", { code, reason: "" });
  }

  private emit(type: string, event: object): void {
    for (const listener of this.listeners.get(type) ?? []) listener(event);
  }
}

function client(user: TestUser, sessionId: string, clientId: string, sockets: LossySocket[] = []): RealtimeSession {
  return new RealtimeSession({
    baseUrl: "http://sessions.test",
    sessionId,
    clientId,
    getToken: () => user.token,
    fetch: (input, init) => exports.default.fetch(input as RequestInfo, init),
    connect: (url) => {
      const socket = new LossySocket(url);
      sockets.push(socket);
      return socket;
    },
    backoff: { initialMs: 5, maxMs: 20 },
    heartbeatMs: 0,
  });
}

async function until(condition: () => boolean, what: string) {
  const deadline = Date.now() + 20_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function serverText(user: TestUser, sessionId: string): Promise<string> {
  const socket = await connect(user, sessionId);
  const welcome = await socket.next("welcome");
  socket.close();
  return welcome.doc.content;
}

async function jam() {
  const owner = await newUser("owner");
  const other = await newUser("other");
  const session = await createSession(owner, { template_id: 3, access_mode: "link-access" });
  await api("POST", `/sessions/${session.id}/join`, {
    user: other,
    body: { invitation_code: session.invitation_code },
  });
  return { owner, other, session };
}

describe("op identity between the SDK and the object", () => {
  it("a client id kept across a reload goes on after the seqs the server already applied", async () => {
    const { owner, session } = await jam();
    const first = client(owner, session.id, "kept-tab");
    await first.connect();
    for (const word of ["a", "b", "c"]) first.insert(0, word);
    await until(() => first.synchronized, "the first page's edits");
    first.close();
    const reloaded = client(owner, session.id, "kept-tab");
    await reloaded.connect();
    reloaded.insert(0, "after reload ");
    await until(() => reloaded.synchronized, "the reloaded page's edit");
    expect(await serverText(owner, session.id)).toBe(reloaded.text);
    expect(reloaded.text.startsWith("after reload ")).toBe(true);
    reloaded.close();
  });

  it("another user's op with this client id and the seq in flight is not taken for its acknowledgement", async () => {
    const { owner, other, session } = await jam();
    const sockets: LossySocket[] = [];
    const victim = client(owner, session.id, "shared", sockets);
    await victim.connect();
    victim.insert(0, "V");
    await until(() => victim.synchronized, "the first edit");
    // The victim's next op never reaches the server…
    sockets.at(-1)!.dropOutgoing = true;
    victim.insert(0, "W");
    // …while someone else, reusing the client id seen in a welcome, sends an op with the same seq.
    const attacker = await connect(other, session.id, { clientId: "shared" });
    const welcome = await attacker.next("welcome");
    attacker.send({ type: "op", seq: 2, rev: welcome.doc.rev, op: ["X"] });
    expect(await attacker.next("ack")).toMatchObject({ seq: 2 });
    sockets.at(-1)!.cut();
    await until(
      () => victim.status === "connected" && victim.synchronized && sockets.length > 1,
      "the victim to resync",
    );
    const text = await serverText(owner, session.id);
    expect(victim.text).toBe(text);
    expect(text).toContain("W");
    expect(text).toContain("X");
    victim.close();
    attacker.close();
  });
});
