/**
 * The zod schemas of every request and response. They validate requests, generate the OpenAPI document,
 * and give the TypeScript SDK its types, so the three cannot drift apart.
 */
import { z } from "@hono/zod-openapi";
import { ACCESS_MODES, ASSIGNABLE_ROLES, PERMISSIONS, ROLES, SESSION_STATUSES } from "./permissions";
import { SETTINGS_BOUNDS } from "./settings";

const trimmed = (min: number, max: number) => z.string().trim().min(min).max(max);
const isoTime = z.string().openapi({ example: "2026-11-27T12:00:00.000Z" });

export const RoleSchema = z.enum(ROLES);
export const AssignableRoleSchema = z.enum(ASSIGNABLE_ROLES);
export const PermissionSchema = z.enum(PERMISSIONS);
export const SessionStatusSchema = z.enum(SESSION_STATUSES);
export const AccessModeSchema = z.enum(ACCESS_MODES);

export const PermissionMapSchema = z
  .object({
    editor: z.array(PermissionSchema).max(PERMISSIONS.length),
    commenter: z.array(PermissionSchema).max(PERMISSIONS.length),
    viewer: z.array(PermissionSchema).max(PERMISSIONS.length),
  })
  .openapi("PermissionMap");

const MAX_JSON_DEPTH = 32;

/** True when a JSON value nests no deeper than `limit` (walked without recursion, so depth cannot overflow). */
function nestsWithin(value: unknown, limit: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length) {
    const [current, depth] = stack.pop()!;
    if (current === null || typeof current !== "object") continue;
    if (depth >= limit) return false;
    for (const child of Object.values(current)) stack.push([child, depth + 1]);
  }
  return true;
}

/** Free-form JSON kept as given, nested at most 32 deep. */
const JsonValueSchema = z
  .unknown()
  .refine((value) => nestsWithin(value, MAX_JSON_DEPTH), `Nested deeper than ${MAX_JSON_DEPTH} levels`)
  .openapi("JsonValue");

const boundedInt = (bounds: { min: number; max: number }) => z.int().min(bounds.min).max(bounds.max);

export const SettingsSchema = z
  .object({
    auto_save_interval: boundedInt(SETTINGS_BOUNDS.auto_save_interval).optional(),
    auto_recording: z.boolean().optional(),
    idle_timeout_minutes: boundedInt(SETTINGS_BOUNDS.idle_timeout_minutes).optional(),
    archive_after_days: boundedInt(SETTINGS_BOUNDS.archive_after_days).optional(),
  })
  .catchall(JsonValueSchema)
  .openapi("Settings");

export const MaxParticipantsSchema = z.int().min(2).max(50);

// ---- errors and envelope ----

export const ErrorSchema = z
  .object({
    status: z.literal("error"),
    message: z.string().openapi({ description: "The same text as error.message (ChordMe's client reads it here)" }),
    error: z.object({
      code: z.string().openapi({ example: "VALIDATION_ERROR" }),
      message: z.string(),
      details: z.unknown().optional(),
    }),
  })
  .openapi("Error");

export function envelope<T extends z.ZodType>(data: T) {
  return z.object({ status: z.literal("success"), data, message: z.string().optional() });
}

// ---- templates ----

export const TemplateSchema = z
  .object({
    id: z.int(),
    name: z.string(),
    description: z.string().nullable(),
    category: z.string(),
    max_participants: z.int(),
    auto_recording: z.boolean(),
    auto_save_interval: z.int(),
    default_role: AssignableRoleSchema,
    permissions: PermissionMapSchema,
    settings: z.record(z.string(), z.unknown()),
    is_public: z.boolean(),
    is_default: z.boolean(),
    created_by: z.string().nullable(),
    usage_count: z.int(),
    created_at: isoTime,
    updated_at: isoTime,
  })
  .openapi("Template");

const templateFields = {
  name: trimmed(1, 100),
  description: trimmed(0, 1000).nullable().optional(),
  category: trimmed(1, 50),
  max_participants: MaxParticipantsSchema,
  auto_recording: z.boolean(),
  auto_save_interval: boundedInt(SETTINGS_BOUNDS.auto_save_interval),
  default_role: AssignableRoleSchema,
  permissions: PermissionMapSchema,
  settings: SettingsSchema,
  is_public: z.boolean(),
};
export const TemplateCreateSchema = z.object({
  ...templateFields,
  description: templateFields.description,
  max_participants: templateFields.max_participants.default(10),
  auto_recording: templateFields.auto_recording.default(false),
  auto_save_interval: templateFields.auto_save_interval.default(30),
  default_role: templateFields.default_role.default("viewer"),
  settings: templateFields.settings.default({}),
  is_public: templateFields.is_public.default(false),
});
export const TemplateUpdateSchema = z
  .object(templateFields)
  .partial()
  .refine((body) => Object.keys(body).length > 0, "Give at least one field to change");

// ---- sessions ----

