import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { applyOp } from "../src/domain/ot";
import { codePointCount, editOp, lineAndColumn, toCodePoint, toUtf16 } from "../web/src/lib/text";

// Text with chords, line breaks and characters outside the BMP, so UTF-16 and code points differ.
const sheet = fc
  .array(fc.constantFrom("C", "G", "[", "]", " ", "\n", "é", "🎸", "♯", "a"), { maxLength: 24 })
  .map((parts) => parts.join(""));

describe("the web editor's op from an input event", () => {
  it("turns the text before into the text after", () => {
    fc.assert(
      fc.property(sheet, sheet, fc.nat(), (before, after, caretSeed) => {
        const caret = caretSeed % (after.length + 1);
        expect(applyOp(before, editOp(before, after, caret))).toBe(after);
      }),
    );
  });

  it("puts a typed character where the caret is, even when its neighbours are the same", () => {
    expect(editOp("aa", "aaa", 1)).toEqual(["a"]);
    expect(editOp("aa", "aaa", 3)).toEqual([2, "a"]);
    expect(editOp("[C]🎸", "[C]🎸!", 6)).toEqual([4, "!"]);
    expect(editOp("🎸🎸", "🎸", 2)).toEqual([1, { d: 1 }]);
    expect(editOp("same", "same", 2)).toEqual([]);
  });

  it("converts between UTF-16 and code points", () => {
    const text = "[G]🎸 solo\nnext";
    expect(codePointCount(text)).toBe(14);
    expect(toCodePoint(text, 5)).toBe(4);
    expect(toUtf16(text, 4)).toBe(5);
    expect(lineAndColumn(text, 10)).toEqual({ line: 2, column: 1 });
  });
});
