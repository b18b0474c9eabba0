/**
 * The emails table: the invitation emails waiting to be sent, one per invitation, each with the attempts made and
 * when it is due. An email is queued in the same transaction as its invitation (invitations.ts) and taken off by the
 * schedule's due step once sent or given up (invitation-mail.ts).
 */
import type { SessionState } from "./session-state";

export interface QueuedEmail {
  invitation_id: string;
  attempts: number;
  due_at_ms: number;
}

export class MailQueue {
  constructor(private readonly state: SessionState) {}

  private get sql(): SqlStorage {
    return this.state.sql;
  }

  /** Queues the email of an invitation, due now. */
  add(invitationId: string): void {
    this.sql.exec(
      "INSERT OR IGNORE INTO emails (invitation_id, attempts, due_at_ms, created_at) VALUES (?, 0, ?, ?)",
      invitationId,
      this.state.clock(),
      this.state.now(),
    );
  }

  /** The emails due at `at`, the longest waiting first. */
  due(at: number, limit: number): QueuedEmail[] {
    return this.sql
      .exec<{ invitation_id: string; attempts: number; due_at_ms: number }>(
        "SELECT invitation_id, attempts, due_at_ms FROM emails WHERE due_at_ms <= ? ORDER BY due_at_ms LIMIT ?",
        at,
        limit,
      )
      .toArray();
  }

  /** When the next email is due, if one waits. */
  deadline(): number | null {
    return this.sql.exec<{ at: number | null }>("SELECT min(due_at_ms) AS at FROM emails").one().at;
  }

  /** Sent, or not to be sent at all. */
  remove(invitationId: string): void {
    this.sql.exec("DELETE FROM emails WHERE invitation_id = ?", invitationId);
  }

  /** A failed attempt: tried again at `dueAt`. */
  retry(invitationId: string, attempts: number, dueAt: number): void {
    this.sql.exec(
      "UPDATE emails SET attempts = ?, due_at_ms = ? WHERE invitation_id = ?",
      attempts,
      dueAt,
      invitationId,
    );
  }
}
