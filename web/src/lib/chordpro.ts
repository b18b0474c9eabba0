/**
 * A small ChordPro reader for the performance view: the song's metadata from its directives, and its lines in
 * sections, each lyric line as chord–lyric pairs (the chord sits over the text that follows it). Every line keeps the
 * index of the line of the text it came from, so a caret in the text can be found in the sheet.
 */

export type SectionKind = "verse" | "chorus" | "bridge" | "tab" | "grid" | "part";

export interface Pair {
  /** The chord over `lyric` (as written, brackets off), or null for text before the first chord. */
  chord: string | null;
  lyric: string;
}

export type SheetLine =
  | { type: "lyrics"; line: number; pairs: Pair[] }
  /** A {comment} (or {chorus}, "the chorus again"): shown as a label. */
  | { type: "comment"; line: number; text: string }
  /** A line of a tab or grid section, shown as written. */
  | { type: "verbatim"; line: number; text: string };

export interface Section {
  kind: SectionKind;
  /** The label the song gives it ({start_of_verse: Verse 2}), or null. */
  label: string | null;
  lines: SheetLine[];
}

export interface Song {
  title: string | null;
  subtitles: string[];
  artists: string[];
  key: string | null;
  capo: number | null;
  tempo: string | null;
  time: string | null;
  sections: Section[];
}

const SHORT_NAMES: Record<string, string> = {
  t: "title",
  st: "subtitle",
  c: "comment",
  ci: "comment",
  cb: "comment",
  comment_italic: "comment",
  comment_box: "comment",
  highlight: "comment",
  soc: "start_of_chorus",
  eoc: "end_of_chorus",
  sov: "start_of_verse",
  eov: "end_of_verse",
  sob: "start_of_bridge",
  eob: "end_of_bridge",
  sot: "start_of_tab",
  eot: "end_of_tab",
  sog: "start_of_grid",
  eog: "end_of_grid",
};

const KINDS: Record<string, SectionKind> = {
  verse: "verse",
  chorus: "chorus",
  bridge: "bridge",
  tab: "tab",
  grid: "grid",
};

/** `{name}`, `{name: value}` or `{name value}` alone on a line; null for any other line. */
export function parseDirective(line: string): { name: string; value: string } | null {
  const match = /^\{\s*([A-Za-z_]+)(?:-[A-Za-z0-9_!]+)?\s*(?:[:\s]\s*([\s\S]*?))?\s*\}$/.exec(line.trim());
  if (!match) return null;
  const name = match[1]!.toLowerCase();
  return { name: SHORT_NAMES[name] ?? name, value: (match[2] ?? "").trim() };
}

/** A lyric line as chord–lyric pairs; a `[` without its `]` is text. */
export function parsePairs(line: string): Pair[] {
  const pairs: Pair[] = [];
  const chord = /\[([^\]\n]*)\]/g;
  let chordBefore: string | null = null;
  let position = 0;
  for (let match = chord.exec(line); match; match = chord.exec(line)) {
    const lyric = line.slice(position, match.index);
    if (chordBefore !== null || lyric !== "") pairs.push({ chord: chordBefore, lyric });
    chordBefore = match[1]!.trim();
    position = match.index + match[0].length;
  }
  const rest = line.slice(position);
  if (chordBefore !== null || rest !== "" || pairs.length === 0) pairs.push({ chord: chordBefore, lyric: rest });
  return pairs;
}

function sectionKind(name: string): SectionKind {
  return KINDS[name] ?? "part";
}

