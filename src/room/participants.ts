/** The participants table: each member's row, role and status, cached by user id because every op asks. */
import type { Actor } from "../domain/actor";
import { displayName } from "../domain/actor";
import { colorFor } from "../domain/participants";
import type { AssignableRole, Role } from "../domain/permissions";
import type { ParticipantRow } from "./rows";
import type { SessionState } from "./session-state";

export class Participants {
  private readonly cache = new Map<string, ParticipantRow | null>();

  constructor(private readonly state: SessionState) {
    state.onForget(() => this.cache.clear());
  }

  private get sql(): SqlStorage {
    return this.state.sql;
  }

  /** Every write to participants goes through here, so the cache of rows never goes stale. */
  private write(query: string, ...params: SqlStorageValue[]): void {
    this.sql.exec(query, ...params);
    this.cache.clear();
  }

  member(userId: string): ParticipantRow | null {
    const cached = this.cache.get(userId);
    if (cached !== undefined) return cached;
    const row =
      (this.sql.exec("SELECT * FROM participants WHERE user_id = ?", userId).toArray()[0] as unknown as
        | ParticipantRow
        | undefined) ?? null;
    this.cache.set(userId, row);
    return row;
  }

  all(): ParticipantRow[] {
    return this.sql
      .exec("SELECT * FROM participants ORDER BY joined_at, rowid")
      .toArray() as unknown as ParticipantRow[];
  }

  total(): number {
    return this.sql.exec<{ n: number }>("SELECT count(*) AS n FROM participants").one().n;
  }

  activeCount(): number {
    return this.sql.exec<{ n: number }>("SELECT count(*) AS n FROM participants WHERE status = 'active'").one().n;
  }

  /** Makes the actor an active participant with `role`: a new row, or the old one of someone who comes back. */
  add(actor: Actor, role: Role, invitedBy: string | null): ParticipantRow {
    const now = this.state.now();
    if (this.member(actor.userId)) {
      this.write(
        "UPDATE participants SET role = ?, status = 'active', joined_at = ?, display_name = ?, email = ?, invited_by = ? WHERE user_id = ?",
        role,
        now,
        displayName(actor),
        actor.email,
        invitedBy,
        actor.userId,
      );
    } else {
      this.write(
        `INSERT INTO participants (user_id, display_name, email, role, status, color, joined_at, invited_by)
         VALUES (?, ?, ?, ?, 'active', ?, ?, ?)`,
        actor.userId,
        displayName(actor),
        actor.email,
        role,
        colorFor(this.total()),
        now,
        invitedBy,
      );
    }
    return this.member(actor.userId)!;
  }

  /** A participant who left or was removed: the row stays, for the history and for who may come back. */
  setGone(userId: string, status: "left" | "removed"): void {
    this.write(
      "UPDATE participants SET status = ?, last_seen_at = ? WHERE user_id = ?",
      status,
      this.state.now(),
      userId,
    );
  }

  setRole(userId: string, role: AssignableRole | "owner"): void {
    this.write("UPDATE participants SET role = ? WHERE user_id = ?", role, userId);
  }

  /** Adds a closed connection's time to its user's total. */
  addConnectedTime(userId: string, seconds: number): void {
    this.write(
      "UPDATE participants SET total_time_seconds = total_time_seconds + ?, last_seen_at = ? WHERE user_id = ?",
      seconds,
      this.state.now(),
      userId,
    );
  }
}
