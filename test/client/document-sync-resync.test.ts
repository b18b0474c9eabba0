// Tests starting over (src/client/document-sync.ts, rebase-unsent.ts): refusals, 1009, RESYNC_REQUIRED, `resync`.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { RealtimeEvents, RealtimeSession } from "../../src/client/realtime";
import { applyOp } from "../../src/domain/ot";
import type { ServerMessage } from "../../src/domain/protocol";
import { type FakeServer, withServer } from "./fake-server";
import { connectAll, record, session, settle } from "./harness";

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(() => {
  vi.useRealTimers();
});

describe("RealtimeSession starting over", () => {
  it("resyncs after an error for the op in flight and reports the lost edits", () =>
    withServer("Amazing grace", { alice: "owner", bob: "editor" }, async (server) => {
      const alice = session(server, "alice");
      const bob = session(server, "bob");
      await connectAll(alice, bob);
      const errors = record(alice, "error");
      const lost = record(alice, "lost_edits");
      const texts = record(alice, "text");

      server.failNextOps.push("DOCUMENT_TOO_LARGE");
      alice.insert(0, "[G]");
      alice.insert(3, "[D]");
      await settle();

      expect(errors).toEqual([{ code: "DOCUMENT_TOO_LARGE", message: "Refused: DOCUMENT_TOO_LARGE", seq: 1 }]);
      expect(lost).toEqual([{ ops: [["[G]"], [3, "[D]"]], text: "[G][D]Amazing grace", reason: "DOCUMENT_TOO_LARGE" }]);
      expect(server.urls.at(-1)?.searchParams.has("since_rev")).toBe(false);
      expect(texts.at(-1)).toEqual({ text: "Amazing grace", op: [{ d: "[G][D]" }], origin: "remote" });
      expect(alice.text).toBe("Amazing grace");
      expect(alice.synchronized).toBe(true);

      // The refused seq is not reused: the server would take a reused one for a duplicate.
      alice.insert(0, "[A]");
      await settle();
      expect(server.opsFrom(alice.clientId).map((frame) => frame.seq)).toEqual([1, 2]);
      expect(server.text).toBe("[A]Amazing grace");
      expect(bob.text).toBe(server.text);
    }));

  it("ignores an error for an op that is no longer in flight", () =>
    withServer("Amazing grace", { alice: "owner" }, async (server) => {
      const alice = session(server, "alice");
      await connectAll(alice);
      const errors = record(alice, "error");
      const statuses = record(alice, "status");
      alice.insert(0, "x");
      await settle();
      server
        .connection(alice.clientId)
        .socket.send(
          JSON.stringify({ type: "error", code: "INVALID_OP", message: "late", seq: 1 } satisfies ServerMessage),
        );
      await settle();
      expect(errors).toHaveLength(1);
      expect(statuses).toEqual([]);
      expect(alice.text).toBe("xAmazing grace");
    }));

  it("keeps an unsent edit when the server no longer has since_rev, and sends it with a new seq", () =>
    withServer("Let it be", { alice: "owner", bob: "editor" }, async (server) => {
      const alice = session(server, "alice");
      const bob = session(server, "bob");
      await connectAll(alice, bob);
      const lost = record(alice, "lost_edits");
      const resynced = record(alice, "resynced");

      const connection = server.connection(alice.clientId);
      connection.socket.outgoing = "drop";
      connection.socket.peer.outgoing = "drop";
      alice.insert(9, "!");
      bob.insert(0, "[G]");
      bob.insert(3, "[C]");
      await settle();
      // Past the sequencer's window: it can no longer replay what came after since_rev 0.
      server.moveFarAhead();
      const welcomeRev = server.rev;
      connection.socket.abort();
      await settle();

      expect(server.urls.at(-1)?.searchParams.get("since_rev")).toBe("0");
      expect(lost).toEqual([]);
      expect(resynced).toEqual([{ reason: "RESYNC", kept: [[15, "!"]], text: "[G][C]Let it be!" }]);
      // Seq 1 went out before the drop: the edit goes again as seq 2, so a late seq 1 could not count twice.
      expect(server.opsFrom(alice.clientId)).toEqual([{ seq: 2, rev: welcomeRev, op: [15, "!"] }]);
      expect(server.text).toBe("[G][C]Let it be!");
      expect(alice.text).toBe(server.text);
      expect(bob.text).toBe(server.text);
      expect(alice.rev).toBe(server.rev);
      expect(alice.synchronized).toBe(true);
    }));

  it("starts over after the server closes with 1009", () =>
    withServer("Let it be", { alice: "owner" }, async (server) => {
      const alice = session(server, "alice");
      await connectAll(alice);
      const lost = record(alice, "lost_edits");
      server.connection(alice.clientId).socket.peer.outgoing = "drop";
      alice.insert(0, "big");
      server.connection(alice.clientId).socket.close(1009, "too big");
      await settle();
      expect(lost).toEqual([{ ops: [["big"]], text: "bigLet it be", reason: "MESSAGE_TOO_BIG" }]);
      expect(server.urls.at(-1)?.searchParams.has("since_rev")).toBe(false);
      expect(alice.text).toBe("Let it be");
      expect(alice.status).toBe("connected");
    }));
});

