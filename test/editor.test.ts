/**
 * The chord sheet editor's bridge between CodeMirror (UTF-16) and the realtime protocol (code points): edits as ops
 * and ops as edits, astral characters included, edits past one op's caps split, and undo that skips other people's
 * changes (the way SessionBinding brings them in).
 */
import { history, redo, undo } from "@codemirror/commands";
import { ChangeSet, EditorState, Text } from "@codemirror/state";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { applyOp, MAX_INSERT_CHARS, MAX_OP_COMPONENTS } from "../src/domain/ot";
import { MAX_FRAME_BYTES } from "../src/domain/protocol";
import { isWellFormed } from "../src/domain/text";
import {
  advanceCodePoints,
  changesToOps,
  opToChanges,
  toCodePointOffset,
  toUtf16Offset,
} from "../web/src/editor/positions";
import { SESSION_CHANGE } from "../web/src/editor/session-change";
import { editOp } from "../web/src/lib/text";

const sheet = fc
  .array(fc.constantFrom("C", "G", "[", "]", " ", "\n", "é", "🎸", "𝄞", "a", "\r"), { maxLength: 30 })
  .map((parts) => parts.join(""));

const doc = (text: string) => Text.of(text.split("\n"));

/** Random changes on `text` at any UTF-16 positions, a pair's middle included. */
function randomChanges(text: string, seeds: { at: number; length: number; insert: string }[]): ChangeSet {
  const specs = [];
  let floor = 0;
  for (const seed of [...seeds].sort((left, right) => left.at - right.at)) {
    const from = Math.max(floor, seed.at % (text.length + 1));
    const to = Math.min(text.length, from + seed.length);
    specs.push({ from, to, insert: seed.insert });
    floor = to + 1;
    if (floor > text.length) break;
  }
  return ChangeSet.of(specs, text.length, "\n");
}

describe("CodeMirror edits as ops", () => {
  it("make the same text on the session's side, whatever the characters", () => {
    fc.assert(
      fc.property(
        sheet,
        fc.array(fc.record({ at: fc.nat(), length: fc.nat({ max: 4 }), insert: sheet }), { maxLength: 4 }),
        (text, seeds) => {
          const before = doc(text);
          const changes = randomChanges(text, seeds);
          const after = changes.apply(before).toString();
          const result = changesToOps(before, changes).reduce((current, op) => applyOp(current, op), text);
          // A change that cuts a pair leaves lone halves, which the session never holds: only whole texts count.
          if (isWellFormed(after)) expect(result).toBe(after);
        },
      ),
    );
  });

  it("count code points: an emoji is one", () => {
    const before = doc("[G]🎸 solo");
    const typed = ChangeSet.of([{ from: 5, insert: "!" }], before.length, "\n");
    expect(changesToOps(before, typed)).toEqual([[4, "!"]]);
    const erased = ChangeSet.of([{ from: 3, to: 5 }], before.length, "\n");
    expect(changesToOps(before, erased)).toEqual([[3, { d: 1 }]]);
  });

  it("split a paste bigger than one op into several, each within the characters and the frame an op may have", () => {
    const frameBytes = (op: unknown) => new TextEncoder().encode(JSON.stringify(op)).length;
    const pastes = [
      "[D]la ".repeat(5_000), // 30,000 characters: past the 20,000 an op may insert
      "🎸".repeat(MAX_INSERT_CHARS - 5), // under 20,000 characters, but 4 bytes each: past the 64 KiB frame
      "\u0001".repeat(12_000), // 6 bytes each once escaped in JSON
    ];
    for (const paste of pastes) {
      const before = doc("intro\n");
      const changes = ChangeSet.of([{ from: 5, to: 6, insert: paste }], before.length, "\n");
      const ops = changesToOps(before, changes);
      expect(ops.length).toBeGreaterThan(1);
      for (const op of ops) expect(frameBytes({ type: "op", seq: 1, rev: 1, op })).toBeLessThan(MAX_FRAME_BYTES);
      expect(ops.reduce((text, op) => applyOp(text, op), "intro\n")).toBe(`intro${paste}`);
    }
  });

  it("send an edit with more pieces than one op may have as one replaced range", () => {
    const text = "[C]la\n".repeat(MAX_OP_COMPONENTS);
    const before = doc(text);
    // A capital at the start of every line: two components a line, over the cap.
    const changes = ChangeSet.of(
      Array.from({ length: MAX_OP_COMPONENTS }, (_, line) => ({ from: line * 6 + 3, to: line * 6 + 4, insert: "L" })),
      before.length,
      "\n",
    );
    const ops = changesToOps(before, changes);
    expect(ops).toHaveLength(1);
    expect(ops[0]!.length).toBeLessThanOrEqual(3);
    expect(applyOp(text, ops[0]!)).toBe("[C]La\n".repeat(MAX_OP_COMPONENTS));
  });
});

describe("ops as CodeMirror edits", () => {
  it("make the same text in the editor", () => {
    fc.assert(
      fc.property(sheet, sheet, (before, after) => {
        const start = doc(before);
        const changes = ChangeSet.of(opToChanges(start, editOp(before, after)), start.length, "\n");
        expect(changes.apply(start).toString()).toBe(after);
      }),
    );
  });

  it("convert positions both ways", () => {
    const text = doc("𝄞[G]🎸\nna");
    expect(toCodePointOffset(text, 7)).toBe(5);
    expect(toUtf16Offset(text, 5)).toBe(7);
    expect(advanceCodePoints(text, 2, 5)).toBe(8);
    expect(toUtf16Offset(text, 100)).toBe(text.length);
  });
});

describe("undo in a shared sheet", () => {
  it("takes back only this user's edits, wherever someone else's have moved them", () => {
    let state = EditorState.create({ doc: "[C]Let it be\n", extensions: [history()] });
    const run = (command: typeof undo) => {
      command({ state, dispatch: (transaction) => (state = transaction.state) });
    };
    state = state.update({ changes: { from: 12, insert: " yeah" }, userEvent: "input.type" }).state;
    // Someone else writes a line above: the history maps over it, and undo leaves it alone.
    state = state.update({ changes: { from: 0, insert: "{title: Let It Be}\n" }, annotations: SESSION_CHANGE }).state;
    expect(state.doc.toString()).toBe("{title: Let It Be}\n[C]Let it be yeah\n");
    run(undo);
    expect(state.doc.toString()).toBe("{title: Let It Be}\n[C]Let it be\n");
    run(redo);
    expect(state.doc.toString()).toBe("{title: Let It Be}\n[C]Let it be yeah\n");
  });
});
