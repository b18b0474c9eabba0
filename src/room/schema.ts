/**
 * The session object's own SQLite schema. Each entry is applied once, in order, from the constructor;
 * `schema_version` in `meta` records how far an object has come.
 */
export const ROOM_MIGRATIONS: string[] = [
  `
  CREATE TABLE session (
    id TEXT PRIMARY KEY,
    song_id INTEGER NOT NULL,
    template_id INTEGER,
    owner_id TEXT NOT NULL,
    name TEXT NOT NULL,
    description TEXT,
    access_mode TEXT NOT NULL,
    status TEXT NOT NULL,
    max_participants INTEGER NOT NULL,
    default_role TEXT NOT NULL,
    permissions TEXT NOT NULL,
    settings TEXT NOT NULL,
    invitation_code TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    started_at TEXT NOT NULL,
    ended_at TEXT,
    last_activity_at TEXT NOT NULL,
    version INTEGER NOT NULL DEFAULT 0
  );

  CREATE TABLE participants (
    user_id TEXT PRIMARY KEY,
    display_name TEXT NOT NULL,
    email TEXT,
    role TEXT NOT NULL,
    status TEXT NOT NULL,
    color TEXT NOT NULL,
    joined_at TEXT NOT NULL,
    last_seen_at TEXT,
    contribution_count INTEGER NOT NULL DEFAULT 0,
    total_time_seconds INTEGER NOT NULL DEFAULT 0,
    invited_by TEXT
  );

  CREATE TABLE invitations (
    id TEXT PRIMARY KEY,
    user_id TEXT,
    email TEXT,
    role TEXT NOT NULL,
    invited_by TEXT NOT NULL,
    message TEXT,
    status TEXT NOT NULL,
    created_at TEXT NOT NULL,
    closed_at TEXT
  );
  CREATE INDEX invitations_user ON invitations (user_id, status);
  CREATE INDEX invitations_email ON invitations (email, status);

  CREATE TABLE activities (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    type TEXT NOT NULL,
    user_id TEXT,
    description TEXT NOT NULL,
    details TEXT,
    is_private INTEGER NOT NULL,
    created_at TEXT NOT NULL
  );
  CREATE INDEX activities_type ON activities (type, id);

  CREATE TABLE document (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    rev INTEGER NOT NULL,
    content TEXT NOT NULL,
    saved_rev INTEGER NOT NULL,
    saved_at TEXT
  );

  CREATE TABLE ops (
    rev INTEGER PRIMARY KEY,
    client_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    user_id TEXT NOT NULL,
    op TEXT NOT NULL,
    created_at TEXT NOT NULL
  );
  CREATE UNIQUE INDEX ops_client_seq ON ops (client_id, seq);

  CREATE TABLE comments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id TEXT NOT NULL,
    text TEXT NOT NULL,
    anchor TEXT,
    rev INTEGER NOT NULL,
    created_at TEXT NOT NULL
  );

  CREATE TABLE recordings (
    id TEXT PRIMARY KEY,
    status TEXT NOT NULL,
    started_at TEXT NOT NULL,
    started_at_ms INTEGER NOT NULL,
    stopped_at TEXT,
    started_by TEXT NOT NULL,
    duration_ms INTEGER NOT NULL DEFAULT 0,
    events_count INTEGER NOT NULL DEFAULT 0,
    chunks_count INTEGER NOT NULL DEFAULT 0,
    start_rev INTEGER NOT NULL,
    start_content TEXT NOT NULL
  );

  CREATE TABLE recording_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    recording_id TEXT NOT NULL,
    t INTEGER NOT NULL,
    line TEXT NOT NULL
  );

  CREATE TABLE used_tickets (id TEXT PRIMARY KEY, expires_at_ms INTEGER NOT NULL);

  CREATE TABLE outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    created_at TEXT NOT NULL
  );
  `,
  `
  ALTER TABLE recordings ADD COLUMN manifest_status TEXT;
  CREATE INDEX recording_events_by_recording ON recording_events (recording_id, id);
  `,
  // A recording's ops are read from the op log when a chunk is written instead of being copied per op.
  // ops_flushed_rev: the ops up to it are in R2 (or, for a recording older than this, among its events);
  // stop_rev: the last op a stopped recording covers; rev: the text's revision an event followed.
  `
  ALTER TABLE recordings ADD COLUMN ops_flushed_rev INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE recordings ADD COLUMN stop_rev INTEGER;
  ALTER TABLE recording_events ADD COLUMN rev INTEGER NOT NULL DEFAULT 0;
  UPDATE recordings SET ops_flushed_rev = COALESCE((SELECT MAX(rev) FROM ops), (SELECT rev FROM document WHERE id = 1), 0);
  UPDATE recordings SET stop_rev = ops_flushed_rev WHERE status = 'stopped';
  `,
  // The (client_id, seq) index cost a write per op; a resend is rare and is looked for in memory or by a scan of
  // the kept window instead (see sequencer.ts).
  `
  DROP INDEX ops_client_seq;
  `,
  // The op log keeps a window: log_floor is the revision after which every op is still there. What a resend check
  // and the edit counts need from trimmed ops stays in client_seqs and edit_counts. base_content: the song text
  // the session's changes are relative to (known here only when the last save was at the checkpoint; otherwise it
  // is rebuilt from the log, see Sequencer.textAt). writing_*: a write-back on its way to D1. activity_chunks: where
  // the activity log's entries are in R2, for the pages older than what the session keeps.
  `
  ALTER TABLE document ADD COLUMN log_floor INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE document ADD COLUMN base_content TEXT;
  UPDATE document SET base_content = content WHERE saved_rev = rev;
  ALTER TABLE document ADD COLUMN writing_rev INTEGER;
  ALTER TABLE document ADD COLUMN writing_text TEXT;
  CREATE TABLE client_seqs (
    user_id TEXT NOT NULL,
    client_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    rev INTEGER NOT NULL,
    PRIMARY KEY (user_id, client_id)
  ) WITHOUT ROWID;
  CREATE TABLE edit_counts (user_id TEXT PRIMARY KEY, edits INTEGER NOT NULL) WITHOUT ROWID;
  CREATE TABLE activity_chunks (first_id INTEGER PRIMARY KEY, last_id INTEGER NOT NULL, key TEXT NOT NULL);
  `,
  // An invitation may be declined by its invitee (status 'declined'); the session's list pages the invitations of
  // one status by (created_at, id).
  `
  CREATE INDEX invitations_listing ON invitations (status, created_at, id);
  `,
  // The invitation emails waiting to be sent, or to be tried again at due_at_ms (mail-queue.ts).
  `
  CREATE TABLE emails (
    invitation_id TEXT PRIMARY KEY,
    attempts INTEGER NOT NULL DEFAULT 0,
    due_at_ms INTEGER NOT NULL,
    created_at TEXT NOT NULL
  ) WITHOUT ROWID;
  CREATE INDEX emails_due ON emails (due_at_ms);
  `,
];

export function migrateRoom(sql: SqlStorage): void {
  sql.exec("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)");
  const row = sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = 'schema_version'").toArray()[0];
  let version = row ? Number(row.value) : 0;
  while (version < ROOM_MIGRATIONS.length) {
    sql.exec(ROOM_MIGRATIONS[version]!);
    version += 1;
    sql.exec("INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', ?)", String(version));
  }
}