/** What the song says in directives and lines, in sections: verses, choruses, bridges, and parts between blank lines. */
export function parseChordPro(text: string): Song {
  const song: Song = {
    title: null,
    subtitles: [],
    artists: [],
    key: null,
    capo: null,
    tempo: null,
    time: null,
    sections: [],
  };
  // The section being filled: an explicit one runs to its end directive, an implicit one to the next blank line.
  let current: (Section & { explicit: boolean }) | null = null;
  const close = () => {
    if (current && (current.lines.length > 0 || current.label !== null)) {
      song.sections.push({ kind: current.kind, label: current.label, lines: current.lines });
    }
    current = null;
  };
  const add = (line: SheetLine) => {
    current ??= { kind: "part", label: null, lines: [], explicit: false };
    current.lines.push(line);
  };

  const lines = text.split("\n");
  lines.forEach((raw, index) => {
    const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    const directive = parseDirective(line);
    const inVerbatim = current?.explicit && (current.kind === "tab" || current.kind === "grid");
    if (inVerbatim && !directive?.name.startsWith("end_of_")) {
      add({ type: "verbatim", line: index, text: line });
      return;
    }
    if (directive) {
      applyDirective(song, directive, index, { close, add, start: (section) => (current = section) });
      return;
    }
    if (line.trim() === "") {
      if (!current?.explicit) close();
      return;
    }
    if (line.startsWith("#")) return; // a ChordPro comment: not for the reader
    add({ type: "lyrics", line: index, pairs: parsePairs(line) });
  });
  close();
  return song;
}

interface Builder {
  close: () => void;
  add: (line: SheetLine) => void;
  start: (section: Section & { explicit: boolean }) => void;
}

function applyDirective(song: Song, { name, value }: { name: string; value: string }, index: number, to: Builder) {
  if (name.startsWith("start_of_")) {
    to.close();
    to.start({ kind: sectionKind(name.slice("start_of_".length)), label: value || null, lines: [], explicit: true });
    return;
  }
  if (name.startsWith("end_of_")) {
    to.close();
    return;
  }
  switch (name) {
    case "title":
      song.title ??= value || null;
      return;
    case "subtitle":
      if (value) song.subtitles.push(value);
      return;
    case "artist":
      if (value) song.artists.push(value);
      return;
    case "key":
      song.key ??= value || null;
      return;
    case "capo": {
      const fret = Number.parseInt(value, 10);
      if (Number.isSafeInteger(fret) && fret >= 0) song.capo ??= fret;
      return;
    }
    case "tempo":
      song.tempo ??= value || null;
      return;
    case "time":
      song.time ??= value || null;
      return;
    case "meta": {
      const [metaName = "", ...rest] = value.split(/\s+/);
      if (metaName && rest.length > 0) {
        applyDirective(
          song,
          { name: SHORT_NAMES[metaName] ?? metaName.toLowerCase(), value: rest.join(" ") },
          index,
          to,
        );
      }
      return;
    }
    case "comment":
      if (value) to.add({ type: "comment", line: index, text: value });
      return;
    case "chorus":
      to.add({ type: "comment", line: index, text: value || "Chorus" });
      return;
    default:
    // Directives the reader has no use for (fonts, columns, page breaks…) show nothing.
  }
}

/** The first chord of the song, if any. */
export function firstChord(song: Song): string | null {
  for (const section of song.sections) {
    for (const line of section.lines) {
      if (line.type !== "lyrics") continue;
      const pair = line.pairs.find((candidate) => candidate.chord);
      if (pair?.chord) return pair.chord;
    }
  }
  return null;
}

/** The text's line numbers (0-based) that the sheet shows, in order. */
export function shownLines(song: Song): number[] {
  return song.sections.flatMap((section) => section.lines.map((line) => line.line));
}

/**
 * The shown line to light up for a caret on text line `line`: that line, or else the nearest shown one (a directive
 * or blank line before a verse leads to the verse's first line when that is as near). Null when nothing is shown.
 */
export function nearestShownLine(song: Song, line: number): number | null {
  let best: number | null = null;
  for (const candidate of shownLines(song)) {
    if (best === null) {
      best = candidate;
      continue;
    }
    const distance = Math.abs(candidate - line);
    const bestDistance = Math.abs(best - line);
    if (distance < bestDistance || (distance === bestDistance && candidate > best)) best = candidate;
  }
  return best;
}
