import type { InvitationStatus, Permission, SessionInvitation } from "chordme-sessions/client";
import { useCallback, useEffect, useRef, useState } from "react";
import { useApp, useErrorSentence } from "../lib/app";
import { formatDateTime, formatRelative, timeZone } from "../lib/format";
import { ErrorNote, RoleBadge } from "./common";
import { InlineConfirm } from "./InlineConfirm";
import { InviteForm, type InviteOutcome } from "./InviteForm";

const REFRESH_MS = 15_000;
const PAGE = 50;

interface InvitationsPanelProps {
  sessionId: string;
  permissions: readonly Permission[];
  /** Changes when something happened live (someone joined, say): the list is read again. */
  refreshKey: number;
}

/**
 * For those who may invite: the invite form, and the session's invitations, pending (each revoked after a
 * confirmation, by its sender or whoever manages participants) or declined.
 */
export function InvitationsPanel({ sessionId, permissions, refreshKey }: InvitationsPanelProps) {
  const { service, user } = useApp();
  const sentence = useErrorSentence();
  const [status, setStatus] = useState<InvitationStatus>("pending");
  const [invitations, setInvitations] = useState<SessionInvitation[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [revoking, setRevoking] = useState<string | null>(null);
  const [fresh, setFresh] = useState<ReadonlySet<string>>(new Set());
  // Only the latest request's answer is shown: one sent before a change on this page would undo it.
  const latest = useRef(0);
  const canManage = permissions.includes("manage_participants");

  const load = useCallback(async () => {
    const ticket = ++latest.current;
    try {
      const page = await service.listInvitations(sessionId, { status, limit: PAGE });
      if (ticket !== latest.current) return;
      setInvitations(page.invitations);
      setCursor(page.next_cursor);
      setError(null);
    } catch (caught) {
      if (ticket === latest.current) setError(sentence(caught));
    }
  }, [service, sessionId, status, sentence]);

  useEffect(() => {
    const timer = setTimeout(load, refreshKey === 0 ? 0 : 400);
    return () => clearTimeout(timer);
  }, [load, refreshKey]);

  // A decline reaches nobody live: read the list again now and then, and when the page comes back into view.
  useEffect(() => {
    const timer = setInterval(load, REFRESH_MS);
    const onFocus = () => void load();
    window.addEventListener("focus", onFocus);
    return () => {
      clearInterval(timer);
      window.removeEventListener("focus", onFocus);
    };
  }, [load]);

  function show(next: InvitationStatus) {
    if (next === status) return;
    latest.current += 1;
    setInvitations(null);
    setCursor(null);
    setRevoking(null);
    setStatus(next);
  }

  async function loadMore() {
    if (!cursor) return;
    const ticket = ++latest.current;
    try {
      const page = await service.listInvitations(sessionId, { status, limit: PAGE, cursor });
      if (ticket !== latest.current) return;
      setInvitations((current) => [
        ...(current ?? []),
        ...page.invitations.filter((entry) => !current?.some((known) => known.id === entry.id)),
      ]);
      setCursor(page.next_cursor);
    } catch (caught) {
      setError(sentence(caught));
    }
  }

  /** The new invitations join the pending list at once, before the list is read again. */
  function invited({ result, message, summary }: InviteOutcome) {
    setError(null);
    setNotice(summary);
    const now = new Date().toISOString();
    const added: SessionInvitation[] = result.invited.flatMap((entry) =>
      entry.status === "invited" && entry.invitation_id
        ? [
            {
              id: entry.invitation_id,
              user_id: entry.user_id ?? null,
              email: entry.email ?? null,
              role: entry.role,
              status: "pending" as const,
              invited_by: { user_id: user.id, display_name: user.name },
              message,
              created_at: now,
              declined_at: null,
            },
          ]
        : [],
    );
    if (added.length === 0) return;
    const ids = new Set(added.map((entry) => entry.id));
    setFresh(ids);
    if (status === "pending") {
      latest.current += 1;
      setInvitations((current) => [...added, ...(current ?? []).filter((entry) => !ids.has(entry.id))]);
      void load();
    } else {
      show("pending");
    }
  }

  async function revoke(invitation: SessionInvitation) {
    setRevoking(null);
    setError(null);
    try {
      await service.revokeInvitation(sessionId, invitation.id);
      latest.current += 1;
      setInvitations((current) => current?.filter((entry) => entry.id !== invitation.id) ?? null);
      setNotice(`The invitation to ${inviteeName(invitation)} was revoked.`);
      void load();
    } catch (caught) {
      setError(sentence(caught));
    }
  }

  const mayRevoke = (invitation: SessionInvitation) => canManage || invitation.invited_by.user_id === user.id;

  return (
    <section className="invitations-panel" aria-labelledby="invitations-heading">
      <h3 id="invitations-heading">Invitations</h3>
      <InviteForm sessionId={sessionId} onInvited={invited} onError={setError} />
      <p className="notice small" role="status">
        {notice}
      </p>
      <ErrorNote message={error} />
      <fieldset className="invitation-filter">
        <legend>Show</legend>
        {(["pending", "declined"] as const).map((value) => (
          <label key={value} className="inline">
            <input
              type="radio"
              name={`invitation-status-${sessionId}`}
              checked={status === value}
              onChange={() => show(value)}
            />
            {value === "pending" ? "Pending" : "Declined"}
          </label>
        ))}
      </fieldset>
      {invitations === null && !error ? <p className="muted small">Loading invitations…</p> : null}
      {invitations?.length === 0 ? (
        <p className="muted small">{status === "pending" ? "No pending invitations." : "Nobody has declined."}</p>
      ) : null}
      {invitations && invitations.length > 0 ? (
        <ul className="invitation-list" aria-label={status === "pending" ? "Pending invitations" : "Declined"}>
          {invitations.map((invitation) => (
            <InvitationEntry
              key={invitation.id}
              invitation={invitation}
              isNew={fresh.has(invitation.id)}
              confirming={revoking === invitation.id}
              canRevoke={invitation.status === "pending" && mayRevoke(invitation)}
              onRevoke={() => setRevoking(invitation.id)}
              onConfirm={() => void revoke(invitation)}
              onCancel={() => setRevoking(null)}
            />
          ))}
        </ul>
      ) : null}
      {cursor ? (
        <button type="button" onClick={loadMore}>
          Show more
        </button>
      ) : null}
    </section>
  );
}

/** The invitee as this page may show them: the address when the API gives it, else the user id. */
export function inviteeName(invitation: SessionInvitation): string {
  return invitation.email ?? invitation.user_id ?? "someone invited by email";
}

function When({ iso, prefix }: { iso: string; prefix: string }) {
  return (
    <time dateTime={iso} title={`${formatDateTime(iso)} (${timeZone})`}>
      {prefix} {formatRelative(iso)}
    </time>
  );
}

function InvitationEntry({
  invitation,
  isNew,
  confirming,
  canRevoke,
  onRevoke,
  onConfirm,
  onCancel,
}: {
  invitation: SessionInvitation;
  isNew: boolean;
  confirming: boolean;
  canRevoke: boolean;
  onRevoke: () => void;
  onConfirm: () => void;
  onCancel: () => void;
}) {
  const who = inviteeName(invitation);
  const confirmId = `revoke-${invitation.id}`;
  const revokeButton = useRef<HTMLButtonElement>(null);
  return (
    <li className={`invitation-entry${isNew ? " new" : ""}`} data-invitation={invitation.id}>
      <div className="invitation-who">
        <span className="invitee">{who}</span>
        {isNew ? <span className="badge new-badge">New</span> : null}
        <RoleBadge role={invitation.role} />
      </div>
      <div className="muted small">
        Invited by {invitation.invited_by.display_name} <When iso={invitation.created_at} prefix="·" />
        {invitation.declined_at ? (
          <>
            {" "}
            <When iso={invitation.declined_at} prefix="· declined" />
          </>
        ) : null}
      </div>
      {invitation.message ? <q className="small">{invitation.message}</q> : null}
      {canRevoke ? (
        <button
          ref={revokeButton}
          type="button"
          className="link danger"
          onClick={onRevoke}
          aria-label={`Revoke the invitation to ${who}`}
          aria-expanded={confirming}
          aria-controls={confirming ? confirmId : undefined}
        >
          Revoke
        </button>
      ) : null}
      {confirming ? (
        <InlineConfirm
          id={confirmId}
          question={<>Revoke the invitation to {who}? It will no longer let them join.</>}
          confirmLabel="Revoke invitation"
          onConfirm={onConfirm}
          onCancel={onCancel}
          returnFocusTo={revokeButton}
        />
      ) : null}
    </li>
  );
}
