/** Validation of what clients send over the WebSocket. */
import { z } from "zod";
import { type ClientMessage, MAX_COMMENT_CHARS, PRESENCE_STATUSES } from "../domain/protocol";
import { isWellFormed } from "../domain/text";

/** Longer than any user id a token may carry (src/auth). */
const MAX_USER_ID_CHARS = 256;

const CursorSchema = z.object({ anchor: z.int().min(0), head: z.int().min(0) });

const ClientMessageSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("op"), seq: z.int().min(1), rev: z.int().min(0), op: z.unknown() }),
  z.object({
    type: z.literal("presence"),
    cursor: CursorSchema.nullable(),
    status: z.enum(PRESENCE_STATUSES).optional(),
    lead: z.string().min(1).max(MAX_USER_ID_CHARS).nullable().optional(),
  }),
  z.object({
    type: z.literal("comment"),
    text: z.string().trim().min(1).max(MAX_COMMENT_CHARS).refine(isWellFormed, "not well-formed Unicode text"),
    anchor: z.object({ from: z.int().min(0), to: z.int().min(0) }).optional(),
  }),
  z.object({ type: z.literal("ping") }),
]) satisfies z.ZodType<ClientMessage>;

/** A client frame as a message, or the reason it is not one. */
export function parseClientMessage(raw: string | ArrayBuffer): ClientMessage | { error: string } {
  if (typeof raw !== "string") return { error: "Send JSON text frames" };
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return { error: "Not JSON" };
  }
  const parsed = ClientMessageSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return {
      error: `Invalid message: ${issue ? `${issue.path.join(".") || "type"}: ${issue.message}` : "unknown shape"}`,
    };
  }
  return parsed.data;
}
