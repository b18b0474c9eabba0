/**
 * CodeMirror counts positions in UTF-16 units; the realtime protocol (ot-text-unicode) counts code points. These
 * turn one into the other on a CodeMirror document, a change set into ops and an op into changes.
 */
import type { ChangeSet, ChangeSpec, Text } from "@codemirror/state";
import { MAX_FRAME_BYTES, MAX_INSERT_CHARS, MAX_OP_COMPONENTS, type TextOp } from "chordme-sessions/client";
import { codePointCount, editOp } from "../lib/text";

const isHighSurrogate = (unit: number) => unit >= 0xd800 && unit <= 0xdbff;
const isLowSurrogate = (unit: number) => unit >= 0xdc00 && unit <= 0xdfff;

/** The code point offset of UTF-16 position `position` in `doc`. */
export function toCodePointOffset(doc: Text, position: number): number {
  return codePointCount(doc.sliceString(0, position));
}

/** The UTF-16 position `count` code points after `from` in `doc` (its end when past it). */
export function advanceCodePoints(doc: Text, from: number, count: number): number {
  if (count <= 0) return from;
  // `count` code points take at most 2 × count units; one more shows whether the last one is a pair.
  const chunk = doc.sliceString(from, Math.min(doc.length, from + 2 * count + 1));
  let index = 0;
  for (let remaining = count; remaining > 0 && index < chunk.length; remaining--) {
    index += isHighSurrogate(chunk.charCodeAt(index)) && isLowSurrogate(chunk.charCodeAt(index + 1)) ? 2 : 1;
  }
  return from + index;
}

/** The UTF-16 position of code point offset `offset` in `doc`. */
export function toUtf16Offset(doc: Text, offset: number): number {
  return advanceCodePoints(doc, 0, offset);
}

/** True when `position` falls between the two halves of a surrogate pair. */
function splitsPair(doc: Text, position: number): boolean {
  if (position <= 0 || position >= doc.length) return false;
  const around = doc.sliceString(position - 1, position + 1);
  return isHighSurrogate(around.charCodeAt(0)) && isLowSurrogate(around.charCodeAt(1));
}

/**
 * The op that makes `changes` on `doc`, in code points; null when a change cuts a surrogate pair in two, where only
 * comparing the texts before and after can say what changed.
 */
function changesToOp(doc: Text, changes: ChangeSet): TextOp | null {
  const op: TextOp = [];
  let position = 0;
  let cutsPair = false;
  changes.iterChanges((fromA, toA, _fromB, _toB, inserted) => {
    if (splitsPair(doc, fromA) || splitsPair(doc, toA)) cutsPair = true;
    const skipped = codePointCount(doc.sliceString(position, fromA));
    const removed = codePointCount(doc.sliceString(fromA, toA));
    const text = inserted.toString();
    if (skipped > 0) op.push(skipped);
    if (removed > 0) op.push({ d: removed });
    if (text) op.push(text);
    position = toA;
  });
  return cutsPair ? null : op;
}

/** What one op may weigh as JSON: the server's frame, less room for the message around it. */
const OP_BYTES = MAX_FRAME_BYTES - 1_024;

/** A character's weight in JSON text, in UTF-8 bytes: escaped control characters take up to six. */
function jsonWeight(codePoint: number): number {
  if (codePoint < 0x20) return 6;
  if (codePoint === 0x22 || codePoint === 0x5c) return 2;
  if (codePoint < 0x80) return 1;
  if (codePoint < 0x800) return 2;
  return codePoint < 0x10000 ? 3 : 4;
}

/** Within every cap the server puts on one op: components, inserted characters, and the frame that carries it. */
function fitsOneOp(op: TextOp): boolean {
  if (op.length > MAX_OP_COMPONENTS) return false;
  let inserted = 0;
  let bytes = 16 * op.length; // a skip or a delete, with its brackets and commas
  for (const component of op) {
    if (typeof component !== "string") continue;
    for (const character of component) {
      inserted++;
      bytes += jsonWeight(character.codePointAt(0)!);
    }
  }
  return inserted <= MAX_INSERT_CHARS && bytes <= OP_BYTES;
}

/**
 * The ops, in order, that make `changes` on `doc`: usually one. An edit past the caps on one op (hundreds of cursors
 * at once, a huge paste) goes as a replaced range, its inserted text split over as many ops as it needs.
 */
export function changesToOps(doc: Text, changes: ChangeSet): TextOp[] {
  const op = changesToOp(doc, changes);
  if (op && fitsOneOp(op)) return op.length ? [op] : [];
  return splitInsert(editOp(doc.toString(), changes.apply(doc).toString()));
}

/** A replace op ([skip] [delete] [insert]) as ops that each fit the caps, the inserted text cut between characters. */
function splitInsert(op: TextOp): TextOp[] {
  if (fitsOneOp(op)) return op.length ? [op] : [];
  const inserted = op.find((component): component is string => typeof component === "string") ?? "";
  const skip = typeof op[0] === "number" ? op[0] : 0;
  const removal = op.find((component) => typeof component === "object");
  const ops: TextOp[] = [];
  let at = skip;
  let piece: string[] = [];
  let bytes = 0;
  const flush = () => {
    const next: TextOp = at > 0 ? [at] : [];
    if (ops.length === 0 && removal) next.push(removal);
    next.push(piece.join(""));
    ops.push(next);
    at += piece.length;
    piece = [];
    bytes = 0;
  };
  for (const character of inserted) {
    const weight = jsonWeight(character.codePointAt(0)!);
    if (piece.length === MAX_INSERT_CHARS || bytes + weight > OP_BYTES - 64) flush();
    piece.push(character);
    bytes += weight;
  }
  if (piece.length > 0 || ops.length === 0) flush();
  return ops;
}

/** The changes (UTF-16, on `doc`) that `op` (code points) makes. */
export function opToChanges(doc: Text, op: TextOp): ChangeSpec[] {
  const changes: ChangeSpec[] = [];
  let position = 0;
  for (const component of op) {
    if (typeof component === "number") {
      position = advanceCodePoints(doc, position, component);
    } else if (typeof component === "string") {
      changes.push({ from: position, insert: component });
    } else {
      const count = typeof component.d === "number" ? component.d : codePointCount(component.d);
      const end = advanceCodePoints(doc, position, count);
      changes.push({ from: position, to: end });
      position = end;
    }
  }
  return changes;
}
