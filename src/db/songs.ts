import { and, desc, eq, inArray, or, type SQL, sql } from "drizzle-orm";
import type { Actor } from "../domain/actor";
import type { Database } from "./client";
import { songShares, songs } from "./schema";

export type SongPermission = "owner" | "admin" | "edit" | "read";
const RANK: Record<SongPermission, number> = { read: 1, edit: 2, admin: 3, owner: 4 };

export type SongRecord = typeof songs.$inferSelect;

function sharedWith(actor: Actor): SQL {
  const byUser = eq(songShares.user_id, actor.userId);
  return actor.email ? or(byUser, eq(songShares.email, actor.email))! : byUser;
}

/** The song and the actor's best permission on it, or null when the actor may not even read it. */
export async function songWithAccess(
  db: Database,
  songId: number,
  actor: Actor,
): Promise<{ song: SongRecord; permission: SongPermission } | null> {
  const song = await db.select().from(songs).where(eq(songs.id, songId)).get();
  if (!song) return null;
  if (song.owner_id === actor.userId) return { song, permission: "owner" };
  const shares = await db
    .select({ permission: songShares.permission })
    .from(songShares)
    .where(and(eq(songShares.song_id, songId), sharedWith(actor)))
    .all();
  const best = shares.map((share) => share.permission).sort((a, b) => RANK[b] - RANK[a])[0];
  return best ? { song, permission: best } : null;
}

export function mayEditSong(permission: SongPermission): boolean {
  return RANK[permission] >= RANK.edit;
}

/**
 * A condition on a song row: the user may edit the song now. They own it, or a share gives edit or admin to
 * their id or to the email they hold now (the email of their latest token, kept in their users row).
 */
export function editableBy(userId: string): SQL<boolean> {
  // Written out with aliases: drizzle leaves column names unqualified in some statements, and inside the subquery
  // an unqualified "id" would be the share's.
  return sql<boolean>`("songs"."owner_id" = ${userId} or exists (
    select 1 from song_shares as share
    where share.song_id = "songs"."id" and share.permission in ('edit', 'admin')
      and (share.user_id = ${userId}
        or share.email = (select holder.email from users as holder where holder.id = ${userId}))))`.mapWith(Boolean);
}

/** Songs the actor owns or that are shared with them, newest first. */
export async function listSongs(db: Database, actor: Actor) {
  const shared = await db
    .select({ song_id: songShares.song_id, permission: songShares.permission })
    .from(songShares)
    .where(sharedWith(actor))
    .all();
  const sharedIds = [...new Set(shared.map((share) => share.song_id))];
  const rows = await db
    .select()
    .from(songs)
    .where(
      sharedIds.length
        ? or(eq(songs.owner_id, actor.userId), inArray(songs.id, sharedIds))
        : eq(songs.owner_id, actor.userId),
    )
    .orderBy(desc(songs.updated_at), desc(songs.id))
    .limit(500)
    .all();
  return rows.map((song) => {
    if (song.owner_id === actor.userId) return { ...song, permission: "owner" as SongPermission };
    const best = shared
      .filter((share) => share.song_id === song.id)
      .map((share) => share.permission as SongPermission)
      .sort((a, b) => RANK[b] - RANK[a])[0]!;
    return { ...song, permission: best };
  });
}

/** A song's title, for the invitation emails of its sessions; null when the song is gone. */
export async function songTitle(db: Database, songId: number): Promise<string | null> {
  const row = await db.select({ title: songs.title }).from(songs).where(eq(songs.id, songId)).get();
  return row?.title ?? null;
}
