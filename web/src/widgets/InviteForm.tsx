import type { AssignableRole, InviteResult } from "chordme-sessions/client";
import { type FormEvent, useState } from "react";
import { useApp, useErrorSentence } from "../lib/app";
import { ASSIGNABLE, ROLE_LABELS } from "../lib/words";

export interface InviteOutcome {
  result: InviteResult;
  message: string | null;
  /** The result in a sentence: who was invited, who had already joined, what was refused and why. */
  summary: string;
}

/** Invites people by email or user id (several at once), with a role and an optional message. */
export function InviteForm({
  sessionId,
  onInvited,
  onError,
}: {
  sessionId: string;
  onInvited: (outcome: InviteOutcome) => void;
  onError: (sentence: string) => void;
}) {
  const { service } = useApp();
  const sentence = useErrorSentence();
  const [who, setWho] = useState("");
  const [role, setRole] = useState<AssignableRole>("editor");
  const [message, setMessage] = useState("");
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    const entries = who
      .split(/[\s,;]+/)
      .map((entry) => entry.trim())
      .filter(Boolean);
    if (entries.length === 0) return;
    const note = message.trim() || null;
    setBusy(true);
    try {
      const result = await service.inviteUsers(
        sessionId,
        entries.map((entry) => (entry.includes("@") ? { email: entry, role } : { user_id: entry, role })),
        note ?? undefined,
      );
      setWho("");
      setMessage("");
      onInvited({ result, message: note, summary: summarize(result, entries, role) });
    } catch (caught) {
      onError(sentence(caught));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form onSubmit={submit} className="invite-form" aria-label="Invite">
      <h4>Invite</h4>
      <input
        value={who}
        onChange={(e) => setWho(e.target.value)}
        placeholder="Email or user id (several: separate with commas)"
        aria-label="Email or user id"
      />
      <input
        value={message}
        onChange={(e) => setMessage(e.target.value)}
        placeholder="Message (optional)"
        aria-label="Message (optional)"
        maxLength={1000}
      />
      <div className="row">
        <select value={role} onChange={(e) => setRole(e.target.value as AssignableRole)} aria-label="Invite as">
          {ASSIGNABLE.map((value) => (
            <option key={value} value={value}>
              as {ROLE_LABELS[value].toLowerCase()}
            </option>
          ))}
        </select>
        <button type="submit" disabled={!who.trim() || busy}>
          Invite
        </button>
      </div>
    </form>
  );
}

function summarize(result: InviteResult, entries: readonly string[], role: AssignableRole): string {
  const name = (entry: { email?: string; user_id?: string }) => entry.email ?? entry.user_id ?? "";
  const invited = result.invited.filter((entry) => entry.status === "invited").map(name);
  const already = result.invited.filter((entry) => entry.status === "already_participant").map(name);
  const parts: string[] = [];
  if (invited.length) parts.push(`Invited ${invited.join(", ")} as ${ROLE_LABELS[role].toLowerCase()}.`);
  if (already.length) parts.push(`${already.join(", ")} already joined.`);
  for (const failure of result.errors) parts.push(`${entries[failure.index]}: ${failure.message}`);
  return parts.join(" ");
}
