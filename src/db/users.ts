import { sql } from "drizzle-orm";
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