export const ParticipantSchema = z
  .object({
    user_id: z.string(),
    display_name: z.string(),
    role: RoleSchema,
    status: z.enum(["active", "left", "removed"]),
    color: z.string(),
    online: z.boolean(),
    joined_at: isoTime,
    last_seen_at: isoTime.nullable(),
    contribution_count: z.int(),
    total_time_seconds: z.int(),
    invited_by: z.string().nullable(),
    email: z.string().nullable().optional(),
  })
  .openapi("Participant");

const sessionFields = {
  id: z.uuid(),
  song_id: z.int(),
  template_id: z.int().nullable(),
  owner_id: z.string(),
  name: z.string(),
  description: z.string().nullable(),
  access_mode: AccessModeSchema,
  status: SessionStatusSchema,
  max_participants: z.int(),
  participant_count: z.int(),
  online_count: z.int(),
  is_recording: z.boolean(),
  default_role: AssignableRoleSchema,
  settings: z.record(z.string(), z.unknown()),
  created_at: isoTime,
  updated_at: isoTime,
  started_at: isoTime,
  ended_at: isoTime.nullable(),
  last_activity_at: isoTime,
  /** ChordMe's names (CONTRACT "ChordMe compatibility"): the same value as `last_activity_at`; a derived flag. */
  last_activity: isoTime.openapi({ description: "ChordMe's name for last_activity_at; the same value" }),
  auto_save_enabled: z.boolean().openapi({
    description: "ChordMe's flag: true when settings.auto_save_interval is a positive number of seconds",
  }),
  user_role: RoleSchema.nullable(),
  permissions: z.array(PermissionSchema),
  invitation_code: z.string().optional(),
};

export const SessionSummarySchema = z.object(sessionFields).openapi("SessionSummary");
export const SessionViewSchema = z
  .object({
    ...sessionFields,
    role_permissions: PermissionMapSchema.openapi({
      description: "What each role may do in this session (from its template, or the defaults), owner excepted",
    }),
    participants: z.array(ParticipantSchema),
  })
  .openapi("Session");

export const SessionCreateSchema = z.object({
  song_id: z.int().positive(),
  name: trimmed(1, 255),
  description: trimmed(0, 2000).nullable().optional(),
  template_id: z.int().positive().nullable().optional(),
  access_mode: AccessModeSchema.default("invite-only"),
  max_participants: MaxParticipantsSchema.optional(),
  default_role: AssignableRoleSchema.optional(),
  settings: SettingsSchema.optional(),
});

export const SessionUpdateSchema = z
  .object({
    name: trimmed(1, 255).optional(),
    description: trimmed(0, 2000).nullable().optional(),
    access_mode: AccessModeSchema.optional(),
    max_participants: MaxParticipantsSchema.optional(),
    default_role: AssignableRoleSchema.optional(),
    settings: SettingsSchema.optional(),
  })
  .refine((body) => Object.values(body).some((value) => value !== undefined), "Give at least one field to change");

export const PageQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(50),
  cursor: z.string().max(500).optional(),
});

export const MySessionsQuerySchema = PageQuerySchema.extend({
  status: SessionStatusSchema.optional(),
  role: RoleSchema.optional(),
});

export type SessionCreate = z.infer<typeof SessionCreateSchema>;
export type SessionUpdate = z.infer<typeof SessionUpdateSchema>;
export type SessionView = z.infer<typeof SessionViewSchema>;
export type SessionSummary = z.infer<typeof SessionSummarySchema>;
export type Participant = z.infer<typeof ParticipantSchema>;
export type Template = z.infer<typeof TemplateSchema>;

// ---- membership ----

export const JoinSchema = z.object({ invitation_code: z.string().trim().min(1).max(64).optional() });

export const InviteeSchema = z
  .object({
    email: z.email().max(320).optional(),
    user_id: trimmed(1, 255).optional(),
    role: AssignableRoleSchema.default("viewer"),
  })
  .refine(
    (entry) => (entry.email === undefined) !== (entry.user_id === undefined),
    "Give exactly one of email or user_id",
  );

export const InviteSchema = z.object({
  users: z.array(InviteeSchema).min(1).max(50),
  message: trimmed(0, 1000).optional(),
});

export const InviteResultSchema = z
  .object({
    invited: z.array(
      z.object({
        user_id: z.string().optional(),
        email: z.string().optional(),
        role: AssignableRoleSchema,
        status: z.enum(["invited", "already_participant"]),
        /** The invitation, new or updated; absent for `already_participant`. */
        invitation_id: z.string().optional(),
      }),
    ),
    errors: z.array(z.object({ index: z.int(), code: z.string(), message: z.string() })),
  })
  .openapi("InviteResult");

/** ChordMe's view of an invitation answer: the entries of `invited` with status "invited". */
export const InvitedUserSchema = z
  .object({
    user_id: z.string().nullable().openapi({ description: "As asked: null for an entry asked by email" }),
    email: z.string().nullable().openapi({ description: "As asked: null for an entry asked by user_id" }),
    role: AssignableRoleSchema,
    invitation_id: z.string().optional(),
  })
  .openapi("InvitedUser");

