/** Typed API errors and the sentences a musician reads when something goes wrong. */
import type { ValidationIssue } from "./types";

/** A refusal from the API (the contract's error envelope), or a request that never got an answer (status 0). */
export class SessionApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
    /** Seconds to wait, from `Retry-After` on a 429. */
    readonly retryAfter?: number,
  ) {
    super(message);
    this.name = "SessionApiError";
  }

  /** No answer came (NETWORK_ERROR or TIMEOUT): nothing was refused, and asking again may work. */
  get unanswered(): boolean {
    return this.status === 0;
  }

  /** The field-by-field problems of a VALIDATION_ERROR; empty for any other error. */
  get issues(): ValidationIssue[] {
    if (!Array.isArray(this.details)) return [];
    return this.details.flatMap((entry: unknown) => {
      if (!entry || typeof entry !== "object") return [];
      const { path, message } = entry as { path?: unknown; message?: unknown };
      return typeof message === "string" ? [{ path: typeof path === "string" ? path : "", message }] : [];
    });
  }
}

const FIELD_NAMES: Record<string, string> = {
  name: "the session name",
  title: "the song title",
  content: "the song text",
  max_participants: "the participant limit",
  access_mode: "who can join",
  song_id: "the song",
  template_id: "the template",
  invitation_code: "the invitation code",
  role: "the role",
  email: "the email address",
  user_id: "the user",
  users: "the people to invite",
  sub: "the user name",
  text: "the comment",
};

function fieldName(path: string): string {
  const parts = path.split(".").filter((part) => !/^\d+$/.test(part));
  const last = parts[parts.length - 1];
  return last ? (FIELD_NAMES[last] ?? last.replaceAll("_", " ")) : "";
}

const SENTENCES: Record<string, string> = {
  UNAUTHORIZED: "Your sign-in has expired or is not valid. Please sign in again.",
  FORBIDDEN: "Your role in this session does not allow that.",
  NOT_FOUND: "We could not find that. It may have been deleted, or the link is wrong.",
  INVITATION_REQUIRED: "This session is invite-only. Ask the session leader to invite you.",
  INVALID_INVITATION_CODE: "This invitation link no longer works. Ask the session leader for a fresh link.",
  REMOVED: "You were removed from this session. The session leader needs to invite you again.",
  SESSION_FULL: "This session is full. Ask the session leader to raise the participant limit.",
  SESSION_NOT_ACTIVE: "This session has ended, so nothing in it can change any more.",
  OWNER_CANNOT_LEAVE: "You lead this session. Hand it over to someone else before you leave.",
  INVALID_STATUS_TRANSITION: "The session cannot do that in its current state.",
  RATE_LIMITED: "That was a lot at once. Wait a moment and try again.",
  PAYLOAD_TOO_LARGE: "That is too much to send at once. Try a shorter text.",
  NETWORK_ERROR: "We cannot reach the server. Check your connection and try again.",
  TIMEOUT: "The server did not answer in time. Check your connection and try again.",
  INTERNAL_ERROR: "Something went wrong on our side. Please try again.",
  NOT_CONFIGURED: "The server is not set up for this yet. Ask whoever runs it.",
  NOT_CONNECTED: "You are not connected to the session right now. Wait a moment while we reconnect.",
  CLOSED: "The connection to the session was closed.",
  INVALID_COMMENT: "A comment needs some text (at most 2,000 characters).",
  INVALID_ANCHOR: "The passage this comment points to has changed. Select it again.",
  OP_TOO_LARGE: "That change is too big to send at once. Try pasting in smaller parts.",
  DOCUMENT_TOO_LARGE: "The chord sheet has reached its maximum length.",
  CONFLICT: "That clashes with something that already exists.",
};

/** What went wrong, as a sentence for the person in front of the screen; never "[object Object]". */
export function friendlyMessage(error: unknown): string {
  if (error === null || error === undefined) return "Something went wrong. Please try again.";
  if (typeof error === "string") return error.trim() || "Something went wrong. Please try again.";
  if (error instanceof SessionApiError) return apiErrorSentence(error);
  if (typeof error === "object") {
    const { code, message } = error as { code?: unknown; message?: unknown };
    if (typeof code === "string" && SENTENCES[code]) {
      // A specific server explanation beats the generic FORBIDDEN sentence.
      return code === "FORBIDDEN" && typeof message === "string" && message ? withPeriod(message) : SENTENCES[code];
    }
    if (error instanceof TypeError) return SENTENCES.NETWORK_ERROR!;
    if (typeof message === "string" && message.trim()) return withPeriod(message.trim());
  }
  return "Something went wrong. Please try again.";
}

function apiErrorSentence(error: SessionApiError): string {
  if (error.code === "VALIDATION_ERROR") {
    const issue = error.issues[0];
    if (!issue) return "Something in the form is not right. Please check it and try again.";
    const field = fieldName(issue.path);
    const problem = plainProblem(issue.message);
    return field ? `Please check ${field}: ${problem}.` : `Please check the form: ${problem}.`;
  }
  if (error.code === "RATE_LIMITED" && error.retryAfter) {
    return `That was a lot at once. Try again in ${error.retryAfter} second${error.retryAfter === 1 ? "" : "s"}.`;
  }
  // The server's own words name the role and the permission; they are clearer than a generic sentence.
  if (error.code === "FORBIDDEN" && error.message) return withPeriod(error.message);
  if (error.code === "INVALID_STATUS_TRANSITION" && error.message) return withPeriod(error.message);
  const sentence = SENTENCES[error.code];
  if (sentence) return sentence;
  if (error.status >= 500) return SENTENCES.INTERNAL_ERROR!;
  return error.message ? withPeriod(error.message) : "Something went wrong. Please try again.";
}

/** zod's wording, in words a musician uses. */
const PLAIN_PROBLEMS: [RegExp, (match: RegExpMatchArray) => string][] = [
  [/expected string to have >=1 characters/, () => "it cannot be empty"],
  [/expected string to have >=(\d+) characters/, (m) => `it needs at least ${m[1]} characters`],
  [/expected string to have <=(\d+) characters/, (m) => `it can have at most ${m[1]} characters`],
  [/expected number to be >=(\d+)/, (m) => `it must be at least ${m[1]}`],
  [/expected number to be <=(\d+)/, (m) => `it can be at most ${m[1]}`],
  [/expected array to have >=1 items/, () => "add at least one"],
  [/expected array to have <=(\d+) items/, (m) => `at most ${m[1]} at a time`],
  [/received undefined/, () => "it is missing"],
  [/Invalid option: expected one of (.+)$/, (m) => `choose one of ${m[1]!.replaceAll('"', "").split("|").join(", ")}`],
];

function plainProblem(message: string): string {
  for (const [pattern, sentence] of PLAIN_PROBLEMS) {
    const match = message.match(pattern);
    if (match) return sentence(match);
  }
  return lowerFirst(message);
}

function withPeriod(text: string): string {
  const trimmed = text.trim();
  return /[.!?]$/.test(trimmed) ? trimmed : `${trimmed}.`;
}

function lowerFirst(text: string): string {
  const trimmed = text.trim().replace(/[.!?]+$/, "");
  return trimmed.charAt(0).toLowerCase() + trimmed.slice(1);
}
