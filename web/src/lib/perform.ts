/**
 * The performance view's rules that need no page: each reader's settings (kept per session, never in the song) and
 * where a caret, counted in code points, falls among the text's lines.
 */
import { codePointCount } from "./text";

export interface PerformSettings {
  /** Semitones up (positive) or down (negative) from the song as written, -11 … 11. */
  transpose: number;
  /** The fret the reader's capo is on, 0 … 11: chords are shown as the shapes to play there. */
  capo: number;
  /** Text size, as a percentage of the page's. */
  fontSize: number;
  /** Light text on black, for a dark stage. */
  stage: boolean;
  /** Auto-scroll speed, pixels a second. */
  scrollSpeed: number;
  /** Keep the leader's line in view; null until the reader chooses (then: on for everyone but the owner). */
  follow: boolean | null;
}

export const DEFAULT_SETTINGS: PerformSettings = {
  transpose: 0,
  capo: 0,
  fontSize: 120,
  stage: false,
  scrollSpeed: 30,
  follow: null,
};

export const LIMITS = {
  transpose: { min: -11, max: 11 },
  capo: { min: 0, max: 11 },
  fontSize: { min: 70, max: 300, step: 10 },
  scrollSpeed: { min: 5, max: 200, step: 5 },
} as const;

const clamp = (value: number, { min, max }: { min: number; max: number }) => Math.min(max, Math.max(min, value));

function integer(value: unknown, fallback: number, limits: { min: number; max: number }): number {
  return typeof value === "number" && Number.isFinite(value) ? clamp(Math.round(value), limits) : fallback;
}

/** Settings read back from storage: anything missing, of the wrong type or out of bounds takes its default. */
export function readSettings(stored: string | null): PerformSettings {
  let raw: Record<string, unknown> = {};
  try {
    const parsed: unknown = stored ? JSON.parse(stored) : {};
    if (parsed && typeof parsed === "object") raw = parsed as Record<string, unknown>;
  } catch {
    // Unreadable: the defaults.
  }
  return {
    transpose: integer(raw.transpose, DEFAULT_SETTINGS.transpose, LIMITS.transpose),
    capo: integer(raw.capo, DEFAULT_SETTINGS.capo, LIMITS.capo),
    fontSize: integer(raw.fontSize, DEFAULT_SETTINGS.fontSize, LIMITS.fontSize),
    stage: typeof raw.stage === "boolean" ? raw.stage : DEFAULT_SETTINGS.stage,
    scrollSpeed: integer(raw.scrollSpeed, DEFAULT_SETTINGS.scrollSpeed, LIMITS.scrollSpeed),
    follow: typeof raw.follow === "boolean" ? raw.follow : null,
  };
}

/** Settings in bounds: what a control may ask for is clamped, never refused. */
export function boundSettings(settings: PerformSettings): PerformSettings {
  return readSettings(JSON.stringify(settings));
}

export function settingsKey(sessionId: string): string {
  return `chordme.perform.${sessionId}`;
}

/** The 0-based line of the text that code point `codePoint` is on. */
export function lineOfCodePoint(text: string, codePoint: number): number {
  let line = 0;
  let count = 0;
  for (const character of text) {
    if (count >= codePoint) break;
    if (character === "\n") line++;
    count++;
  }
  return line;
}

/** The code point where 0-based line `line` of the text starts (the end of the text past its last line). */
export function lineStart(text: string, line: number): number {
  if (line <= 0) return 0;
  const lines = text.split("\n");
  if (line >= lines.length) return codePointCount(text);
  return lines.slice(0, line).reduce((sum, part) => sum + codePointCount(part) + 1, 0);
}

/** "+2", "0", "−3": a transposition as the controls say it. */
export function signed(semitones: number): string {
  if (semitones > 0) return `+${semitones}`;
  if (semitones < 0) return `−${-semitones}`;
  return "0";
}