/** What POST /sessions/{id}/invite answers: the session's result and ChordMe's `invited_users`. */
export const InviteAnswerSchema = InviteResultSchema.extend({ invited_users: z.array(InvitedUserSchema) }).openapi(
  "InviteAnswer",
);

export const InvitationSchema = z
  .object({
    id: z.string(),
    session_id: z.uuid(),
    session_name: z.string(),
    session_status: SessionStatusSchema,
    role: AssignableRoleSchema,
    invited_by: z.string(),
    message: z.string().nullable(),
    created_at: isoTime,
  })
  .openapi("Invitation");

export const RoleChangeSchema = z.object({ role: AssignableRoleSchema });
export const TransferSchema = z.object({ user_id: trimmed(1, 255) });

export const ActivitySchema = z
  .object({
    id: z.int(),
    type: z.string(),
    user_id: z.string().nullable(),
    description: z.string(),
    details: z.unknown().nullable(),
    created_at: isoTime,
    is_private: z.boolean().optional(),
  })
  .openapi("Activity");

/** An activity entry as GET /sessions/{id}/activities answers it: with `activity_type`, ChordMe's name for `type`. */
export const ActivityAnswerSchema = ActivitySchema.extend({
  activity_type: z.string().openapi({ description: "ChordMe's name for type; the same value" }),
}).openapi("ActivityAnswer");

/** How many entries `offset` may skip; further back, page with the cursor. */
export const MAX_ACTIVITY_OFFSET = 10_000;

export const ActivityQuerySchema = z.object({
  type: z.string().trim().min(1).max(64).optional(),
  activity_type: z
    .string()
    .trim()
    .min(1)
    .max(64)
    .optional()
    .openapi({ description: "ChordMe's name for type; give one of the two, or both the same" }),
  limit: z.coerce.number().int().min(1).max(100).default(50),
  cursor: z
    .string()
    .regex(/^\d{1,15}$/, "not a cursor from this list")
    .optional(),
  offset: z.coerce
    .number()
    .int()
    .min(0)
    .max(MAX_ACTIVITY_OFFSET)
    .optional()
    .openapi({ description: "Skip this many of the entries the page would start with (after the cursor, if any)" }),
});

export type Invite = z.infer<typeof InviteSchema>;
export type InviteResult = z.infer<typeof InviteResultSchema>;
export type Activity = z.infer<typeof ActivitySchema>;
export type ActivityQuery = z.infer<typeof ActivityQuerySchema>;

// ---- recording, health and statistics ----

export const RecordingStatusSchema = z
  .object({
    is_recording: z.boolean(),
    recording_id: z.string().optional(),
    started_at: isoTime.optional(),
    events_count: z.int(),
    duration_ms: z.int(),
  })
  .openapi("RecordingStatus");

export const RecordingManifestSchema = z
  .object({
    id: z.string(),
    session_id: z.uuid(),
    status: z.enum(["recording", "stopped"]),
    started_at: isoTime,
    stopped_at: isoTime.nullable(),
    started_by: z.string(),
    duration_ms: z.int(),
    events_count: z.int(),
    chunks_count: z.int(),
    start_rev: z.int(),
    start_content: z.string(),
  })
  .openapi("RecordingManifest");

export const PlaybackRangeSchema = z.object({
  from_ms: z.coerce.number().int().min(0).optional(),
  to_ms: z.coerce.number().int().min(0).optional(),
});

export const SnapshotQuerySchema = z.object({ at_ms: z.coerce.number().int().min(0) });

export const SnapshotSchema = z.object({ rev: z.int(), content: z.string(), at_ms: z.int() }).openapi("Snapshot");

export const HealthSchema = z
  .object({
    score: z.int().min(0).max(100),
    level: z.enum(["excellent", "good", "fair", "poor"]),
    factors: z.array(z.object({ name: z.string(), points: z.int(), detail: z.string() })),
  })
  .openapi("Health");

export const SessionStatsSchema = z
  .object({
    participants: z.object({ total: z.int(), active: z.int(), online: z.int(), peak_online: z.int() }),
    edits: z.object({ total: z.int(), by_user: z.record(z.string(), z.int()) }),
    comments: z.int(),
    activities: z.int(),
    duration_seconds: z.int(),
    recordings: z.object({ count: z.int(), total_duration_ms: z.int(), events: z.int() }),
    last_activity_at: isoTime,
  })
  .openapi("SessionStats");

export const AdminStatsSchema = z
  .object({
    total_sessions: z.int(),
    by_status: z.object({ active: z.int(), paused: z.int(), ended: z.int(), archived: z.int() }),
    total_activities: z.int(),
    average_session_duration_hours: z.number(),
  })
  .openapi("AdminStats");
