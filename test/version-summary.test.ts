/** The one-line summaries of song versions (src/domain/version-summary.ts). */
import { describe, expect, it } from "vitest";
import { lineChanges, summarize } from "../src/domain/version-summary";

describe("lineChanges", () => {
  it("counts lines added and removed, the final line break not being a line", () => {
    expect(lineChanges("", "[C]one\n[G]two\n")).toBe("+2 −0 lines");
    expect(lineChanges("a\nb\nc\n", "a\nB\nc\nd\n")).toBe("+2 −1 lines");
    expect(lineChanges("a\nb\n", "")).toBe("+0 −2 lines");
    expect(lineChanges("same", "same")).toBe("+0 −0 lines");
  });

  it("counts a change of the final line break alone as a change of the last line", () => {
    expect(lineChanges("a\nb", "a\nb\n")).toBe("+1 −1 lines");
  });

  it("counts every line when the texts are too costly to compare", () => {
    const before = Array.from({ length: 3_000 }, (_, index) => `before ${index}`).join("\n");
    const after = Array.from({ length: 3_000 }, (_, index) => `after ${index}`).join("\n");
    expect(lineChanges(before, after)).toBe("+3000 −3000 lines");
  });
});

describe("summarize", () => {
  const change = { before: "a\n", after: "a\nb\n", sessionName: "Friday rehearsal" };

  it("says what each kind of version is", () => {
    expect(summarize({ kind: "edited", ...change })).toBe("+1 −0 lines");
    expect(summarize({ kind: "session", ...change })).toBe("+1 −0 lines from session “Friday rehearsal”");
    expect(summarize({ kind: "merged", ...change, conflicts: 0 })).toBe(
      "+1 −0 lines from session “Friday rehearsal”, merged with changes made meanwhile",
    );
    expect(summarize({ kind: "merged", ...change, conflicts: 2 })).toBe(
      "+1 −0 lines from session “Friday rehearsal”, merged with changes made meanwhile; 2 conflicts kept for you to resolve",
    );
    expect(summarize({ kind: "restored", ...change, restoredFrom: 7 })).toBe("+1 −0 lines, restored from version 7");
    expect(summarize({ kind: "refused", ...change, reason: "the owner may not edit" })).toBe(
      "Not applied: the owner may not edit. +1 −0 lines from session “Friday rehearsal”",
    );
  });

  it("shortens a long session name", () => {
    const summary = summarize({ kind: "session", ...change, sessionName: "🎸".repeat(200) });
    expect(summary).toBe(`+1 −0 lines from session “${"🎸".repeat(59)}…”`);
  });
});
