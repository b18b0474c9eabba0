// Tests keeping the text in step (src/client/document-sync.ts): remote ops, catch-up, resends, remote cursors.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { RealtimeSession } from "../../src/client/realtime";
import { withServer } from "./fake-server";
import { connectAll, record, session, settle } from "./harness";

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(() => {
  vi.useRealTimers();
});

describe("RealtimeSession editing", () => {
  it("transforms a remote op over a local edit the server has not acknowledged yet", () =>
    withServer("Amazing grace", { alice: "owner", bob: "editor" }, async (server) => {
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
    }));

  it("keeps two clients converging through concurrent edits in every part of Unicode", () =>
    withServer("[C]Let it 😀 be, 中 ", { alice: "owner", bob: "editor" }, async (server) => {
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
    }));
});

describe("RealtimeSession reconnecting", () => {
  it("takes a lost ack from `missed` after reconnecting with since_rev, and never applies the op twice", () =>
    withServer("Let it be", { alice: "owner", bob: "editor" }, async (server) => {
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
    }));

  it("resends an op the server never received, with the same seq, and it is applied once", () =>
    withServer("Let it be", { alice: "owner" }, async (server) => {
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
    }));
});

describe("RealtimeSession after a message dropped for flooding", () => {
  it("sends the op in flight again, and the server applies it once", () =>
    withServer("Let it be", { alice: "owner" }, async (server) => {
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
    }));
});

describe("RealtimeSession presence", () => {
  it("keeps remote cursors on the local text through remote and local edits", () =>
    withServer("Let it be", { alice: "owner", bob: "editor", carol: "editor" }, async (server) => {
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
    }));

  it("places a cursor reported on the server's text past local edits still pending", () =>
    withServer("Let it be", { alice: "owner", bob: "editor" }, async (server) => {
      const alice = session(server, "alice");
      const bob = session(server, "bob");
      await connectAll(alice, bob);
      server.connection(alice.clientId).socket.peer.outgoing = "hold";
      alice.insert(0, "> ");
      bob.setPresence({ anchor: 4, head: 6 });
      await settle();
      expect(alice.presence.get("bob")?.cursor).toEqual({ anchor: 6, head: 8 });
    }));
});
