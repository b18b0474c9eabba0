/**
 * The bounds on what songs take in D1, and the kinds of song version. A song's versions are bounded by count and
 * by the bytes of their texts; past either bound the oldest are dropped, never the latest. A session's refused
 * write-back replaces that session's earlier refused one (src/db/song-text.ts).
 */

/** Songs one user may own. */
export const MAX_SONGS_PER_USER = 500;

/** Versions kept per song: 50 minutes of session write-backs every 30 s, or months of edits by hand. */
export const MAX_VERSIONS_PER_SONG = 100;

/**
 * UTF-8 bytes of version text kept per song: every version of a typical few-KiB chord sheet, and at least five of
 * the largest song (100,000 characters, up to 400 KB).
 */
export const MAX_VERSION_BYTES_PER_SONG = 2 * 1024 * 1024;

export const VERSION_KINDS = ["created", "edited", "session", "merged", "restored", "refused"] as const;
export type VersionKind = (typeof VERSION_KINDS)[number];
