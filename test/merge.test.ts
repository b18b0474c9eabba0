/** The three-way merge of a session's text into its song (src/domain/merge.ts): pure, with property tests. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { diffLines, joinLines, splitLines } from "../src/domain/line-diff";
import { CONFLICT_END, CONFLICT_OURS, CONFLICT_THEIRS, mergeTexts } from "../src/domain/merge";

const sheet = (...lines: string[]) => `${lines.join("\n")}\n`;

function conflict(ours: string[], theirs: string[]): string[] {
  return [CONFLICT_OURS, ...ours, CONFLICT_THEIRS, ...theirs, CONFLICT_END];
}

describe("mergeTexts", () => {
  const base = sheet(
    "{title: Let It Be}",
    "",
    "[C]When I find myself",
    "[G]in times of trouble",
    "",
    "{chorus}",
    "[F]Let it be",
  );

  it("takes the change of the only side that changed", () => {
    const ours = base.replace("[G]in times", "[G7]in times");
    expect(mergeTexts(base, base, ours)).toEqual({ text: ours, conflicts: 0 });
    expect(mergeTexts(base, ours, base)).toEqual({ text: ours, conflicts: 0 });
  });

  it("keeps both sides' edits on different lines", () => {
    const ours = base.replace("{title: Let It Be}", "{title: Let It Be (live)}");
    const theirs = base.replace("[F]Let it be", "[F]Let it [C]be");
    expect(mergeTexts(base, theirs, ours)).toEqual({
      text: sheet(
        "{title: Let It Be (live)}",
        "",
        "[C]When I find myself",
        "[G]in times of trouble",
        "",
        "{chorus}",
        "[F]Let it [C]be",
      ),
      conflicts: 0,
    });
  });

  it("keeps an insertion on one side and a deletion on the other", () => {
    const ours = base.replace("{chorus}\n", "{chorus}\n[Am]Mother Mary\n");
    const theirs = base.replace("{title: Let It Be}\n", "");
    expect(mergeTexts(base, theirs, ours).text).toBe(
      sheet("", "[C]When I find myself", "[G]in times of trouble", "", "{chorus}", "[Am]Mother Mary", "[F]Let it be"),
    );
  });

  it("keeps both versions of a line both sides changed, the session's first, in ChordPro comments", () => {
    const ours = base.replace("[G]in times of trouble", "[G]in times of [Am]trouble");
    const theirs = base.replace("[G]in times of trouble", "[Em]in times of trouble");
    const merged = mergeTexts(base, theirs, ours);
    expect(merged.conflicts).toBe(1);
    expect(merged.text).toBe(
      sheet(
        "{title: Let It Be}",
        "",
        "[C]When I find myself",
        ...conflict(["[G]in times of [Am]trouble"], ["[Em]in times of trouble"]),
        "",
        "{chorus}",
        "[F]Let it be",
      ),
    );
    expect(CONFLICT_OURS).toBe("{comment: Merge conflict — this session's version:}");
    expect(CONFLICT_THEIRS).toBe("{comment: Merge conflict — the song's version (changed elsewhere):}");
    expect(CONFLICT_END).toBe("{comment: End of merge conflict}");
  });

  it("counts each place in conflict", () => {
    const ours = base.replace("{title: Let It Be}", "{title: A}").replace("[F]Let it be", "[F]Let it be, A");
    const theirs = base.replace("{title: Let It Be}", "{title: B}").replace("[F]Let it be", "[F]Let it be, B");
    const merged = mergeTexts(base, theirs, ours);
    expect(merged.conflicts).toBe(2);
    expect(merged.text.split(CONFLICT_OURS)).toHaveLength(3);
  });

  it("treats changes to neighbouring lines as one conflict, as diff3 does", () => {
    const ours = base.replace("[C]When I find myself", "[C]When I find myself again");
    const theirs = base.replace("[G]in times of trouble", "[G]in times of joy");
    const merged = mergeTexts(base, theirs, ours);
    expect(merged.conflicts).toBe(1);
    expect(merged.text).toContain(
      conflict(
        ["[C]When I find myself again", "[G]in times of trouble"],
        ["[C]When I find myself", "[G]in times of joy"],
      ).join("\n"),
    );
  });

  it("keeps a line one side deleted and the other changed, with the deleting side's version empty", () => {
    const ours = base.replace("[F]Let it be", "[F]Let it be, let it be");
    const theirs = base.replace("[F]Let it be\n", "");
    const merged = mergeTexts(base, theirs, ours);
    expect(merged.conflicts).toBe(1);
    expect(merged.text.endsWith(`${conflict(["[F]Let it be, let it be"], []).join("\n")}\n`)).toBe(true);
  });

  it("keeps both lines added at the same place", () => {
    const merged = mergeTexts("[C]one\n", "[C]one\n[G]two\n", "[C]one\n[D]deux\n");
    expect(merged).toEqual({ text: sheet("[C]one", ...conflict(["[D]deux"], ["[G]two"])), conflicts: 1 });
  });

  it("takes the same change made on both sides once", () => {
    const both = base.replace("[C]When", "[Cmaj7]When");
    expect(mergeTexts(base, both, both)).toEqual({ text: both, conflicts: 0 });
    const ours = both.replace("{title: Let It Be}", "{title: Let It Be!}");
    expect(mergeTexts(base, both, ours)).toEqual({ text: ours, conflicts: 0 });
  });

  describe("the final line break", () => {
    it("is a change of its own: added on one side, lines changed on the other", () => {
      expect(mergeTexts("a\nb\nc", "A\nb\nc", "a\nb\nc\n")).toEqual({ text: "A\nb\nc\n", conflicts: 0 });
      expect(mergeTexts("a\nb\nc\n", "a\nb\nc", "a\nb\nC\n")).toEqual({ text: "a\nb\nC", conflicts: 0 });
    });

    it("stays absent when neither side has one, around a conflict at the end", () => {
      expect(mergeTexts("a", "a\nc", "a\nd")).toEqual({
        text: ["a", ...conflict(["d"], ["c"])].join("\n"),
        conflicts: 1,
      });
      expect(mergeTexts("x", "z", "y")).toEqual({ text: conflict(["y"], ["z"]).join("\n"), conflicts: 1 });
    });

    it("stays when both sides keep it", () => {
      expect(mergeTexts("x\n", "z\n", "y\n")).toEqual({ text: `${conflict(["y"], ["z"]).join("\n")}\n`, conflicts: 1 });
    });
  });

  it("merges into and out of an empty text", () => {
    expect(mergeTexts("", "[C]theirs", "[G]ours")).toEqual({
      text: conflict(["[G]ours"], ["[C]theirs"]).join("\n"),
      conflicts: 1,
    });
    expect(mergeTexts("a\nb\nc\n", "", "a\nb\nc\nd\n")).toEqual({
      text: conflict(["a", "b", "c", "d"], []).join("\n"),
      conflicts: 1,
    });
  });

  it("keeps blank lines and repeated lines where they are", () => {
    const chorus = ["{soc}", "[F]Let it be, let it be", "{eoc}", ""];
    const song = sheet(...chorus, "[C]verse one", "", ...chorus, "[C]verse two", "", ...chorus);
    const ours = song.replace("[C]verse one", "[C]verse one, changed");
    const theirs = song.replace("[C]verse two", "[C]verse two, changed");
    expect(mergeTexts(song, theirs, ours)).toEqual({
      text: song.replace("[C]verse one", "[C]verse one, changed").replace("[C]verse two", "[C]verse two, changed"),
      conflicts: 0,
    });
  });

  it("merges edits at both ends of the largest song quickly", () => {
    const lines = Array.from({ length: 5_500 }, (_, index) => (index % 5 === 4 ? "" : `[C]line ${index} [G]la la`));
    const big = sheet(...lines);
    expect(big.length).toBeGreaterThan(95_000);
    const ours = big.replace("[C]line 1 ", "[D]line 1 ");
    const theirs = big.replace("[C]line 5498 ", "[D]line 5498 ");
    const started = performance.now();
    const merged = mergeTexts(big, theirs, ours);
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(merged).toEqual({ text: ours.replace("[C]line 5498 ", "[D]line 5498 "), conflicts: 0 });
  });

  it("keeps both whole texts as one conflict when comparing them line by line would cost too much", () => {
    const base = sheet(...Array.from({ length: 3_000 }, (_, index) => `base ${index}`));
    const theirs = sheet(...Array.from({ length: 3_000 }, (_, index) => `theirs ${index}`));
    const ours = sheet(...Array.from({ length: 3_000 }, (_, index) => `ours ${index}`));
    expect(diffLines(splitLines(base).lines, splitLines(ours).lines)).toBeNull();
    const started = performance.now();
    const merged = mergeTexts(base, theirs, ours);
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(merged.conflicts).toBe(1);
    expect(merged.text).toBe(`${conflict(splitLines(ours).lines, splitLines(theirs).lines).join("\n")}\n`);
  });
});

describe("line diffs", () => {
  it("split and join give back the text, final line break or not", () => {
    for (const text of ["", "\n", "a", "a\n", "a\n\n", "\n\na", "a\r\nb\r\n"]) {
      expect(joinLines(splitLines(text))).toBe(text);
    }
    expect(splitLines("a\nb")).toEqual({ lines: ["a", "b"], finalNewline: false });
    expect(splitLines("a\nb\n")).toEqual({ lines: ["a", "b"], finalNewline: true });
  });

  it("finds the hunks of a shortest edit script", () => {
    expect(diffLines(["a", "b", "c", "d"], ["a", "B", "c", "d", "e"])).toEqual([
      { beforeStart: 1, beforeLength: 1, afterStart: 1, afterLength: 1 },
      { beforeStart: 4, beforeLength: 0, afterStart: 4, afterLength: 1 },
    ]);
    expect(diffLines(["a"], ["a"])).toEqual([]);
    expect(diffLines([], ["a"])).toEqual([{ beforeStart: 0, beforeLength: 0, afterStart: 0, afterLength: 1 }]);
  });
});

// ---- properties ----

const LINES = ["", "[C]la", "[G]la", "{soc}", "{eoc}", "x", "y", "Let it be"];
const lineArb = fc.oneof(
  fc.constantFrom(...LINES),
  fc.string({ maxLength: 6 }).map((text) => text.replace(/\n/g, "")),
);
const textArb = fc
  .tuple(fc.array(lineArb, { maxLength: 12 }), fc.boolean())
  .map(([lines, finalNewline]) => joinLines({ lines, finalNewline }));

/** A text derived from `base` by random line edits, as a session or an editor would make. */
function editedArb(base: string) {
  const { lines, finalNewline } = splitLines(base);
  const edit = fc.record({ at: fc.nat(), kind: fc.constantFrom("insert", "delete", "replace"), line: lineArb });
  return fc.tuple(fc.array(edit, { maxLength: 4 }), fc.boolean()).map(([edits, flipNewline]) => {
    const edited = [...lines];
    for (const { at, kind, line } of edits) {
      const index = edited.length ? at % (edited.length + (kind === "insert" ? 1 : 0)) : 0;
      if (kind === "insert" || edited.length === 0) edited.splice(index, 0, line);
      else if (kind === "delete") edited.splice(index, 1);
      else edited[index] = line;
    }
    return joinLines({ lines: edited, finalNewline: flipNewline ? !finalNewline : finalNewline });
  });
}

