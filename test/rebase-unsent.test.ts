import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { rebaseUnsent } from "../src/client/rebase-unsent";
import { applyOp, checkOpAgainst, codePointLength, type TextOp } from "../src/domain/ot";
import { diffOp } from "../src/domain/text-diff";

// Chords, accents (precomposed and combining), emoji with modifiers and joiners, CJK, line breaks.
const TOKENS = ["a", "b", " ", "\n", "[C]", "[G]", "é", "e\u0301", "😀", "👍🏽", "👩‍👩‍👧", "🎸", "和", "音"];
const textArbitrary = fc.array(fc.constantFrom(...TOKENS), { maxLength: 24 }).map((tokens) => tokens.join(""));

const editArbitrary = fc.record({
  at: fc.double({ min: 0, max: 1, noNaN: true }),
  deleteLength: fc.nat({ max: 4 }),
  insert: fc.array(fc.constantFrom(...TOKENS), { maxLength: 3 }).map((tokens) => tokens.join("")),
});
type Edit = typeof editArbitrary extends fc.Arbitrary<infer T> ? T : never;

/** An op that deletes and inserts at one place of `text`, in code points; empty when the edit does nothing. */
function opFor(text: string, edit: Edit): TextOp {
  const length = codePointLength(text);
  const position = Math.min(length, Math.floor(edit.at * (length + 1)));
  const deleted = Math.min(edit.deleteLength, length - position);
  return [
    ...(position > 0 && (deleted > 0 || edit.insert) ? [position] : []),
    ...(deleted > 0 ? [{ d: deleted }] : []),
    ...(edit.insert ? [edit.insert] : []),
  ];
}

/** Applies `edits` one after the other: the ops, and the text after each. */
function editSequence(text: string, edits: Edit[]): { ops: TextOp[]; texts: string[] } {
  const ops: TextOp[] = [];
  const texts: string[] = [];
  let current = text;
  for (const edit of edits) {
    const op = opFor(current, edit);
    if (op.length === 0) continue;
    current = applyOp(current, op);
    ops.push(op);
    texts.push(current);
  }
  return { ops, texts };
}

describe("diffOp", () => {
  it("turns one text into the other, in code points, never splitting a character", () => {
    fc.assert(
      fc.property(textArbitrary, textArbitrary, (before, after) => {
        const op = diffOp(before, after);
        expect(checkOpAgainst(before, op)).toBeNull();
        expect(applyOp(before, op)).toBe(after);
      }),
      { seed: 20_260_301, numRuns: 500 },
    );
  });

  it("keeps the characters the texts share, so edits stay beside their words", () => {
    expect(diffOp("[C]Let it be", "[C]Let it be")).toEqual([]);
    expect(diffOp("😀 Let it be", "😀 Let 🎸it be!")).toEqual([6, "🎸", 5, "!"]);
    expect(diffOp("Let it be\nwords of wisdom", "Let be\nwords of 和 wisdom")).toEqual([4, { d: "it " }, 11, " 和"]);
  });
});

describe("rebaseUnsent", () => {
  it("moves unsent edits onto the new server text, and localChange leads from the old local text to the same", () => {
    fc.assert(
      fc.property(
        textArbitrary,
        fc.array(editArbitrary, { minLength: 1, maxLength: 4 }),
        fc.array(editArbitrary, { maxLength: 6 }),
        fc.boolean(),
        (serverText, unsentEdits, serverEdits, inFlightApplied) => {
          const { ops, texts } = editSequence(serverText, unsentEdits);
          fc.pre(ops.length > 0);
          const [first, ...buffer] = ops as [TextOp, ...TextOp[]];
          const unsent = { serverText, inFlight: { seq: 5, op: first }, buffer };
          // The server moved on from the old text, with the op in flight applied first or not at all.
          const serverBase = inFlightApplied ? applyOp(serverText, first) : serverText;
          const newServerText = editSequence(serverBase, serverEdits).texts.at(-1) ?? serverBase;

          const result = rebaseUnsent(unsent, newServerText, inFlightApplied ? 5 : 4);
          expect(result.inFlightApplied).toBe(inFlightApplied);
          expect(result.edits.map((edit) => edit.original)).toEqual(inFlightApplied ? buffer : ops);
          let rebasedText = newServerText;
          for (const { rebased } of result.edits) {
            expect(checkOpAgainst(rebasedText, rebased)).toBeNull();
            rebasedText = applyOp(rebasedText, rebased);
          }
          expect(applyOp(texts.at(-1)!, result.localChange)).toBe(rebasedText);
        },
      ),
      { seed: 20_260_302, numRuns: 500 },
    );
  });

  it("leaves the edits as they were when the server text did not move", () => {
    const unsent = { serverText: "Let it 🎸 be", inFlight: { seq: 3, op: [7, { d: 1 }] }, buffer: [[7, "😀"]] };
    expect(rebaseUnsent(unsent, "Let it 🎸 be", 2)).toEqual({
      inFlightApplied: false,
      edits: [
        { original: [7, { d: 1 }], rebased: [7, { d: 1 }] },
        { original: [7, "😀"], rebased: [7, "😀"] },
      ],
      localChange: [],
    });
    expect(rebaseUnsent(unsent, "Let it  be", 3)).toEqual({
      inFlightApplied: true,
      edits: [{ original: [7, "😀"], rebased: [7, "😀"] }],
      localChange: [],
    });
  });
});
