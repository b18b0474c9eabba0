/** The zod schemas of the song routes' requests and responses (songs, their versions and shares). */
import { z } from "@hono/zod-openapi";
import { VERSION_KINDS } from "./songs";
import { isWellFormed, MAX_DOCUMENT_CHARS, songTextProblem, TEXT_PROBLEM_MESSAGES } from "./text";

const trimmed = (min: number, max: number) => z.string().trim().min(min).max(max);
const isoTime = z.string().openapi({ example: "2026-11-27T12:00:00.000Z" });

export const SongSchema = z
  .object({
    id: z.int(),
    title: z.string(),
    content: z.string(),
    owner_id: z.string(),
    permission: z.enum(["owner", "read", "edit", "admin"]).optional(),
    /** The number of the song's latest version. */
    version: z.int(),
    created_at: isoTime,
    updated_at: isoTime,
  })
  .openapi("Song");

/** Song text, the same rule as the live document's (src/domain/text.ts). */
export const SongTextSchema = z
  .string()
  .superRefine((text, ctx) => {
    const problem = songTextProblem(text);
    if (problem) ctx.addIssue({ code: "custom", message: TEXT_PROBLEM_MESSAGES[problem] });
  })
  .openapi({
    description: `Well-formed Unicode, at most ${MAX_DOCUMENT_CHARS} characters (code points)`,
    maxLength: MAX_DOCUMENT_CHARS,
  });
const SongTitleSchema = trimmed(1, 255).refine(isWellFormed, TEXT_PROBLEM_MESSAGES.MALFORMED_TEXT);

export const SongCreateSchema = z.object({ title: SongTitleSchema, content: SongTextSchema });
export const SongUpdateSchema = z
  .object({ title: SongTitleSchema.optional(), content: SongTextSchema.optional() })
  .refine((body) => body.title !== undefined || body.content !== undefined, "Give a title or content to change");
export const SongVersionSummarySchema = z
  .object({
    number: z.int(),
    created_at: isoTime,
    author_id: z.string().nullable().openapi({ description: "Who wrote it, when a user did" }),
    session_id: z.string().nullable().openapi({ description: "Which session wrote it back, when one did" }),
    kind: z.enum(VERSION_KINDS),
    applied: z.boolean().openapi({ description: "False for a session's text that was kept but not applied" }),
    summary: z.string().openapi({ example: "+3 −1 lines" }),
  })
  .openapi("SongVersionSummary");
export const SongVersionSchema = SongVersionSummarySchema.extend({ song_id: z.int(), content: z.string() }).openapi(
  "SongVersion",
);
export const SongVersionPageSchema = z
  .object({ versions: z.array(SongVersionSummarySchema), next_cursor: z.string().nullable() })
  .openapi("SongVersionPage");
export const SongVersionsQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(50),
  cursor: z
    .string()
    .regex(/^\d{1,15}$/, "not a cursor from this list")
    .optional(),
});

export const SongShareSchema = z
  .object({
    user_id: trimmed(1, 255).optional(),
    email: z.email().max(320).optional(),
    permission: z.enum(["read", "edit", "admin"]),
  })
  .refine(
    (body) => (body.user_id === undefined) !== (body.email === undefined),
    "Give exactly one of user_id or email",
  );

export type Song = z.infer<typeof SongSchema>;
export type SongVersion = z.infer<typeof SongVersionSchema>;
export type SongVersionPage = z.infer<typeof SongVersionPageSchema>;
