import { describe, expect, it } from "vitest";
import { firstChord, nearestShownLine, parseChordPro, parseDirective, parsePairs } from "../web/src/lib/chordpro";
import { lineOfCodePoint, lineStart, readSettings, signed } from "../web/src/lib/perform";
import { parseRoute } from "../web/src/lib/routes";
import { codePointCount } from "../web/src/lib/text";

const SONG = [
  "{title: Let It Be}", // 0
  "{st: Remastered}", // 1
  "{artist: The Beatles}", // 2
  "{key: C}", // 3
  "{capo: 3}", // 4
  "", // 5
  "{start_of_verse: Verse 1}", // 6
  "[C]When I find myself in [G]times of trouble", // 7
  "[Am]Mother Mary [F]comes to me", // 8
  "{end_of_verse}", // 9
  "", // 10
  "{soc}", // 11
  "Let it [Am]be, let it [G]be", // 12
  "{eoc}", // 13
  "{c: Solo}", // 14
  "[F] [C] [G]", // 15
  "", // 16
  "{start_of_bridge}", // 17
  "Ça ira, [Dm]naïve 中文 [G7]😀 song", // 18
  "{end_of_bridge}", // 19
  "# a note for the band only", // 20
  "{chorus}", // 21
].join("\n");

describe("reading ChordPro", () => {
  it("takes the title, subtitle, artist, key and capo from the directives", () => {
    const song = parseChordPro(SONG);
    expect(song.title).toBe("Let It Be");
    expect(song.subtitles).toEqual(["Remastered"]);
    expect(song.artists).toEqual(["The Beatles"]);
    expect(song.key).toBe("C");
    expect(song.capo).toBe(3);
  });

  it("knows the short and long directive names, with or without a value", () => {
    expect(parseDirective("{t: Yesterday}")).toEqual({ name: "title", value: "Yesterday" });
    expect(parseDirective("  {soc}  ")).toEqual({ name: "start_of_chorus", value: "" });
    expect(parseDirective("{start_of_chorus: Refrain}")).toEqual({ name: "start_of_chorus", value: "Refrain" });
    expect(parseDirective("{comment:Slowly}")).toEqual({ name: "comment", value: "Slowly" });
    expect(parseDirective("{Key: Bb}")).toEqual({ name: "key", value: "Bb" });
    expect(parseDirective("{title-guitar: Only for guitars}")).toEqual({ name: "title", value: "Only for guitars" });
    expect(parseDirective("[C]not {a} directive")).toBeNull();
    const meta = parseChordPro("{meta: artist Nina Simone}\n{meta: key Ebm}");
    expect(meta.artists).toEqual(["Nina Simone"]);
    expect(meta.key).toBe("Ebm");
  });

  it("sets apart verses, choruses and bridges, with their labels and comments", () => {
    const song = parseChordPro(SONG);
    expect(song.sections.map((section) => [section.kind, section.label])).toEqual([
      ["verse", "Verse 1"],
      ["chorus", null],
      ["part", null],
      ["bridge", null],
      ["part", null],
    ]);
    expect(song.sections[2]!.lines).toEqual([
      { type: "comment", line: 14, text: "Solo" },
      {
        type: "lyrics",
        line: 15,
        pairs: [
          { chord: "F", lyric: " " },
          { chord: "C", lyric: " " },
          { chord: "G", lyric: "" },
        ],
      },
    ]);
    // "# …" lines are for the band, not the reader; {chorus} says the chorus comes again.
    expect(song.sections[4]!.lines).toEqual([{ type: "comment", line: 21, text: "Chorus" }]);
  });

  it("puts each chord over the text that follows it, mid-word too", () => {
    expect(parsePairs("[C]When I find myself in [G]times of trouble")).toEqual([
      { chord: "C", lyric: "When I find myself in " },
      { chord: "G", lyric: "times of trouble" },
    ]);
    expect(parsePairs("Let it [Am]be")).toEqual([
      { chord: null, lyric: "Let it " },
      { chord: "Am", lyric: "be" },
    ]);
    expect(parsePairs("hal[D]le[G]lu[C]jah")).toEqual([
      { chord: null, lyric: "hal" },
      { chord: "D", lyric: "le" },
      { chord: "G", lyric: "lu" },
      { chord: "C", lyric: "jah" },
    ]);
    expect(parsePairs("no chords here")).toEqual([{ chord: null, lyric: "no chords here" }]);
    expect(parsePairs("an [unclosed bracket")).toEqual([{ chord: null, lyric: "an [unclosed bracket" }]);
    expect(parsePairs("[G]")).toEqual([{ chord: "G", lyric: "" }]);
  });

  it("keeps non-ASCII lyrics and characters outside the BMP whole", () => {
    const song = parseChordPro(SONG);
    const bridge = song.sections[3]!.lines[0]!;
    expect(bridge).toEqual({
      type: "lyrics",
      line: 18,
      pairs: [
        { chord: null, lyric: "Ça ira, " },
        { chord: "Dm", lyric: "naïve 中文 " },
        { chord: "G7", lyric: "😀 song" },
      ],
    });
    expect(parsePairs("😀[C]中[G]😀")).toEqual([
      { chord: null, lyric: "😀" },
      { chord: "C", lyric: "中" },
      { chord: "G", lyric: "😀" },
    ]);
  });

  it("without explicit sections, blank lines part the verses; tab lines are kept as written", () => {
    const song = parseChordPro("[G]One\n[C]two\n\n\n[D]three\r\n{sot}\ne|---0---|\n\n{eot}");
    expect(song.sections.map((section) => section.lines.map((line) => line.line))).toEqual([[0, 1], [4], [6, 7]]);
    expect(song.sections[2]).toEqual({
      kind: "tab",
      label: null,
      lines: [
        { type: "verbatim", line: 6, text: "e|---0---|" },
        { type: "verbatim", line: 7, text: "" },
      ],
    });
    expect(firstChord(song)).toBe("G");
    expect(parseChordPro("").sections).toEqual([]);
  });
});

