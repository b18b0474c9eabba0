/**
 * A minimal RFC 5322 message with one MIME part: UTF-8 plain text in quoted-printable (readable as it is, wherever
 * the text is ASCII), with header text that is not plain ASCII written as RFC 2047 encoded words. Enough for the
 * service's own notices (no HTML, no attachments), and no dependency to keep up to date.
 */

/** One email as composed and as sent: the envelope, the fields a reader sees, and the whole message. */
export interface OutgoingEmail {
  /** The envelope sender, also the address in the From header. */
  from: string;
  to: string;
  subject: string;
  /** The body as composed, before encoding. */
  text: string;
  /** The RFC 5322 message itself. */
  raw: string;
}

export interface MessageFields {
  from: string;
  fromName: string;
  to: string;
  subject: string;
  text: string;
  date: Date;
  /** Without the angle brackets: `<local>@<domain>`. */
  messageId: string;
}

/** An address we write into a header as it is: one `@`, no spaces, quotes, brackets or separators. */
export function isPlainAddress(address: string): boolean {
  return address.length <= 320 && /^[^\s"<>()[\]\\,;:@]+@[^\s"<>()[\]\\,;:@]+$/.test(address);
}

/** The message for `fields`; throws on an address that is not plain (a header must never be injected). */
export function mimeMessage(fields: MessageFields): string {
  for (const address of [fields.from, fields.to]) {
    if (!isPlainAddress(address)) throw new Error(`not an address to write into a header: ${JSON.stringify(address)}`);
  }
  const headers = [
    `From: ${headerText(fields.fromName, true)} <${fields.from}>`,
    `To: <${fields.to}>`,
    `Subject: ${headerText(fields.subject, false)}`,
    `Date: ${fields.date.toUTCString().replace(/GMT$/, "+0000")}`,
    `Message-ID: <${fields.messageId}>`,
    // Tells autoresponders not to answer (RFC 3834).
    "Auto-Submitted: auto-generated",
    "MIME-Version: 1.0",
    "Content-Type: text/plain; charset=utf-8",
    "Content-Transfer-Encoding: quoted-printable",
  ];
  const body = fields.text
    .replace(/\r?\n$/, "")
    .split(/\r?\n/)
    .map(quotedPrintable);
  return `${headers.join("\r\n")}\r\n\r\n${body.join("\r\n")}\r\n`;
}

/**
 * One line of text in quoted-printable (RFC 2045 §6.7): printable ASCII but `=` as it is, every other byte as `=XX`,
 * a space or tab at the end encoded, and lines longer than 76 characters broken with soft line breaks.
 */
function quotedPrintable(line: string): string {
  const bytes = new TextEncoder().encode(line);
  const tokens = [...bytes].map((byte, index) => {
    const last = index === bytes.length - 1;
    const plain = (byte >= 33 && byte <= 126 && byte !== 61) || ((byte === 32 || byte === 9) && !last);
    return plain ? String.fromCharCode(byte) : `=${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  });
  const lines: string[] = [];
  let current = "";
  for (const token of tokens) {
    // 75 characters and the `=` of the soft line break.
    if (current.length + token.length > 75) {
      lines.push(`${current}=`);
      current = "";
    }
    current += token;
  }
  lines.push(current);
  return lines.join("\r\n");
}

/**
 * Header text: control characters (a line break above all) become spaces; printable ASCII stays as it is (quoted,
 * for a display name), anything else becomes encoded words of at most 75 characters on folded lines.
 */
function headerText(text: string, displayName: boolean): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point
  const clean = text.replace(/[\u0000-\u001f\u007f]+/g, " ").trim();
  if (/^[\x20-\x7e]*$/.test(clean) && clean.length <= 900) {
    return displayName ? `"${clean.replace(/["\\]/g, "\\$&")}"` : clean;
  }
  const words: string[] = [];
  let chunk: number[] = [];
  for (const character of clean) {
    const bytes = [...new TextEncoder().encode(character)];
    // 45 bytes are 60 base64 characters: with "=?UTF-8?B?" and "?=" a word stays within 75.
    if (chunk.length + bytes.length > 45) {
      words.push(encodedWord(chunk));
      chunk = [];
    }
    chunk.push(...bytes);
  }
  if (chunk.length) words.push(encodedWord(chunk));
  return words.join("\r\n ");
}

function encodedWord(bytes: number[]): string {
  return `=?UTF-8?B?${base64(Uint8Array.from(bytes))}?=`;
}

function base64(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}
