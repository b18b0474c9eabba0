/**
 * Chord symbols: read one (root, quality, slash bass), move it by semitones and spell the result with sharps or flats
 * as the key it lands in wants; what a key is, which keys are written with flats, and a chord read out in words.
 */

export interface Chord {
  /** The root as written: a letter and maybe an accidental ("F#", "Bb"). */
  root: string;
  /** Everything between the root and the slash: "m7", "maj7", "sus4", "" for a major triad. */
  quality: string;
  /** The slash bass as written, or null. */
  bass: string | null;
}

const LETTER_PITCH: Record<string, number> = { C: 0, D: 2, E: 4, F: 5, G: 7, A: 9, B: 11 };
const SHARP_NAMES = ["C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"];
const FLAT_NAMES = ["C", "Db", "D", "Eb", "E", "F", "Gb", "G", "Ab", "A", "Bb", "B"];
// Each pitch as the key musicians write it; 6 (F# or Gb) goes the way the key it came from went.
const MAJOR_KEYS = ["C", "Db", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B"];
const MINOR_KEYS = ["Cm", "C#m", "Dm", "Ebm", "Em", "Fm", "F#m", "Gm", "G#m", "Am", "Bbm", "Bm"];

const NOTE = "([A-G])([#b♯♭]?)";
/** What may follow a root: the usual words and figures of chord qualities and extensions, nothing else. */
const QUALITY = "((?:maj|min|dim|aug|sus|add|alt|omit|no|M|m|[0-9]|[#b♯♭+°øΔ△()^,.-])*)";
const CHORD = new RegExp(`^${NOTE}${QUALITY}(?:/${NOTE})?$`);

const mod12 = (value: number) => ((value % 12) + 12) % 12;

function accidentalShift(accidental: string): number {
  if (accidental === "#" || accidental === "♯") return 1;
  if (accidental === "b" || accidental === "♭") return -1;
  return 0;
}

/** The pitch class (0 = C … 11 = B) of a note such as "F#" or "Bb"; null when it is not a note. */
export function pitchClass(note: string): number | null {
  const match = new RegExp(`^${NOTE}$`).exec(note);
  if (!match) return null;
  return mod12(LETTER_PITCH[match[1]!]! + accidentalShift(match[2]!));
}

/** A pitch class named with sharps or with flats. */
export function noteName(pitch: number, flats: boolean): string {
  return (flats ? FLAT_NAMES : SHARP_NAMES)[mod12(pitch)]!;
}

/** A chord symbol read apart; null for what is not a chord (N.C., a riff name, a repeat mark). */
export function parseChord(symbol: string): Chord | null {
  const match = CHORD.exec(symbol.trim());
  if (!match) return null;
  return {
    root: match[1]! + match[2]!,
    quality: match[3]!,
    bass: match[4] ? match[4] + match[5]! : null,
  };
}

function moveNote(note: string, semitones: number, flats: boolean): string {
  return noteName(pitchClass(note)! + semitones, flats);
}

/**
 * `symbol` moved by `semitones` (either way), its root and bass spelled with flats or sharps; what is not a chord comes
 * back as it was. Not moving at all keeps the song's own spelling.
 */
export function transposeChord(symbol: string, semitones: number, flats: boolean): string {
  const chord = parseChord(symbol);
  if (!chord || mod12(semitones) === 0) return symbol;
  const root = moveNote(chord.root, semitones, flats);
  const bass = chord.bass ? `/${moveNote(chord.bass, semitones, flats)}` : "";
  return `${root}${chord.quality}${bass}`;
}

export interface Key {
  pitch: number;
  minor: boolean;
  /** How the key is spelled: "flat", "sharp" or "natural" (its tonic has no accidental). */
  spelling: "flat" | "sharp" | "natural";
}

/**
 * A key as songs write it: "G", "Bb", "F#m", "Ebm", "A minor", "D major", or a lower-case tonic for a minor key
 * ("d", "bb", "eb"); null when it is none of those.
 */
export function parseKey(key: string): Key | null {
  const match = /^([A-Ga-g])([#b♯♭]?)\s*(m|min|minor|-|maj|major|M)?$/.exec(key.trim());
  if (!match) return null;
  const letter = match[1]!;
  const accidental = match[2]!;
  const mode = match[3];
  const minor = mode === undefined ? letter === letter.toLowerCase() : ["m", "min", "minor", "-"].includes(mode);
  const shift = accidentalShift(accidental);
  return {
    pitch: mod12(LETTER_PITCH[letter.toUpperCase()]! + shift),
    minor,
    spelling: shift < 0 ? "flat" : shift > 0 ? "sharp" : "natural",
  };
}

/**
 * Whether chords in `key` are written with flats: keys spelled with a flat (Bb, Eb, Ab, Db, Gb; bb, eb minor), F
 * major, and D, G, C and F minor. Sharps otherwise, and for no key at all.
 */
export function keyPrefersFlats(key: string | null | undefined): boolean {
  const parsed = key ? parseKey(key) : null;
  if (!parsed) return false;
  if (parsed.spelling !== "natural") return parsed.spelling === "flat";
  return parsed.minor ? [2, 7, 0, 5].includes(parsed.pitch) : parsed.pitch === 5;
}

/** `key` moved by `semitones`, named as musicians write that key ("Bb", not "A#"); null when `key` is not a key. */
export function transposeKey(key: string, semitones: number): string | null {
  const parsed = parseKey(key);
  if (!parsed) return null;
  const pitch = mod12(parsed.pitch + semitones);
  if (pitch === 6 && !parsed.minor && keyPrefersFlats(key)) return "Gb";
  if (pitch === 3 && parsed.minor && !keyPrefersFlats(key)) return "D#m";
  return (parsed.minor ? MINOR_KEYS : MAJOR_KEYS)[pitch]!;
}

/** The key a song without a {key} seems to be in: its first chord's root, minor when that chord is. */
export function keyFromChord(symbol: string): string | null {
  const chord = parseChord(symbol);
  if (!chord) return null;
  const minor = /^(m|min)(?!a)/.test(chord.quality) || chord.quality.startsWith("-");
  return `${chord.root}${minor ? "m" : ""}`;
}

export interface Transposer {
  /** The key the chords are shown in, or null when the song has none and no chord to guess it from. */
  key: string | null;
  flats: boolean;
  chord: (symbol: string) => string;
}

/**
 * How a reader sees the chords of a song in `songKey`: moved by `semitones`, spelled as the key they land in wants
 * (without a key, with the sharps or flats of the first chord's key).
 */
export function transposer(songKey: string | null, semitones: number): Transposer {
  const key = songKey ? transposeKey(songKey, semitones) : null;
  const flats = keyPrefersFlats(key);
  return { key, flats, chord: (symbol) => transposeChord(symbol, semitones, flats) };
}

const NOTE_WORDS: Record<string, string> = { "#": " sharp", "♯": " sharp", b: " flat", "♭": " flat", "": "" };

/** The words of a chord quality, longest token first: what a screen reader says for "maj7", "sus4", "m7b5". */
const QUALITY_WORDS: [RegExp, string][] = [
  [/^maj/, "major "],
  [/^min/, "minor "],
  [/^m/, "minor "],
  [/^M/, "major "],
  [/^dim/, "diminished "],
  [/^°/, "diminished "],
  [/^ø/, "half-diminished "],
  [/^aug/, "augmented "],
  [/^\+/, "augmented "],
  [/^sus/, "suspended "],
  [/^add/, "add "],
  [/^alt/, "altered "],
  [/^(omit|no)/, "no "],
  [/^[Δ△^]/, "major "],
  [/^[#♯]/, "sharp "],
  [/^[b♭]/, "flat "],
  [/^-/, "minor "],
  [/^[0-9]+/, ""],
];

function qualityWords(quality: string): string {
  let rest = quality;
  let words = "";
  while (rest.length > 0) {
    const rule = QUALITY_WORDS.find(([pattern]) => pattern.test(rest));
    if (!rule) {
      // Punctuation (parentheses, commas) says nothing.
      rest = rest.slice(1);
      continue;
    }
    const matched = rule[0].exec(rest)![0];
    words += rule[1] || `${matched} `;
    rest = rest.slice(matched.length);
  }
  return words.trim();
}

function noteWords(note: string): string {
  return note[0]! + NOTE_WORDS[note.slice(1)]!;
}

/** A chord in words, for screen readers: "F#m7/E" is "F sharp minor 7 over E"; what is not a chord, as written. */
export function chordWords(symbol: string): string {
  const chord = parseChord(symbol);
  if (!chord) return symbol;
  const quality = qualityWords(chord.quality);
  const bass = chord.bass ? ` over ${noteWords(chord.bass)}` : "";
  return `${noteWords(chord.root)}${quality ? ` ${quality}` : ""}${bass}`;
}