/** Every `text` event turns the text before it into its own text. */
function expectChained(start: string, events: RealtimeEvents["text"][]): void {
  let text = start;
  for (const event of events) {
    expect(applyOp(text, event.op)).toBe(event.text);
    text = event.text;
  }
}

const occurrences = (text: string, part: string) => text.split(part).length - 1;
describe("RealtimeSession resyncing", () => {
  /** Alice loses her connection and stays away a second; the next attempt waits for the test. */
  async function disconnectAlice(server: FakeServer, alice: RealtimeSession): Promise<void> {
    server.connection(alice.clientId).socket.abort();
    await settle();
    expect(alice.status).toBe("reconnecting");
  }

  const slowBackoff = { backoff: { initialMs: 1_000, maxMs: 1_000 }, random: () => 0.999 };

  it("keeps edits typed while the server moved far ahead, and each reaches the server once", () => {
    const start = "[C]Let it be\n[G]Speaking words of wisdom";
    return withServer(start, { alice: "owner", bob: "editor" }, async (server) => {
      const alice = session(server, "alice", slowBackoff);
      const bob = session(server, "bob");
      await connectAll(alice, bob);
      const texts = record(alice, "text");
      const lost = record(alice, "lost_edits");
      const resynced = record(alice, "resynced");

      await disconnectAlice(server, alice);
      alice.insert(0, "♪ ");
      alice.insert(alice.text.indexOf("\n"), " (x2)");
      alice.delete(alice.text.indexOf("words "), 6);
      expect(alice.text).toBe("♪ [C]Let it be (x2)\n[G]Speaking of wisdom");

      bob.insert(bob.text.indexOf("Speaking"), "[Am]");
      bob.delete(bob.text.indexOf("it "), 3);
      for (let line = 0; line < 30; line++) bob.insert(bob.text.length, `\n[F]line ${line}`);
      await settle();
      server.moveFarAhead();
      await vi.advanceTimersByTimeAsync(1_000);
      await settle();

      const lines = Array.from({ length: 30 }, (_, line) => `\n[F]line ${line}`).join("");
      expect(server.text).toBe(`♪ [C]Let be (x2)\n[G][Am]Speaking of wisdom${lines}`);
      expect(alice.text).toBe(server.text);
      expect(bob.text).toBe(server.text);
      expect(alice.synchronized).toBe(true);
      expect(lost).toEqual([]);
      expect(resynced).toEqual([{ reason: "RESYNC", kept: expect.any(Array), text: expect.any(String) }]);
      expect(resynced[0]?.kept).toHaveLength(2);
      expect([
        occurrences(server.text, "♪"),
        occurrences(server.text, "(x2)"),
        occurrences(server.text, "words"),
      ]).toEqual([1, 1, 0]);
      // Seq 1 was in flight when the connection dropped and was never applied: the edits go again as new seqs.
      expect(server.opsFrom(alice.clientId).map((frame) => frame.seq)).toEqual([2, 3]);
      expect(server.log.filter((entry) => entry.client_id === alice.clientId).map((entry) => entry.seq)).toEqual([
        2, 3,
      ]);
      expectChained(start, texts);
    });
  });

  it("does not apply again an op in flight the server applied before the drop (last_seq covers it)", () =>
    withServer("Let it be", { alice: "owner", bob: "editor" }, async (server) => {
      const alice = session(server, "alice", slowBackoff);
      const bob = session(server, "bob");
      await connectAll(alice, bob);
      const lost = record(alice, "lost_edits");
      const resynced = record(alice, "resynced");

      // The server applies seq 1 but its ack is lost; a later edit waits behind it.
      server.connection(alice.clientId).socket.outgoing = "drop";
      alice.insert(9, " [C]");
      await settle();
      expect(server.log).toHaveLength(1);
      alice.insert(0, "♪ ");
      bob.insert(0, "[G]");
      await settle();
      server.moveFarAhead();
      await disconnectAlice(server, alice);
      await vi.advanceTimersByTimeAsync(1_000);
      await settle();

      expect(server.text).toBe("[G]♪ Let it be [C]");
      expect(alice.text).toBe(server.text);
      expect(bob.text).toBe(server.text);
      expect(server.log.filter((entry) => entry.client_id === alice.clientId).map((entry) => entry.seq)).toEqual([
        1, 2,
      ]);
      expect(lost).toEqual([]);
      expect(resynced).toEqual([{ reason: "RESYNC", kept: [[3, "♪ "]], text: "[G]♪ Let it be [C]" }]);
      expect(alice.synchronized).toBe(true);
    }));

  it("counts positions in code points around astral characters", () =>
    withServer("😀 Let it be 🎸", { alice: "owner", bob: "editor" }, async (server) => {
      const alice = session(server, "alice", slowBackoff);
      const bob = session(server, "bob");
      await connectAll(alice, bob);
      const resynced = record(alice, "resynced");
      const texts = record(alice, "text");

      await disconnectAlice(server, alice);
      alice.insert(6, "[G]");
      alice.insert(16, "👍🏽");
      expect(alice.text).toBe("😀 Let [G]it be 🎸👍🏽");
      bob.insert(0, "🎹🎹 ");
      bob.delete(3, 2);
      bob.insert(10, "和音");
      await settle();
      expect(bob.text).toBe("🎹🎹 Let it 和音be 🎸");
      server.moveFarAhead();
      await vi.advanceTimersByTimeAsync(1_000);
      await settle();

      expect(resynced).toEqual([
        {
          reason: "RESYNC",
          kept: [
            [7, "[G]"],
            [19, "👍🏽"],
          ],
          text: "🎹🎹 Let [G]it 和音be 🎸👍🏽",
        },
      ]);
      expect(server.text).toBe("🎹🎹 Let [G]it 和音be 🎸👍🏽");
      expect(alice.text).toBe(server.text);
      expect(bob.text).toBe(server.text);
      expectChained("😀 Let it be 🎸", texts);
    }));

  it("keeps the op in flight and what follows it after RESYNC_REQUIRED", () =>
    withServer("Let it be", { alice: "owner", bob: "editor" }, async (server) => {
      const alice = session(server, "alice");
      const bob = session(server, "bob");
      await connectAll(alice, bob);
      const errors = record(alice, "error");
      const statuses = record(alice, "status");
      const lost = record(alice, "lost_edits");
      const resynced = record(alice, "resynced");

      server.failNextOps.push("RESYNC_REQUIRED");
      alice.insert(9, "!");
      alice.insert(0, "[G]");
      bob.insert(3, " it");
      await settle();

      expect(errors).toEqual([{ code: "RESYNC_REQUIRED", message: "Refused: RESYNC_REQUIRED", seq: 1 }]);
      expect(statuses[0]).toMatchObject({ status: "reconnecting", code: 4000 });
      expect(server.urls.at(-1)?.searchParams.has("since_rev")).toBe(false);
      expect(lost).toEqual([]);
      expect(resynced).toEqual([{ reason: "RESYNC_REQUIRED", kept: [[12, "!"], ["[G]"]], text: "[G]Let it it be!" }]);
      expect(server.opsFrom(alice.clientId).map((frame) => frame.seq)).toEqual([1, 2, 3]);
      expect(server.text).toBe("[G]Let it it be!");
      expect(alice.text).toBe(server.text);
      expect(bob.text).toBe(server.text);
    }));

  it("reports as lost only the edit that no longer fits the document, and keeps the one before it", () =>
    withServer("Let it be", { alice: "owner", bob: "editor" }, async (server) => {
      const alice = session(server, "alice", slowBackoff);
      const bob = session(server, "bob");
      await connectAll(alice, bob);
      const lost = record(alice, "lost_edits");
      const resynced = record(alice, "resynced");

      await disconnectAlice(server, alice);
      alice.insert(0, "[G]");
      const long = "x".repeat(20_000);
      alice.insert(12, long);
      const filler = "y".repeat(18_000);
      for (let step = 0; step < 5; step++) bob.insert(bob.text.length, filler);
      await settle();
      server.moveFarAhead();
      await vi.advanceTimersByTimeAsync(1_000);
      await settle();

      const expected = `[G]Let it be${filler.repeat(5)}`;
      expect(lost).toEqual([{ ops: [[12, long]], text: `[G]Let it be${long}`, reason: "RESYNC" }]);
      expect(resynced).toEqual([{ reason: "RESYNC", kept: [["[G]"]], text: expected }]);
      expect(server.text).toBe(expected);
      expect(alice.text).toBe(expected);
      expect(alice.synchronized).toBe(true);
    }));
});
