/**
 * The browser speaks UTF-16, the realtime protocol speaks code points: conversions, and the op that turns one text
 * into another (the editor's fallback when an edit cannot be read change by change).
 */
import type { TextOp } from "chordme-sessions/client";

const isHighSurrogate = (unit: number) => unit >= 0xd800 && unit <= 0xdbff;
const isLowSurrogate = (unit: number) => unit >= 0xdc00 && unit <= 0xdfff;

/** Code points in `text` before UTF-16 index `index`. */
export function toCodePoint(text: string, index: number): number {
  let count = 0;
  for (let position = 0; position < index && position < text.length; position++) {
    if (isHighSurrogate(text.charCodeAt(position)) && isLowSurrogate(text.charCodeAt(position + 1))) position++;
    count++;
  }
  return count;
}

/** The UTF-16 index of code point `codePoint` in `text` (the end of the text when past it). */
export function toUtf16(text: string, codePoint: number): number {
  let position = 0;
  for (let count = 0; count < codePoint && position < text.length; count++) {
    position += isHighSurrogate(text.charCodeAt(position)) && isLowSurrogate(text.charCodeAt(position + 1)) ? 2 : 1;
  }
  return position;
}

export function codePointCount(text: string): number {
  return toCodePoint(text, text.length);
}

/**
 * The op (code points) that turns `before` into `after`: one replaced range between a common prefix and suffix.
 * `caret` is the UTF-16 caret after the edit; the changed range ends there, which decides between equally short
 * answers (typing "a" into "aa" inserts where the caret is).
 */
export function editOp(before: string, after: string, caret: number = after.length): TextOp {
  if (before === after) return [];
  const maxPrefix = Math.min(
    before.length,
    after.length,
    Math.max(0, caret - Math.max(0, after.length - before.length)),
  );
  let prefix = 0;
  while (prefix < maxPrefix && before.charCodeAt(prefix) === after.charCodeAt(prefix)) prefix++;
  // Never split a surrogate pair.
  if (prefix > 0 && isHighSurrogate(after.charCodeAt(prefix - 1))) prefix--;
  let suffix = 0;
  const maxSuffix = Math.min(before.length - prefix, after.length - prefix);
  while (
    suffix < maxSuffix &&
    before.charCodeAt(before.length - 1 - suffix) === after.charCodeAt(after.length - 1 - suffix)
  ) {
    suffix++;
  }
  if (suffix > 0 && isLowSurrogate(after.charCodeAt(after.length - suffix))) suffix--;
  const removed = before.slice(prefix, before.length - suffix);
  const inserted = after.slice(prefix, after.length - suffix);
  const op: TextOp = [];
  const skip = toCodePoint(before, prefix);
  if (skip > 0) op.push(skip);
  if (removed) op.push({ d: codePointCount(removed) });
  if (inserted) op.push(inserted);
  return op;
}

/**
 * Where code point `position` of the text before `op` is in the text after it, when someone else made the edit: text
 * inserted exactly there lands after it (a caret stays put before a remote insert), and a deletion around it pulls it
 * back to where the deletion starts.
 */
export function shiftPosition(position: number, op: TextOp): number {
  let at = 0; // how far the op has got, counted in the text after it
  let moved = position;
  for (const component of op) {
    if (at >= moved) break;
    if (typeof component === "number") {
      at += component;
    } else if (typeof component === "string") {
      const length = codePointCount(component);
      at += length;
      moved += length;
    } else {
      const length = typeof component.d === "number" ? component.d : codePointCount(component.d);
      moved -= Math.min(length, moved - at);
    }
  }
  return moved;
}

/** 1-based line and column of code point `codePoint`, for "who is where". */
export function lineAndColumn(text: string, codePoint: number): { line: number; column: number } {
  const before = text.slice(0, toUtf16(text, codePoint));
  const lines = before.split("\n");
  return { line: lines.length, column: codePointCount(lines[lines.length - 1] ?? "") + 1 };
}
