/**
 * What the service accepts as song text, for REST and the live document alike: well-formed Unicode (D1 stores
 * UTF-8, where a lone surrogate would silently become U+FFFD) of at most MAX_DOCUMENT_CHARS code points.
 */

/** The longest song text, in code points: the same for a song sent over REST and for the live document. */
export const MAX_DOCUMENT_CHARS = 100_000;

// With the `u` flag a surrogate only matches when it is not part of a pair.
const LONE_SURROGATE = /\p{Surrogate}/u;

/** True when the string has no lone surrogate, so it survives being stored as UTF-8. */
export function isWellFormed(text: string): boolean {
  return !LONE_SURROGATE.test(text);
}

export function codePointLength(text: string): number {
  let length = 0;
  for (let index = 0; index < text.length; index++) {
    const unit = text.charCodeAt(index);
    if (unit >= 0xd800 && unit <= 0xdbff) index++;
    length++;
  }
  return length;
}

/** Bytes the text takes as UTF-8 (a lone surrogate counts as the 3 bytes of its replacement). */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (let index = 0; index < text.length; index++) {
    const unit = text.charCodeAt(index);
    if (unit < 0x80) bytes += 1;
    else if (unit < 0x800) bytes += 2;
    else if (unit >= 0xd800 && unit <= 0xdbff && index + 1 < text.length) {
      const next = text.charCodeAt(index + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 4;
        index++;
      } else bytes += 3;
    } else bytes += 3;
  }
  return bytes;
}

export type TextProblem = "MALFORMED_TEXT" | "TEXT_TOO_LONG";

export const TEXT_PROBLEM_MESSAGES: Record<TextProblem, string> = {
  MALFORMED_TEXT: "must be well-formed Unicode (it holds a lone surrogate)",
  TEXT_TOO_LONG: `may hold at most ${MAX_DOCUMENT_CHARS.toLocaleString("en-US")} characters`,
};

/** Why a song text is not acceptable, or null when it is. */
export function songTextProblem(text: string): TextProblem | null {
  // Cheap first: a text of at most MAX_DOCUMENT_CHARS UTF-16 units cannot be longer in code points.
  if (text.length > MAX_DOCUMENT_CHARS && codePointLength(text) > MAX_DOCUMENT_CHARS) return "TEXT_TOO_LONG";
  return isWellFormed(text) ? null : "MALFORMED_TEXT";
}
