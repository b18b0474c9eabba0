/** The D1 schema: the user directory, songs and their versions, templates, and the cross-session index of sessions. */
import { sql } from "drizzle-orm";
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { VERSION_KINDS } from "../domain/songs";

const now = sql`(strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))`;

export const users = sqliteTable(
  "users",
  {
    id: text("id").primaryKey(),
    email: text("email"),
    name: text("name"),
    /** Whether the user wants emails from the service (invitations); set with PATCH /users/me. */
    notifications_enabled: integer("notifications_enabled", { mode: "boolean" }).notNull().default(true),
    created_at: text("created_at").notNull().default(now),
    updated_at: text("updated_at").notNull().default(now),
  },
  (table) => [index("users_email").on(table.email)],
);

export const songs = sqliteTable(
  "songs",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    title: text("title").notNull(),
    content: text("content").notNull(),
    owner_id: text("owner_id").notNull(),
    created_at: text("created_at").notNull().default(now),
    updated_at: text("updated_at").notNull().default(now),
    /** The number of the song's latest version; writers expect it unchanged since they read the song. */
    version: integer("version").notNull().default(1),
  },
  (table) => [index("songs_owner").on(table.owner_id)],
);

/**
 * Every text a song has had, newest last: each change (created, edited, written back by a session, merged,
 * restored) and each session write-back that was refused (`applied` false: kept, but not the song's text).
 * The oldest are dropped past the bounds in src/domain/songs.ts.
 */
export const songVersions = sqliteTable(
  "song_versions",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    song_id: integer("song_id")
      .notNull()
      .references(() => songs.id, { onDelete: "cascade" }),
    number: integer("number").notNull(),
    content: text("content").notNull(),
    /** UTF-8 bytes of `content`, so the space a song's versions take is summed without reading them. */
    content_bytes: integer("content_bytes").notNull(),
    created_at: text("created_at").notNull().default(now),
    /** Who wrote it, for versions written by a user. */
    author_id: text("author_id"),
    /** Which session wrote it back, for versions written by a session. */
    session_id: text("session_id"),
    /** The session's revision a write-back carried, so a write-back delivered twice is recognised. */
    session_rev: integer("session_rev"),
    kind: text("kind", { enum: VERSION_KINDS }).notNull(),
    applied: integer("applied", { mode: "boolean" }).notNull().default(true),
    summary: text("summary").notNull(),
  },
  (table) => [
    uniqueIndex("song_versions_number").on(table.song_id, table.number),
    index("song_versions_session").on(table.session_id, table.session_rev),
  ],
);

/** A share names a user id or an email (for someone who has not signed in yet). */
export const songShares = sqliteTable(
  "song_shares",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    song_id: integer("song_id")
      .notNull()
      .references(() => songs.id, { onDelete: "cascade" }),
    user_id: text("user_id"),
    email: text("email"),
    permission: text("permission", { enum: ["read", "edit", "admin"] }).notNull(),
    created_by: text("created_by").notNull(),
    created_at: text("created_at").notNull().default(now),
  },
  (table) => [
    uniqueIndex("song_shares_user").on(table.song_id, table.user_id),
    uniqueIndex("song_shares_email").on(table.song_id, table.email),
    index("song_shares_by_user").on(table.user_id),
    index("song_shares_by_email").on(table.email),
  ],
);

export const sessionTemplates = sqliteTable(
  "session_templates",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    name: text("name").notNull(),
    description: text("description"),
    category: text("category").notNull(),
    max_participants: integer("max_participants").notNull(),
    auto_recording: integer("auto_recording", { mode: "boolean" }).notNull(),
    auto_save_interval: integer("auto_save_interval").notNull(),
    default_role: text("default_role", { enum: ["editor", "commenter", "viewer"] }).notNull(),
    permissions: text("permissions", { mode: "json" }).notNull(),
    settings: text("settings", { mode: "json" }).notNull(),
    is_public: integer("is_public", { mode: "boolean" }).notNull(),
    is_default: integer("is_default", { mode: "boolean" }).notNull().default(false),
    created_by: text("created_by"),
    usage_count: integer("usage_count").notNull().default(0),
    created_at: text("created_at").notNull().default(now),
    updated_at: text("updated_at").notNull().default(now),
  },
  (table) => [
    index("session_templates_listing").on(table.is_public, table.usage_count),
    index("session_templates_creator").on(table.created_by),
  ],
);

/**
 * The projection of each session's object: written only by that object, through its outbox.
 * `idle_deadline_at` and `archive_due_at` let the cleanup sweep find overdue sessions with one indexed query.
 */
export const sessions = sqliteTable(
  "sessions",
  {
    id: text("id").primaryKey(),
    song_id: integer("song_id").notNull(),
    template_id: integer("template_id"),
    owner_id: text("owner_id").notNull(),
    name: text("name").notNull(),
    description: text("description"),
    access_mode: text("access_mode").notNull(),
    status: text("status").notNull(),
    max_participants: integer("max_participants").notNull(),
    participant_count: integer("participant_count").notNull(),
    online_count: integer("online_count").notNull().default(0),
    is_recording: integer("is_recording", { mode: "boolean" }).notNull().default(false),
    default_role: text("default_role").notNull(),
    permissions: text("permissions", { mode: "json" }).notNull(),
    settings: text("settings", { mode: "json" }).notNull(),
    created_at: text("created_at").notNull(),
    updated_at: text("updated_at").notNull(),
    started_at: text("started_at").notNull(),
    ended_at: text("ended_at"),
    last_activity_at: text("last_activity_at").notNull(),
    idle_deadline_at: text("idle_deadline_at"),
    archive_due_at: text("archive_due_at"),
    archive_key: text("archive_key"),
    activity_count: integer("activity_count").notNull().default(0),
    /** The object's change counter at the time of this projection; older deliveries never overwrite newer ones. */
    version: integer("version").notNull(),
  },
  (table) => [
    index("sessions_public").on(table.access_mode, table.status, table.song_id),
    index("sessions_idle").on(table.status, table.idle_deadline_at),
    index("sessions_archive").on(table.status, table.archive_due_at),
  ],
);

export const sessionParticipants = sqliteTable(
  "session_participants",
  {
    session_id: text("session_id").notNull(),
    user_id: text("user_id").notNull(),
    role: text("role").notNull(),
    status: text("status").notNull(),
    joined_at: text("joined_at").notNull(),
  },
  (table) => [
    primaryKey({ columns: [table.session_id, table.user_id] }),
    index("session_participants_mine").on(table.user_id, table.status),
  ],
);

export const sessionInvitations = sqliteTable(
  "session_invitations",
  {
    id: text("id").primaryKey(),
    session_id: text("session_id").notNull(),
    user_id: text("user_id"),
    email: text("email"),
    role: text("role").notNull(),
    invited_by: text("invited_by").notNull(),
    message: text("message"),
    created_at: text("created_at").notNull(),
  },
  (table) => [
    index("session_invitations_session").on(table.session_id),
    index("session_invitations_user").on(table.user_id),
    index("session_invitations_email").on(table.email),
    index("session_invitations_inviter").on(table.invited_by, table.created_at),
  ],
);
