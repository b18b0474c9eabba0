/**
 * The activity log beyond what a session keeps in its own storage: the latest entries stay in the object (and in its
 * archive); every entry is also in R2 as gzip NDJSON chunks (`activityChunkKey`), whose ranges the object keeps in
 * `activity_chunks`, and pages older than what the object keeps are read from there. One place for the key, the
 * page rules and the privacy rule.
 */
import type { Activity, ActivityQuery } from "../domain/schemas";
import { gunzip, padKey, parseNdjson } from "./compression";

/** Activity entries a session keeps in its own storage once they are in R2. */
export const ACTIVITIES_KEPT = 1_000;
/** Chunks one page may read from R2 before it answers with what it found and a cursor to go on from. */
export const MAX_CHUNKS_PER_PAGE = 20;

/** A chunk of the log in R2: its first entry's id and its key. */
export interface ActivityChunk {
  first_id: number;
  key: string;
}

export function activityChunkKey(sessionId: string, firstId: number, lastId: number): string {
  return `${activityPrefix(sessionId)}${padKey(firstId)}-${padKey(lastId)}.ndjson.gz`;
}

function activityPrefix(sessionId: string): string {
  return `sessions/${sessionId}/activity/`;
}

/** The chunks that start before `beforeId`, newest first, as many as one page may read (and one to tell more). */
export function chunksBefore(chunks: readonly ActivityChunk[], beforeId: number): ActivityChunk[] {
  return chunks
    .filter((chunk) => chunk.first_id < beforeId)
    .sort((a, b) => b.first_id - a.first_id)
    .slice(0, MAX_CHUNKS_PER_PAGE + 1);
}

export interface ActivityPage {
  activities: Activity[];
  next_cursor: string | null;
}

/** Entries one step of an `offset` skips at most; each step is one page's work, the chunk cap included. */
const SKIP_STEP = 1_000;

/**
 * `query.offset` (ChordMe's paging): skips that many of the entries the reader would see, newest first, from the
 * cursor if one is given, then answers the page after them. It skips with the cursor pages themselves, so the filter,
 * the privacy rule and the entries only in R2 count exactly as they do for a page; the answer's `next_cursor` goes
 * on from the page, with no offset.
 */
export async function pageAfterOffset(
  query: ActivityQuery,
  page: (query: ActivityQuery) => Promise<ActivityPage>,
): Promise<ActivityPage> {
  let toSkip = query.offset ?? 0;
  let cursor = query.cursor;
  while (toSkip > 0) {
    const skipped = await page({ ...query, offset: undefined, cursor, limit: Math.min(toSkip, SKIP_STEP) });
    if (!skipped.next_cursor) return { activities: [], next_cursor: null };
    toSkip -= skipped.activities.length;
    cursor = skipped.next_cursor;
  }
  return page({ ...query, offset: undefined, cursor });
}

/** An entry as a reader may see it: private ones only with `view_private`, and the privacy flag only for them. */
export function visibleActivity(entry: Activity, query: ActivityQuery, seesPrivate: boolean): Activity | null {
  if (query.type && entry.type !== query.type) return null;
  if (entry.is_private && !seesPrivate) return null;
  if (seesPrivate) return entry;
  const { is_private: _flag, ...rest } = entry;
  return rest;
}

/**
 * Completes a page from R2 with entries older than `beforeId` (the oldest the object still keeps, or the cursor),
 * newest first. `kept` is what the object's own storage gave for this page, already filtered; `chunks` are the
 * chunks that start before `beforeId`, newest first, at most MAX_CHUNKS_PER_PAGE + 1 of them.
 */
export async function pageWithHistory(
  bucket: R2Bucket,
  query: ActivityQuery,
  seesPrivate: boolean,
  kept: Activity[],
  beforeId: number,
  chunks: readonly ActivityChunk[],
): Promise<ActivityPage> {
  const found = [...kept];
  const seen = new Set(kept.map((entry) => entry.id));
  let read = 0;
  let scannedDownTo: number | null = null;
  for (const chunk of chunks) {
    if (found.length > query.limit) break;
    if (read === MAX_CHUNKS_PER_PAGE) {
      // Enough work for one answer: the next page goes on from here.
      return { activities: found, next_cursor: String(scannedDownTo ?? beforeId) };
    }
    read += 1;
    const object = await bucket.get(chunk.key);
    if (!object) continue;
    const entries = parseNdjson<Activity>(await gunzip(object.body)).filter((entry) => entry.id < beforeId);
    for (const entry of entries.sort((a, b) => b.id - a.id)) {
      const visible = seen.has(entry.id) ? null : visibleActivity(entry, query, seesPrivate);
      if (!visible) continue;
      seen.add(entry.id);
      found.push(visible);
    }
    scannedDownTo = chunk.first_id;
  }
  const page = found.slice(0, query.limit);
  return {
    activities: page,
    next_cursor: found.length > query.limit ? String(page[page.length - 1]!.id) : null,
  };
}
