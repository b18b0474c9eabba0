/**
 * Operational transformation rules for the session document, on top of `ot-text-unicode`.
 * Positions and lengths count Unicode code points, never UTF-16 units.
 * The session object is the single sequencer: it parses an op, rebases it over the ops its author had not seen,
 * checks it against the current text and applies it. The browser client uses the same functions.
 */
import { type TextOp, type TextOpComponent, type as textType } from "ot-text-unicode";
import { codePointLength, isWellFormed, MAX_DOCUMENT_CHARS } from "./text";

export type { TextOp, TextOpComponent };
// The document's limit and measure are the song text's (src/domain/text.ts); named here too for the OT code's users.
export { codePointLength, MAX_DOCUMENT_CHARS };

export const MAX_OP_COMPONENTS = 1_000;
export const MAX_INSERT_CHARS = 20_000;

export type OtErrorCode = "INVALID_OP" | "OP_TOO_LARGE" | "DOCUMENT_TOO_LARGE";

export interface OtError<Code extends OtErrorCode = OtErrorCode> {
  code: Code;
  message: string;
}

export type ParsedOp = { ok: true; op: TextOp } | ({ ok: false } & OtError<"INVALID_OP" | "OP_TOO_LARGE">);

/** A selection in code points; anchor and head are equal for a caret. */
export interface Cursor {
  anchor: number;
  head: number;
}

const invalid = (message: string): ParsedOp => ({ ok: false, code: "INVALID_OP", message });

const isCount = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) > 0;

const isText = (value: unknown): value is string =>
  typeof value === "string" && value.length > 0 && isWellFormed(value);

const TOO_MANY_COMPONENTS: OtError<"OP_TOO_LARGE"> = {
  code: "OP_TOO_LARGE",
  message: `An op may have at most ${MAX_OP_COMPONENTS} components`,
};

/** Too many components or too much inserted text for one op; the client uses it to cap what it composes. */
export function checkOpLimits(op: TextOp): OtError<"OP_TOO_LARGE"> | null {
  if (op.length > MAX_OP_COMPONENTS) return TOO_MANY_COMPONENTS;
  let inserted = 0;
  for (const component of op) {
    if (typeof component === "string") inserted += codePointLength(component);
  }
  if (inserted > MAX_INSERT_CHARS) {
    return { code: "OP_TOO_LARGE", message: `An op may insert at most ${MAX_INSERT_CHARS} characters` };
  }
  return null;
}

/** Validates untrusted JSON as an op without throwing, and returns a fresh, normalized copy. */
export function parseOp(raw: unknown): ParsedOp {
  if (!Array.isArray(raw)) return invalid("An op must be an array of components");
  if (raw.length > MAX_OP_COMPONENTS) return { ok: false, ...TOO_MANY_COMPONENTS };
  const copy: TextOp = [];
  for (const [index, component] of raw.entries()) {
    if (typeof component === "number") {
      if (!isCount(component)) return invalid(`Component ${index}: a skip must be a positive integer`);
      copy.push(component);
    } else if (typeof component === "string") {
      if (!isText(component)) return invalid(`Component ${index}: an insert must be non-empty, well-formed text`);
      copy.push(component);
    } else if (typeof component === "object" && component !== null && !Array.isArray(component)) {
      const keys = Object.keys(component);
      const removed: unknown = (component as { d?: unknown }).d;
      if (keys.length !== 1 || keys[0] !== "d" || !(isCount(removed) || isText(removed))) {
        return invalid(`Component ${index}: a delete must be {d: positive integer | non-empty text}`);
      }
      copy.push({ d: removed });
    } else {
      return invalid(`Component ${index}: not a skip, an insert or a delete`);
    }
  }
  // normalize merges neighbours in place, which is why it gets the copy.
  const op = textType.normalize(copy);
  const tooLarge = checkOpLimits(op);
  return tooLarge ? { ok: false, ...tooLarge } : { ok: true, op };
}

/** UTF-16 index `count` code points after `index`, or -1 past the end of `text`. */
function advance(text: string, index: number, count: number): number {
  let position = index;
  for (let remaining = count; remaining > 0; remaining--) {
    if (position >= text.length) return -1;
    const unit = text.charCodeAt(position);
    position += unit >= 0xd800 && unit <= 0xdbff ? 2 : 1;
  }
  return position;
}

/**
 * A text with what the op checks need to know about it, kept next to it so that a long document is not scanned
 * from the start for every op.
 */
export interface MeasuredText {
  content: string;
  /** Length in code points. */
  length: number;
  /** No surrogate pairs: code point positions are string indexes. False only means "not known". */
  bmp: boolean;
}

export function measure(content: string): MeasuredText {
  const length = codePointLength(content);
  return { content, length, bmp: length === content.length };
}

type OpFit =
  | { ok: true; length: number; bmp: boolean }
  | ({ ok: false } & OtError<"INVALID_OP" | "DOCUMENT_TOO_LARGE">);

/**
 * Checks a parsed op against the text it will be applied to: it must stay inside the text, a delete that names
 * its text must name what is there, and it may not grow the document past MAX_DOCUMENT_CHARS. A document that
 * is already larger may still shrink, so it never becomes impossible to edit.
 */
