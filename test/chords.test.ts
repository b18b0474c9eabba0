import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  chordWords,
  keyFromChord,
  keyPrefersFlats,
  parseChord,
  parseKey,
  pitchClass,
  transposeChord,
  transposeKey,
  transposer,
} from "../web/src/lib/chords";

describe("reading a chord symbol", () => {
  it("takes apart root, quality and slash bass", () => {
    expect(parseChord("G")).toEqual({ root: "G", quality: "", bass: null });
    expect(parseChord("F#m7")).toEqual({ root: "F#", quality: "m7", bass: null });
    expect(parseChord("Bbmaj7/D")).toEqual({ root: "Bb", quality: "maj7", bass: "D" });
    expect(parseChord("Am7b5")).toEqual({ root: "A", quality: "m7b5", bass: null });
    expect(parseChord("Csus4")).toEqual({ root: "C", quality: "sus4", bass: null });
    expect(parseChord("E7(#9)")).toEqual({ root: "E", quality: "7(#9)", bass: null });
    expect(parseChord("D♭dim")).toEqual({ root: "D♭", quality: "dim", bass: null });
  });

  it("leaves what is not a chord alone", () => {
    for (const symbol of ["N.C.", "x2", "*Riff", "", "H7", "Gsolo"]) {
      expect(parseChord(symbol)).toBeNull();
      expect(transposeChord(symbol, 3, false)).toBe(symbol);
    }
  });
});

describe("transposing a chord", () => {
  it("moves the root and the bass, spelled as asked", () => {
    expect(transposeChord("G", 2, false)).toBe("A");
    expect(transposeChord("F#m", -1, false)).toBe("Fm");
    expect(transposeChord("Bb", 1, true)).toBe("B");
    expect(transposeChord("Bb", 1, false)).toBe("B");
    expect(transposeChord("C/E", 2, false)).toBe("D/F#");
    expect(transposeChord("C", 1, true)).toBe("Db");
    expect(transposeChord("C", 1, false)).toBe("C#");
    expect(transposeChord("Am7", 3, false)).toBe("Cm7");
    expect(transposeChord("E7(#9)", 1, false)).toBe("F7(#9)");
    expect(transposeChord("B", 1, false)).toBe("C");
    expect(transposeChord("C", -1, true)).toBe("B");
  });

  it("keeps the song's own spelling when it does not move", () => {
    expect(transposeChord("A#", 0, true)).toBe("A#");
    expect(transposeChord("Gb", 12, false)).toBe("Gb");
  });

  it("comes back to the same pitch after up n and down n", () => {
    const note = fc.constantFrom("C", "C#", "Db", "D", "Eb", "E", "F", "F#", "Gb", "G", "Ab", "A", "Bb", "B", "Cb");
    const quality = fc.constantFrom("", "m", "7", "maj7", "m7b5", "sus4", "dim", "add9");
    fc.assert(
      fc.property(
        note,
        quality,
        fc.option(note),
        fc.integer({ min: -24, max: 24 }),
        fc.boolean(),
        fc.boolean(),
        (root, q, bass, n, up, down) => {
          const symbol = `${root}${q}${bass ? `/${bass}` : ""}`;
          const back = parseChord(transposeChord(transposeChord(symbol, n, up), -n, down))!;
          const original = parseChord(symbol)!;
          expect(pitchClass(back.root)).toBe(pitchClass(original.root));
          expect(back.quality).toBe(original.quality);
          expect(back.bass === null ? null : pitchClass(back.bass)).toBe(
            original.bass === null ? null : pitchClass(original.bass),
          );
        },
      ),
    );
  });
});

describe("keys", () => {
  it("reads the ways songs write a key", () => {
    expect(parseKey("G")).toEqual({ pitch: 7, minor: false, spelling: "natural" });
    expect(parseKey("F#m")).toEqual({ pitch: 6, minor: true, spelling: "sharp" });
    expect(parseKey("bb")).toEqual({ pitch: 10, minor: true, spelling: "flat" });
    expect(parseKey("A minor")).toEqual({ pitch: 9, minor: true, spelling: "natural" });
    expect(parseKey("Eb major")).toEqual({ pitch: 3, minor: false, spelling: "flat" });
    expect(parseKey("not a key")).toBeNull();
  });

  it("knows which keys are written with flats", () => {
    for (const key of [
      "F",
      "Bb",
      "Eb",
      "Ab",
      "Db",
      "Gb",
      "d",
      "g",
      "c",
      "f",
      "bb",
      "eb",
      "Dm",
      "Gm",
      "Cm",
      "Fm",
      "Bbm",
    ]) {
      expect(keyPrefersFlats(key), key).toBe(true);
    }
    for (const key of ["C", "G", "D", "A", "E", "B", "F#", "C#", "Am", "Em", "Bm", "F#m", "c#", "a", null, "?"]) {
      expect(keyPrefersFlats(key), String(key)).toBe(false);
    }
  });

  it("moves a key and names it as musicians write it", () => {
    expect(transposeKey("G", 2)).toBe("A");
    expect(transposeKey("A", 1)).toBe("Bb");
    expect(transposeKey("C", 3)).toBe("Eb");
    expect(transposeKey("Em", 1)).toBe("Fm");
    expect(transposeKey("Am", -2)).toBe("Gm");
    expect(transposeKey("G", -1)).toBe("F#");
    expect(transposeKey("Ab", -2)).toBe("Gb");
    expect(transposeKey("d", 1)).toBe("Ebm");
    expect(transposeKey("nope", 1)).toBeNull();
  });

  it("guesses a key from the first chord", () => {
    expect(keyFromChord("G")).toBe("G");
    expect(keyFromChord("F#m7")).toBe("F#m");
    expect(keyFromChord("Cmaj7")).toBe("C");
    expect(keyFromChord("Bbm")).toBe("Bbm");
    expect(keyFromChord("N.C.")).toBeNull();
  });
});

describe("what a reader sees", () => {
  it("spells transposed chords as the key they land in wants", () => {
    const inF = transposer("F", 1); // F♯ or G♭: from a flat key, G♭
    expect(inF.key).toBe("Gb");
    expect(inF.chord("C")).toBe("Db");
    const inD = transposer("D", 1);
    expect(inD.key).toBe("Eb");
    expect(inD.chord("F#m")).toBe("Gm");
    expect(inD.chord("A7")).toBe("Bb7");
    const inE = transposer("E", -2);
    expect(inE.key).toBe("D");
    expect(inE.chord("G#m")).toBe("F#m");
  });

  it("with a capo on 2, a song in A shows G shapes", () => {
    const shapes = transposer("A", -2);
    expect(shapes.key).toBe("G");
    expect(["A", "D", "E7", "F#m", "C#m/G#"].map(shapes.chord)).toEqual(["G", "C", "D7", "Em", "Bm/F#"]);
  });

  it("with a capo on 1, a song in Bb shows A shapes, and transposed up 2 then capo 2 shows the song's own", () => {
    expect(transposer("Bb", -1).chord("Eb")).toBe("D");
    expect(transposer("G", 2 - 2).chord("G")).toBe("G");
  });

  it("reads a chord out in words", () => {
    expect(chordWords("G")).toBe("G");
    expect(chordWords("F#m7/E")).toBe("F sharp minor 7 over E");
    expect(chordWords("Bbmaj7")).toBe("B flat major 7");
    expect(chordWords("Csus4")).toBe("C suspended 4");
    expect(chordWords("Am7b5")).toBe("A minor 7 flat 5");
    expect(chordWords("N.C.")).toBe("N.C.");
  });
});