const triple = textArb.chain((base) => fc.tuple(fc.constant(base), editedArb(base), editedArb(base)));
const anyTriple = fc.oneof(triple, fc.tuple(textArb, textArb, textArb));

function counts(text: string): Map<string, number> {
  const result = new Map<string, number>();
  for (const line of splitLines(text).lines) result.set(line, (result.get(line) ?? 0) + 1);
  return result;
}

describe("mergeTexts properties", () => {
  it("merging with an unchanged side gives the other side", () => {
    fc.assert(
      fc.property(textArb, textArb, (base, other) => {
        expect(mergeTexts(base, base, other)).toEqual({ text: other, conflicts: 0 });
        expect(mergeTexts(base, other, base)).toEqual({ text: other, conflicts: 0 });
        expect(mergeTexts(base, other, other)).toEqual({ text: other, conflicts: 0 });
      }),
      { numRuns: 300 },
    );
  });

  it("no line either side added is lost", () => {
    fc.assert(
      fc.property(anyTriple, ([base, theirs, ours]) => {
        const merged = counts(mergeTexts(base, theirs, ours).text);
        const baseCounts = counts(base);
        for (const side of [theirs, ours]) {
          for (const [line, count] of counts(side)) {
            const added = count - (baseCounts.get(line) ?? 0);
            expect(merged.get(line) ?? 0).toBeGreaterThanOrEqual(added);
          }
        }
      }),
      { numRuns: 1_000 },
    );
  });

  it("a merge without conflicts does not depend on which side is which", () => {
    fc.assert(
      fc.property(anyTriple, ([base, theirs, ours]) => {
        const merged = mergeTexts(base, theirs, ours);
        if (merged.conflicts === 0) expect(mergeTexts(base, ours, theirs).text).toBe(merged.text);
        else expect(mergeTexts(base, ours, theirs).conflicts).toBe(merged.conflicts);
      }),
      { numRuns: 1_000 },
    );
  });

  it("edits on lines at least one apart both survive, without conflict", () => {
    const editArb = fc.constantFrom("replace", "delete", "insert after");
    const scenario = fc
      .integer({ min: 3, max: 30 })
      .chain((length) =>
        fc.record({
          length: fc.constant(length),
          first: fc.integer({ min: 0, max: length - 3 }),
          gap: fc.integer({ min: 2, max: length - 1 }),
          ourEdit: editArb,
          theirEdit: editArb,
          oursFirst: fc.boolean(),
          finalNewline: fc.boolean(),
        }),
      )
      .filter(({ length, first, gap }) => first + gap < length);
    fc.assert(
      fc.property(scenario, ({ length, first, gap, ourEdit, theirEdit, oursFirst, finalNewline }) => {
        const lines = Array.from({ length }, (_, index) => `[C]line ${index}`);
        const ourLine = oursFirst ? first : first + gap;
        const theirLine = oursFirst ? first + gap : first;
        const apply = (target: string[][], at: number, edit: string, text: string) => {
          // Each base line becomes a list of lines, so both edits can be applied by base position.
          if (edit === "replace") target[at] = [text];
          else if (edit === "delete") target[at] = [];
          else target[at] = [...target[at]!, text];
        };
        const asText = (slots: string[][]) => joinLines({ lines: slots.flat(), finalNewline });
        const slots = () => lines.map((line) => [line]);
        const ours = slots();
        apply(ours, ourLine, ourEdit, "ours");
        const theirs = slots();
        apply(theirs, theirLine, theirEdit, "theirs");
        const both = slots();
        apply(both, ourLine, ourEdit, "ours");
        apply(both, theirLine, theirEdit, "theirs");
        const base = joinLines({ lines, finalNewline });
        expect(mergeTexts(base, asText(theirs), asText(ours))).toEqual({ text: asText(both), conflicts: 0 });
      }),
      { numRuns: 500 },
    );
  });
});
