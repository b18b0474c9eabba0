/**
 * The session's activity log: entries appended with the change they describe, written to R2 as gzip NDJSON chunks,
 * and trimmed to the newest ACTIVITIES_KEPT in the object (older pages are read back from the chunks).
 */
import type { ActivityQuery } from "../domain/schemas";
import {
  ACTIVITIES_KEPT,
  type ActivityChunk,
  type ActivityPage,
  activityChunkKey,
  MAX_CHUNKS_PER_PAGE,
  pageAfterOffset,
  pageWithHistory,
} from "./activity-history";
import { gzipNdjson } from "./compression";
import { SerialQueue } from "./ports";
import type { ActivityRow } from "./rows";
import type { SessionState } from "./session-state";
import { activityView } from "./views";

/** Entries gathered before a chunk goes to R2, and how long the oldest may wait. */
const ACTIVITY_CHUNK_SIZE = 50;
const ACTIVITY_FLUSH_DELAY_MS = 60_000;

export class ActivityLog {
  private readonly flushes = new SerialQueue();

  constructor(
    private readonly state: SessionState,
    private readonly bucket: R2Bucket,
  ) {}

  private get sql(): SqlStorage {
    return this.state.sql;
  }

  append(type: string, userId: string | null, description: string, details: unknown = null, isPrivate = false): void {
    this.sql.exec(
      "INSERT INTO activities (type, user_id, description, details, is_private, created_at) VALUES (?, ?, ?, ?, ?, ?)",
      type,
      userId,
      description,
      details === null ? null : JSON.stringify(details),
      isPrivate ? 1 : 0,
      this.state.now(),
    );
  }

  /** Every entry the log ever had, also those only in R2 now (ids are never reused). */
  count(): number {
    return this.sql.exec<{ n: number | null }>("SELECT max(id) AS n FROM activities").one().n ?? 0;
  }

  /** Entries kept in the object, oldest first, and how far the log was trimmed (for the archive). */
  kept(): { activities: ActivityRow[]; trimmedThrough: number; chunks: ActivityChunk[] } {
    return {
      activities: this.sql.exec("SELECT * FROM activities ORDER BY id").toArray() as unknown as ActivityRow[],
      trimmedThrough: this.trimmedThrough(),
      chunks: this.sql
        .exec<{ first_id: number; key: string }>("SELECT first_id, key FROM activity_chunks ORDER BY first_id")
        .toArray(),
    };
  }

  /** One page, newest first, after `query.offset` entries; what is older than the kept entries is read from R2. */
  page(query: ActivityQuery, seesPrivate: boolean): Promise<ActivityPage> {
    return pageAfterOffset(query, (step) => this.pageAt(step, seesPrivate));
  }

  /** One page from the cursor (or the newest entry), newest first. */
  private async pageAt(query: ActivityQuery, seesPrivate: boolean): Promise<ActivityPage> {
    const before = query.cursor ? Number(query.cursor) : Number.MAX_SAFE_INTEGER;
    const rows = this.sql
      .exec(
        `SELECT * FROM activities WHERE (? IS NULL OR type = ?) AND (? = 1 OR is_private = 0) AND id < ?
         ORDER BY id DESC LIMIT ?`,
        query.type ?? null,
        query.type ?? null,
        seesPrivate ? 1 : 0,
        before,
        query.limit + 1,
      )
      .toArray() as unknown as ActivityRow[];
    const kept = rows.map((row) => activityView(row, seesPrivate));
    const trimmedThrough = this.trimmedThrough();
    if (rows.length > query.limit || trimmedThrough === 0 || before <= 1) {
      const page = kept.slice(0, query.limit);
      return { activities: page, next_cursor: rows.length > query.limit ? String(page.at(-1)!.id) : null };
    }
    const beforeId = Math.min(before, trimmedThrough + 1);
    const chunks = this.sql
      .exec<{ first_id: number; key: string }>(
        "SELECT first_id, key FROM activity_chunks WHERE first_id < ? ORDER BY first_id DESC LIMIT ?",
        beforeId,
        MAX_CHUNKS_PER_PAGE + 1,
      )
      .toArray();
    return pageWithHistory(this.bucket, query, seesPrivate, kept, beforeId, chunks);
  }

  /** When waiting entries are due in R2, or null when none wait. */
  flushDeadline(): number | null {
    const oldest = this.sql
      .exec<{ created_at: string; waiting: number }>(
        "SELECT min(created_at) AS created_at, count(*) AS waiting FROM activities WHERE id > ?",
        this.flushedThrough(),
      )
      .one();
    if (!oldest.waiting) return null;
    return Date.parse(oldest.created_at) + ACTIVITY_FLUSH_DELAY_MS;
  }

  /** Writes waiting entries to R2 as one gzip NDJSON chunk, when enough has gathered or waited (or `force`). */
  flush(force: boolean): Promise<void> {
    return this.flushes.run(async () => {
      const rows = this.sql
        .exec("SELECT * FROM activities WHERE id > ? ORDER BY id LIMIT 1000", this.flushedThrough())
        .toArray() as unknown as ActivityRow[];
      const first = rows[0];
      const last = rows[rows.length - 1];
      if (!first || !last) return;
      const due = Date.parse(first.created_at) + ACTIVITY_FLUSH_DELAY_MS <= this.state.clock();
      if (!force && rows.length < ACTIVITY_CHUNK_SIZE && !due) return;
      const session = this.state.sessionOrNull();
      if (!session) return;
      const body = await gzipNdjson(rows.map((row) => activityView(row, true)));
      const key = activityChunkKey(session.id, first.id, last.id);
      await this.bucket.put(key, body, {
        httpMetadata: { contentType: "application/x-ndjson", contentEncoding: "gzip" },
      });
      this.state.transaction(() => {
        // A chunk written again from the same entry (its bookkeeping was lost) replaces the earlier one.
        this.sql.exec(
          "INSERT OR REPLACE INTO activity_chunks (first_id, last_id, key) VALUES (?, ?, ?)",
          first.id,
          last.id,
          key,
        );
        this.state.setMeta("activity_flushed_id", String(last.id));
        // Entries in R2 leave the session's storage once ACTIVITIES_KEPT newer ones stand after them.
        const newest = this.sql.exec<{ id: number }>("SELECT max(id) AS id FROM activities").one().id;
        const through = Math.min(last.id, newest - ACTIVITIES_KEPT);
        if (through > this.trimmedThrough()) {
          this.sql.exec("DELETE FROM activities WHERE id <= ?", through);
          this.state.setMeta("activity_trimmed_id", String(through));
        }
      });
    });
  }

  private flushedThrough(): number {
    return Number(this.state.meta("activity_flushed_id") ?? "0");
  }

  private trimmedThrough(): number {
    return Number(this.state.meta("activity_trimmed_id") ?? "0");
  }
}
