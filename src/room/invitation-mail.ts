/**
 * Invitation emails: the schedule's due step sends each queued email (mail-queue.ts) through the email port, composed
 * when it goes out so it says what the invitation says then, and tries a failed send again with backoff. An
 * invitation never waits for its email and never fails because of it. An email is dropped, unsent, when its
 * invitation is no longer pending, when the invitee turned notifications off or has no known address, and when no
 * sender address or public URL is configured.
 */
import { EmailMessage } from "cloudflare:email";
import { database } from "../db/client";
import { songTitle } from "../db/songs";
import { invitationRecipient } from "../db/users";
import { invitationEmail, joinUrl } from "../domain/invitation-email";
import { isPlainAddress, mimeMessage, type OutgoingEmail } from "../domain/mime";
import type { Invitations } from "./invitations";
import type { MailQueue } from "./mail-queue";
import type { Participants } from "./participants";
import { type D1Port, type EmailPort, SerialQueue } from "./ports";
import type { SessionState } from "./session-state";

/** Waits after each failed attempt; after the last one the email is given up. */
const EMAIL_RETRY_MS = [60_000, 5 * 60_000, 30 * 60_000, 2 * 3600_000, 6 * 3600_000];
/** Emails one run sends at most; more due ones keep the alarm due. */
const EMAILS_PER_RUN = 20;
/** The display name emails come from. */
const SENDER_NAME = "ChordMe Sessions";

export interface InvitationMailParts {
  state: SessionState;
  participants: Participants;
  invitations: Invitations;
  queue: MailQueue;
  email: EmailPort;
  d1: D1Port;
}

export class InvitationMail {
  /** One run at a time (the alarm and a sweep may overlap), so an email is never sent twice at once. */
  private readonly runs = new SerialQueue();

  constructor(private readonly parts: InvitationMailParts) {}

  /** When the next email is due, if one waits. */
  deadline(): number | null {
    return this.parts.queue.deadline();
  }

  /** Sends the emails that are due; never fails: a failed send waits for its next attempt. */
  sendDue(): Promise<void> {
    return this.runs.run(() => this.sendDueOnce());
  }

  private async sendDueOnce(): Promise<void> {
    const { queue, state } = this.parts;
    for (const queued of queue.due(state.clock(), EMAILS_PER_RUN)) {
      const id = queued.invitation_id;
      try {
        const email = await this.compose(id);
        if (email) await this.parts.email.send(email);
        queue.remove(id);
      } catch (error) {
        const attempts = queued.attempts + 1;
        const wait = EMAIL_RETRY_MS[attempts - 1];
        if (wait === undefined) {
          queue.remove(id);
          console.error(`invitation email ${id} failed ${attempts} times; given up`, error);
        } else {
          queue.retry(id, attempts, state.clock() + wait);
          console.warn(`invitation email ${id} failed; trying again in ${wait / 1000} s`, error);
        }
      }
    }
  }

  /** The email of a pending invitation as it stands now; null when none is to be sent. */
  async compose(invitationId: string): Promise<OutgoingEmail | null> {
    const { state, invitations, participants, email, d1 } = this.parts;
    const session = state.sessionOrNull();
    const invitation = invitations.pendingById(invitationId);
    if (!session || (session.status !== "active" && session.status !== "paused") || !invitation) return null;
    if (!email.from || !isPlainAddress(email.from) || !email.publicUrl) return null;
    const db = database(d1.db);
    const to = await invitationRecipient(db, { userId: invitation.user_id, email: invitation.email });
    if (!to || !isPlainAddress(to)) return null;
    const { subject, text } = invitationEmail({
      inviterName: participants.member(invitation.invited_by)?.display_name ?? invitation.invited_by,
      sessionName: session.name,
      songTitle: await songTitle(db, session.song_id),
      role: invitation.role,
      message: invitation.message,
      joinUrl: joinUrl(email.publicUrl, session.id),
    });
    const raw = mimeMessage({
      from: email.from,
      fromName: SENDER_NAME,
      to,
      subject,
      text,
      date: new Date(state.clock()),
      messageId: `${crypto.randomUUID()}@${email.from.split("@")[1]}`,
    });
    return { from: email.from, to, subject, text, raw };
  }
}

/** Sends an email through the Cloudflare Email binding (`[[send_email]]` in wrangler.toml). */
export async function sendWithBinding(binding: SendEmail | undefined, email: OutgoingEmail): Promise<void> {
  if (!binding) throw new Error("no EMAIL binding is configured");
  await binding.send(new EmailMessage(email.from, email.to, email.raw));
}