describe("the leader's line", () => {
  it("is the line of the caret, counted in code points", () => {
    const text = "😀 one\n中 two\n\nfour";
    expect(lineOfCodePoint(text, 0)).toBe(0);
    expect(lineOfCodePoint(text, 5)).toBe(0); // the end of the first line
    expect(lineOfCodePoint(text, 6)).toBe(1);
    expect(lineOfCodePoint(text, 12)).toBe(2); // the empty line
    expect(lineOfCodePoint(text, 13)).toBe(3);
    expect(lineOfCodePoint(text, 1_000)).toBe(3);
    expect(lineStart(text, 0)).toBe(0);
    expect(lineStart(text, 1)).toBe(6);
    expect(lineStart(text, 2)).toBe(12);
    expect(lineStart(text, 3)).toBe(13);
    expect(lineStart(text, 9)).toBe(codePointCount(text));
    for (let line = 0; line < 4; line++) expect(lineOfCodePoint(text, lineStart(text, line))).toBe(line);
  });

  it("lights the shown line nearest to a directive or a blank line", () => {
    const song = parseChordPro(SONG);
    expect(nearestShownLine(song, 7)).toBe(7);
    expect(nearestShownLine(song, 0)).toBe(7); // the title leads to the first line
    expect(nearestShownLine(song, 11)).toBe(12); // {soc}: the chorus's first line
    expect(nearestShownLine(song, 13)).toBe(14); // {eoc}: as near to both; the one after
    expect(nearestShownLine(song, 99)).toBe(21);
    expect(nearestShownLine(parseChordPro("{title: Empty}"), 0)).toBeNull();
  });
});

describe("a reader's settings", () => {
  it("are read back within bounds, with defaults for anything unreadable", () => {
    expect(readSettings(null)).toEqual({
      transpose: 0,
      capo: 0,
      fontSize: 120,
      stage: false,
      scrollSpeed: 30,
      follow: null,
    });
    expect(readSettings("not json").transpose).toBe(0);
    const read = readSettings(JSON.stringify({ transpose: 40, capo: -2, fontSize: "big", stage: true, follow: false }));
    expect(read).toMatchObject({ transpose: 11, capo: 0, fontSize: 120, stage: true, follow: false });
    expect([signed(2), signed(0), signed(-3)]).toEqual(["+2", "0", "−3"]);
  });
});

describe("the performance view's route", () => {
  it("is the session page reading the sheet as a performance", () => {
    const id = "6f1c3a52-3f7e-4d0b-9a57-0f1f2a3b4c5d";
    expect(parseRoute(`/sessions/${id}/perform`)).toEqual({ name: "session", sessionId: id, perform: true });
    expect(parseRoute(`/sessions/${id}/perform/`)).toEqual({ name: "session", sessionId: id, perform: true });
    expect(parseRoute(`/sessions/${id}`)).toEqual({ name: "session", sessionId: id });
  });
});
