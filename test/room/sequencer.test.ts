/**
 * The sequencer on a real Durable Object's SQLite storage, without the rest of the session: op identity, the kept
 * window, trimming, the bound on work per op and on a catch-up, and what a recording still needs.
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { applyOp, type TextOp } from "../../src/domain/ot";
import { RoomFailure } from "../../src/room/result";
import {
  CHECKPOINT_EVERY,
  MAX_LOG_BYTES,
  OP_WINDOW,
  type OpSubmission,
  Sequencer,
  type SubmitResult,
} from "../../src/room/sequencer";

const START = "[C]Let it [G]be";
const KEEP_ALL = () => Number.POSITIVE_INFINITY;

/** A sequencer over a fresh object's storage (the object holds no session, so nothing else uses the tables). */
async function withSequencer<T>(body: (sequencer: Sequencer, sql: SqlStorage) => T): Promise<T> {
  const stub = env.SESSION_ROOM.get(env.SESSION_ROOM.newUniqueId());
  return runInDurableObject(stub, (_room, state) => {
    const sequencer = new Sequencer(state.storage, () => new Date().toISOString());
    sequencer.create(START);
    return body(sequencer, state.storage.sql);
  });
}

function submit(sequencer: Sequencer, submission: Partial<OpSubmission>, keepFrom = KEEP_ALL): SubmitResult {
  return sequencer.submit(
    { userId: "ann", clientId: "tab", seq: 1, baseRev: sequencer.document().rev, op: ["x"], ...submission },
    keepFrom,
  );
}

function refusal(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (error instanceof RoomFailure) return error.error.code;
    throw error;
  }
  throw new Error("expected a refusal");
}

/** `count` one-character inserts from one client, seqs from `firstSeq`. */
function type(sequencer: Sequencer, count: number, firstSeq = 1, keepFrom = KEEP_ALL): void {
  for (let index = 0; index < count; index += 1) submit(sequencer, { seq: firstSeq + index, op: ["a"] }, keepFrom);
}

const rows = (sql: SqlStorage) => sql.exec<{ n: number }>("SELECT count(*) AS n FROM ops").one().n;

describe("op identity is (user, client_id, seq)", () => {
  it("another user reusing a client id does not make an op look like a resend", async () => {
    await withSequencer((sequencer) => {
      expect(submit(sequencer, { userId: "ann", clientId: "shared", seq: 1, op: ["A"] })).toMatchObject({ rev: 1 });
      expect(submit(sequencer, { userId: "bob", clientId: "shared", seq: 2, op: ["B"] })).toMatchObject({ rev: 2 });
      const annsNext = submit(sequencer, { userId: "ann", clientId: "shared", seq: 2, baseRev: 1, op: ["C"] });
      // Rebased over bob's op (which it had not seen), so it lands after it.
      expect(annsNext).toEqual({ kind: "applied", rev: 3, op: [1, "C"] });
      expect(sequencer.document().content).toBe(`BCA${START}`);
    });
  });

  it("a resend with a newer base revision is acknowledged, never applied twice", async () => {
    await withSequencer((sequencer) => {
      expect(submit(sequencer, { seq: 1, baseRev: 0, op: ["ONCE "] })).toEqual({
        kind: "applied",
        rev: 1,
        op: ["ONCE "],
      });
      submit(sequencer, { userId: "bob", clientId: "b", seq: 1, op: ["x"] });
      expect(submit(sequencer, { seq: 1, baseRev: 2, op: ["ONCE "] })).toEqual({ kind: "duplicate", rev: 1 });
      expect(sequencer.document().content).toBe(`xONCE ${START}`);
    });
  });

  it("recognises a resend after a restart, and one whose row left the log is refused, not applied", async () => {
    const stub = env.SESSION_ROOM.get(env.SESSION_ROOM.newUniqueId());
    await runInDurableObject(stub, (_room, state) => {
      const first = new Sequencer(state.storage, () => new Date().toISOString());
      first.create(START);
      type(first, OP_WINDOW + 2 * CHECKPOINT_EVERY);
      // A new sequencer over the same storage is what the object builds after a restart.
      const restarted = new Sequencer(state.storage, () => new Date().toISOString());
      const last = OP_WINDOW + 2 * CHECKPOINT_EVERY;
      expect(submit(restarted, { seq: last, baseRev: last - 1 })).toEqual({ kind: "duplicate", rev: last });
      expect(restarted.lastSeq("ann", "tab")).toBe(last);
      expect(refusal(() => submit(restarted, { seq: 1 }))).toBe("RESYNC_REQUIRED");
      // Its text is the last checkpoint's plus the ops after it: every "a" typed, none lost or doubled.
      expect(restarted.document()).toMatchObject({ rev: last, content: `${"a".repeat(last)}${START}` });
    });
  });
});

