/**
 * The session row, the meta table and the outbox: what every other module reads about the session, one transaction
 * to write in, and the caches every module drops when a transaction rolls back.
 */
import type { PermissionMap } from "../domain/permissions";
import type { SessionSettings } from "../domain/settings";
import type { Clock, SqlPort } from "./ports";
import type { OutboxKind } from "./projection";
import { RoomFailure } from "./result";
import type { SessionRow } from "./rows";
import type { CreateSessionInit } from "./rpc-types";

export class SessionState {
  /** The session row, parsed; cached because every message asks, and dropped on every write. */
  private cached: SessionRow | null | undefined;
  private readonly forgetters: (() => void)[] = [() => (this.cached = undefined)];

  constructor(
    private readonly storage: SqlPort,
    readonly clock: Clock,
  ) {}

  get sql(): SqlStorage {
    return this.storage.sql;
  }

  now(): string {
    return new Date(this.clock()).toISOString();
  }

  /** Registers what a module keeps in memory, to be dropped when writes roll back or the storage is emptied. */
  onForget(forget: () => void): void {
    this.forgetters.push(forget);
  }

  /** Drops every module's memory of the storage. */
  forget(): void {
    for (const forget of this.forgetters) forget();
  }

  /** Writes that commit together or, when a check refuses midway, not at all. */
  transaction<T>(body: () => T): T {
    try {
      return this.storage.transactionSync(body);
    } catch (error) {
      // Rolled back: what the body cached may describe writes that no longer exist.
      this.forget();
      throw error;
    }
  }

  sessionOrNull(): SessionRow | null {
    if (this.cached !== undefined) return this.cached;
    const row = this.sql.exec<Record<string, SqlStorageValue>>("SELECT * FROM session LIMIT 1").toArray()[0];
    this.cached = row
      ? {
          ...(row as unknown as SessionRow),
          permissions: JSON.parse(row.permissions as string) as PermissionMap,
          settings: JSON.parse(row.settings as string) as SessionSettings,
        }
      : null;
    return this.cached;
  }

  /** The session; a refusal that tells the Worker the object holds none (never created, or archived). */
  requireSession(): SessionRow {
    const session = this.sessionOrNull();
    if (!session)
      throw new RoomFailure({ status: 404, code: "NOT_FOUND", message: "Session not found", missing_session: true });
    return session;
  }

  insert(init: CreateSessionInit, ownerId: string, invitationCode: string | null): void {
    const now = this.now();
    this.sql.exec(
      `INSERT INTO session (id, song_id, template_id, owner_id, name, description, access_mode, status,
           max_participants, default_role, permissions, settings, invitation_code, created_at, updated_at,
           started_at, last_activity_at, version)
         VALUES (?, ?, ?, ?, ?, ?, ?, 'active', ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)`,
      init.id,
      init.song_id,
      init.template_id,
      ownerId,
      init.name,
      init.description,
      init.access_mode,
      init.config.max_participants,
      init.config.default_role,
      JSON.stringify(init.config.permissions),
      JSON.stringify(init.config.settings),
      invitationCode,
      now,
      now,
      now,
      now,
    );
    this.cached = undefined;
  }

  save(session: SessionRow): void {
    this.sql.exec(
      `UPDATE session SET name = ?, description = ?, access_mode = ?, status = ?, max_participants = ?,
         default_role = ?, permissions = ?, settings = ?, invitation_code = ?, updated_at = ?, ended_at = ?,
         last_activity_at = ?`,
      session.name,
      session.description,
      session.access_mode,
      session.status,
      session.max_participants,
      session.default_role,
      JSON.stringify(session.permissions),
      JSON.stringify(session.settings),
      session.invitation_code,
      this.now(),
      session.ended_at,
      this.now(),
    );
    this.cached = undefined;
  }

  setOwner(userId: string): void {
    this.sql.exec("UPDATE session SET owner_id = ?, updated_at = ?", userId, this.now());
    this.cached = undefined;
  }

  /** Marks the session as used (now, or at `at`): idle sessions end by themselves. */
  touch(at = this.clock()): void {
    this.sql.exec("UPDATE session SET last_activity_at = ?", new Date(at).toISOString());
    this.cached = undefined;
  }

  /** Records that D1 must learn of a change; written in the same transaction as the change itself. */
  enqueue(...kinds: OutboxKind[]): void {
    this.sql.exec("UPDATE session SET version = version + 1");
    this.cached = undefined;
    for (const kind of kinds) this.sql.exec("INSERT INTO outbox (kind, created_at) VALUES (?, ?)", kind, this.now());
  }

  /** What the outbox holds: each kind with its newest entry. */
  pendingOutbox(): { kind: OutboxKind; last: number }[] {
    return this.sql
      .exec<{ kind: OutboxKind; last: number }>("SELECT kind, max(id) AS last FROM outbox GROUP BY kind")
      .toArray();
  }

  hasOutbox(): boolean {
    return this.sql.exec("SELECT 1 FROM outbox LIMIT 1").toArray().length > 0;
  }

  clearOutboxThrough(id: number): void {
    this.sql.exec("DELETE FROM outbox WHERE id <= ?", id);
  }

  meta(key: string): string | null {
    return this.sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = ?", key).toArray()[0]?.value ?? null;
  }

  setMeta(key: string, value: string): void {
    this.sql.exec("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", key, value);
  }

  deleteMeta(key: string): void {
    this.sql.exec("DELETE FROM meta WHERE key = ?", key);
  }
}