function opFit(text: MeasuredText, op: TextOp): OpFit {
  const doc = text.content;
  const skip = text.bmp
    ? (index: number, count: number) => (index + count <= doc.length ? index + count : -1)
    : (index: number, count: number) => advance(doc, index, count);
  let index = 0;
  let resultLength = text.length;
  let bmp = text.bmp;
  for (const component of op) {
    if (typeof component === "number") {
      index = skip(index, component);
    } else if (typeof component === "string") {
      const length = codePointLength(component);
      resultLength += length;
      bmp &&= length === component.length;
    } else if (typeof component.d === "number") {
      index = skip(index, component.d);
      resultLength -= component.d;
    } else {
      if (!doc.startsWith(component.d, index)) {
        return { ok: false, code: "INVALID_OP", message: "A delete does not match the text at its position" };
      }
      index += component.d.length;
      resultLength -= codePointLength(component.d);
    }
    if (index < 0) return { ok: false, code: "INVALID_OP", message: "The op reaches past the end of the document" };
  }
  if (resultLength > MAX_DOCUMENT_CHARS && resultLength > text.length) {
    return {
      ok: false,
      code: "DOCUMENT_TOO_LARGE",
      message: `The document may hold at most ${MAX_DOCUMENT_CHARS} characters`,
    };
  }
  return { ok: true, length: resultLength, bmp };
}

export function checkOpAgainst(doc: string, op: TextOp): OtError<"INVALID_OP" | "DOCUMENT_TOO_LARGE"> | null {
  const result = opFit(measure(doc), op);
  return result.ok ? null : { code: result.code, message: result.message };
}

/**
 * Checks an op against a measured text and applies it. Where the text has no surrogate pairs the op's positions
 * are string indexes and the text is cut and joined directly; otherwise ot-text-unicode walks it.
 */
export function applyChecked(
  text: MeasuredText,
  op: TextOp,
): { ok: true; text: MeasuredText } | ({ ok: false } & OtError<"INVALID_OP" | "DOCUMENT_TOO_LARGE">) {
  const result = opFit(text, op);
  if (!result.ok) return result;
  const content = text.bmp ? spliceIndexes(text.content, op) : textType.apply(text.content, op);
  return { ok: true, text: { content, length: result.length, bmp: result.bmp } };
}

/** Applies an op whose positions are string indexes (a text without surrogate pairs) and that fits the text. */
function spliceIndexes(doc: string, op: TextOp): string {
  const parts: string[] = [];
  let index = 0;
  for (const component of op) {
    if (typeof component === "number") {
      parts.push(doc.slice(index, index + component));
      index += component;
    } else if (typeof component === "string") {
      parts.push(component);
    } else {
      index += typeof component.d === "number" ? component.d : component.d.length;
    }
  }
  parts.push(doc.slice(index));
  return parts.join("");
}

/**
 * Transforms a client op over the ops the server applied after its base revision, oldest first.
 * The client op takes side "right": where both insert at the same position, the op the server sequenced first
 * keeps its place and the later one lands after it. `OtClient` transforms its pending ops with "right" and a
 * remote op with "left", the mirror image, so both ends resolve every tie the same way and converge.
 */
export function rebase(op: TextOp, concurrent: readonly TextOp[]): TextOp {
  return concurrent.reduce((rebased, applied) => textType.transform(rebased, applied, "right"), op);
}

/**
 * The client's half of the same rule: its pending op and an op the server sequenced first, both from the same
 * revision, transformed over each other with the sides `rebase` uses, so that
 * apply(apply(doc, local), sequenced') equals apply(apply(doc, sequenced), local'), which is what the server has.
 */
export function transformPair(local: TextOp, sequenced: TextOp): { local: TextOp; sequenced: TextOp } {
  return {
    local: textType.transform(local, sequenced, "right"),
    sequenced: textType.transform(sequenced, local, "left"),
  };
}

/** Applies an op that passed checkOpAgainst; throws if the op does not fit the text. */
export function applyOp(doc: string, op: TextOp): string {
  return textType.apply(doc, op);
}

export function composeOps(first: TextOp, second: TextOp): TextOp {
  return textType.compose(first, second);
}

/**
 * Moves a cursor through an op. Text inserted exactly at a cursor pushes it along only when the cursor's owner
 * typed it (their caret follows their typing); anyone else's cursor stays before the new text. A position that
 * is not positive counts as 0, so a bad cursor cannot make the transform throw.
 */
export function transformCursor(cursor: Cursor | null, op: TextOp, isOwnOp: boolean): Cursor | null {
  if (cursor === null) return null;
  const side = isOwnOp ? "right" : "left";
  const move = (position: number): number => {
    // Transform a one-character insert standing in for the cursor; where it lands is where the cursor goes.
    const marker = textType.transform(position > 0 ? [position, "|"] : ["|"], op, side);
    return typeof marker[0] === "number" ? marker[0] : 0;
  };
  return { anchor: move(cursor.anchor), head: move(cursor.head) };
}