describe("the kept window", () => {
  it("refuses an op based on a revision older than the window with RESYNC_REQUIRED", async () => {
    await withSequencer((sequencer) => {
      type(sequencer, OP_WINDOW + CHECKPOINT_EVERY);
      const before = sequencer.document();
      expect(refusal(() => submit(sequencer, { clientId: "late", seq: 1, baseRev: 0 }))).toBe("RESYNC_REQUIRED");
      expect(refusal(() => submit(sequencer, { clientId: "late", seq: 1, baseRev: before.rev - OP_WINDOW - 1 }))).toBe(
        "RESYNC_REQUIRED",
      );
      expect(submit(sequencer, { clientId: "late", seq: 1, baseRev: before.rev - OP_WINDOW })).toMatchObject({
        kind: "applied",
      });
    });
  });

  it("trims the log after checkpoints, keeping the text, the edit counts and a window of ops", async () => {
    await withSequencer((sequencer, sql) => {
      type(sequencer, 3 * OP_WINDOW);
      submit(sequencer, { userId: "bob", clientId: "b", seq: 1, op: ["b"] });
      expect(rows(sql)).toBeLessThanOrEqual(OP_WINDOW + CHECKPOINT_EVERY);
      expect(sequencer.logFloor()).toBeGreaterThan(0);
      const text = sequencer.document().content;
      expect(text).toBe(`b${"a".repeat(3 * OP_WINDOW)}${START}`);
      expect(Object.fromEntries(sequencer.editCounts())).toEqual({ ann: 3 * OP_WINDOW, bob: 1 });
      // Counted again from storage, as after a restart.
      expect(
        Object.fromEntries(new Sequencer({ sql, transactionSync: (body) => body() }, () => "").editCounts()),
      ).toEqual({ ann: 3 * OP_WINDOW, bob: 1 });
    });
  });

  it("keeps at most MAX_LOG_BYTES of op text", async () => {
    await withSequencer((sequencer, sql) => {
      const big = "x".repeat(20_000);
      for (let seq = 1; seq <= 2 * CHECKPOINT_EVERY; seq += 1) {
        const rev = sequencer.document().rev;
        // Insert, then delete it again, so the text stays small while the log grows.
        submit(sequencer, { seq: 2 * seq - 1, baseRev: rev, op: [big] });
        submit(sequencer, { seq: 2 * seq, baseRev: rev + 1, op: [{ d: big }] });
      }
      const bytes = sql.exec<{ n: number }>("SELECT sum(length(op)) AS n FROM ops").one().n;
      expect(bytes).toBeLessThanOrEqual(MAX_LOG_BYTES + CHECKPOINT_EVERY * 20_010);
      expect(sequencer.document().content).toBe(START);
    });
  });

  it("never trims an op a recording still has to write", async () => {
    await withSequencer((sequencer, sql) => {
      type(sequencer, 3 * OP_WINDOW, 1, () => 5);
      expect(sequencer.logFloor()).toBe(5);
      expect(rows(sql)).toBe(3 * OP_WINDOW - 5);
    });
  });

  it("refuses an op whose rebase would cost more than the budget", async () => {
    await withSequencer((sequencer) => {
      // Each op replaces every other character, in 999 components; the text keeps its length.
      const wide: TextOp = [];
      for (let index = 0; index < 333; index += 1) wide.push({ d: 1 }, "w", 1);
      for (let seq = 1; seq <= 300; seq += 1) submit(sequencer, { seq, op: seq === 1 ? ["w".repeat(700)] : wide });
      const rev = sequencer.document().rev;
      expect(refusal(() => submit(sequencer, { clientId: "slow", seq: 1, baseRev: rev - 299, op: wide }))).toBe(
        "RESYNC_REQUIRED",
      );
      expect(sequencer.document().rev).toBe(rev);
      // A small op from the same revision is cheap enough.
      expect(submit(sequencer, { clientId: "slow", seq: 1, baseRev: rev - 100, op: ["s"] })).toMatchObject({
        kind: "applied",
      });
    });
  });
});

describe("catching up", () => {
  it("sends the missed ops within the window and a resync beyond it or beyond the byte bound", async () => {
    await withSequencer((sequencer) => {
      type(sequencer, 10);
      const catchUp = sequencer.catchUp(7);
      expect(catchUp).toEqual({
        missed: [8, 9, 10].map((rev) => ({ rev, op: ["a"], user_id: "ann", client_id: "tab", seq: rev })),
      });
      expect(sequencer.catchUp(11)).toEqual({ resync: true });
      type(sequencer, OP_WINDOW, 11);
      expect(sequencer.catchUp(0)).toEqual({ resync: true });
      let text = `${"a".repeat(20)}${START}`;
      for (const missed of (sequencer.catchUp(20) as { missed: { op: TextOp }[] }).missed) {
        text = applyOp(text, missed.op);
      }
      expect(text).toBe(sequencer.document().content);
    });
  });

  it("bounds a catch-up by bytes", async () => {
    await withSequencer((sequencer) => {
      const big = "y".repeat(19_000);
      for (let seq = 1; seq <= 120; seq += 2) {
        const rev = sequencer.document().rev;
        submit(sequencer, { seq, baseRev: rev, op: [big] });
        submit(sequencer, { seq: seq + 1, baseRev: rev + 1, op: [{ d: big }] });
      }
      expect(sequencer.catchUp(0)).toEqual({ resync: true });
      expect(sequencer.catchUp(sequencer.document().rev - 2)).toMatchObject({ missed: expect.any(Array) });
    });
  });
});
