/** What an invitation email says: who invites whom to which session and song, in which role, and the join link. */
import type { AssignableRole } from "./permissions";

export interface InvitationEmailInput {
  inviterName: string;
  sessionName: string;
  /** The title of the session's song; null when the song is gone. */
  songTitle: string | null;
  role: AssignableRole;
  message: string | null;
  /** The web app's page that joins the session (`/join/<session id>`). */
  joinUrl: string;
}

const ROLE_PHRASES: Record<AssignableRole, string> = {
  editor: "an editor",
  commenter: "a commenter",
  viewer: "a viewer",
};

/** The web app's join page for a session (web/src/lib/router.ts: `/join/:sessionId`). */
export function joinUrl(publicUrl: string, sessionId: string): string {
  return `${publicUrl.replace(/\/+$/, "")}/join/${encodeURIComponent(sessionId)}`;
}

export function invitationEmail(input: InvitationEmailInput): { subject: string; text: string } {
  const inviter = shorten(input.inviterName, 80);
  const session = shorten(input.sessionName, 120);
  const song = input.songTitle === null ? null : shorten(input.songTitle, 120);
  const subject = `${inviter} invited you to "${session}"${song ? ` (${song})` : ""} on ChordMe`;
  const lines = [
    "Hello,",
    "",
    `${inviter} invited you to the ChordMe session "${session}"${song ? ` to play "${song}"` : ""}, as ${ROLE_PHRASES[input.role]}.`,
  ];
  if (input.message) {
    lines.push("", `${inviter} wrote:`, ...input.message.split(/\r?\n/).map((line) => `> ${line}`));
  }
  lines.push(
    "",
    `Join the session: ${input.joinUrl}`,
    "",
    "--",
    "You were sent this because someone invited you to a session on ChordMe. Not for you? Decline the invitation",
    "under your invitations in ChordMe, or ignore this email. To get no more emails like this one, turn",
    "notifications off in your ChordMe settings.",
  );
  return { subject, text: `${lines.join("\n")}\n` };
}

function shorten(text: string, max: number): string {
  const characters = [...text.trim()];
  return characters.length <= max ? characters.join("") : `${characters.slice(0, max - 1).join("")}…`;
}
