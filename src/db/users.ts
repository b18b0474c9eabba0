import { and, eq, sql } from "drizzle-orm";
import type { Actor } from "../domain/actor";
import type { Database } from "./client";
import { users } from "./schema";

/**
 * Users seen by this isolate, with the claims last written. A request from a known user with unchanged
 * claims writes nothing; the upsert itself only rewrites a row whose email or name changed.
 */
const seen = new Map<string, string>();
const SEEN_LIMIT = 10_000;

export async function rememberUser(db: Database, actor: Actor): Promise<void> {
  const fingerprint = `${actor.email ?? ""}\u0000${actor.name ?? ""}`;
  if (seen.get(actor.userId) === fingerprint) return;
  await db
    .insert(users)
    .values({ id: actor.userId, email: actor.email, name: actor.name })
    .onConflictDoUpdate({
      target: users.id,
      set: {
        email: sql`excluded.email`,
        name: sql`coalesce(excluded.name, ${users.name})`,
        updated_at: sql`(strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))`,
      },
      setWhere: sql`${users.email} is not excluded.email or (excluded.name is not null and ${users.name} is not excluded.name)`,
    });
  if (seen.size >= SEEN_LIMIT) seen.clear();
  seen.set(actor.userId, fingerprint);
}

export interface UserSettings {
  id: string;
  email: string | null;
  name: string | null;
  notifications_enabled: boolean;
}

/** The user's row as they may see it; every signed-in user has one (`rememberUser` wrote it). */
export async function userSettings(db: Database, actor: Actor): Promise<UserSettings> {
  const row = await db
    .select({ id: users.id, email: users.email, name: users.name, notifications_enabled: users.notifications_enabled })
    .from(users)
    .where(eq(users.id, actor.userId))
    .get();
  return row ?? { id: actor.userId, email: actor.email, name: actor.name, notifications_enabled: true };
}

/** Turns the user's emails on or off (their row is written if this isolate had not written it yet). */
export async function setNotifications(db: Database, actor: Actor, enabled: boolean): Promise<UserSettings> {
  await db
    .insert(users)
    .values({ id: actor.userId, email: actor.email, name: actor.name, notifications_enabled: enabled })
    .onConflictDoUpdate({
      target: users.id,
      set: { notifications_enabled: enabled, updated_at: sql`(strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))` },
    });
  return userSettings(db, actor);
}

/**
 * Where an email for an invitee goes, or null when none may: an invitation to an address goes to that address
 * unless a user holding it turned notifications off; one to a user id goes to the email of their latest token,
 * unless they turned notifications off (or we know no email of theirs).
 */
export async function invitationRecipient(
  db: Database,
  invitee: { userId: string | null; email: string | null },
): Promise<string | null> {
  if (invitee.email) {
    const silenced = await db
      .select({ id: users.id })
      .from(users)
      .where(and(eq(users.email, invitee.email), eq(users.notifications_enabled, false)))
      .get();
    return silenced ? null : invitee.email;
  }
  if (!invitee.userId) return null;
  const user = await db
    .select({ email: users.email, notifications_enabled: users.notifications_enabled })
    .from(users)
    .where(eq(users.id, invitee.userId))
    .get();
  return user?.notifications_enabled && user.email ? user.email : null;
}
