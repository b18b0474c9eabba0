/** Who is asking, from a verified token. */
export interface Actor {
  userId: string;
  email: string | null;
  name: string | null;
  isAdmin: boolean;
}

/** The name shown for a user: their name, else their email's local part, else their id. */
export function displayName(actor: Pick<Actor, "userId" | "email" | "name">): string {
  return actor.name ?? actor.email?.split("@")[0] ?? actor.userId;
}
