import type { Invitation } from "chordme-sessions/client";
import { useEffect, useRef, useState } from "react";
import { useApp, useErrorSentence } from "../lib/app";
import { formatDateTime, formatRelative, timeZone } from "../lib/format";
import { navigate } from "../lib/router";
import { ROLE_LABELS } from "../lib/words";
import { ErrorNote } from "./common";
import { InlineConfirm } from "./InlineConfirm";

/** My pending invitations, each one click from joining, or declined after a confirmation. */
export function MyInvitations() {
  const { service } = useApp();
  const sentence = useErrorSentence();
  const [invitations, setInvitations] = useState<Invitation[]>([]);
  // Once there was something to show, the section stays: a decline's answer is said in it.
  const [shown, setShown] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [declining, setDeclining] = useState<string | null>(null);
  const [busy, setBusy] = useState<string | null>(null);

  useEffect(() => {
    service.getMyInvitations().then(
      (result) => {
        setInvitations(result.invitations);
        if (result.invitations.length > 0) setShown(true);
      },
      (caught) => {
        setError(sentence(caught));
        setShown(true);
      },
    );
  }, [service, sentence]);

  async function join(invitation: Invitation) {
    setBusy(invitation.id);
    setError(null);
    try {
      await service.joinSession(invitation.session_id);
      navigate(`/sessions/${invitation.session_id}`);
    } catch (caught) {
      setError(sentence(caught));
      setBusy(null);
    }
  }

  async function decline(invitation: Invitation) {
    setDeclining(null);
    setBusy(invitation.id);
    setError(null);
    try {
      await service.declineInvitation(invitation.id);
      setInvitations((current) => current.filter((entry) => entry.id !== invitation.id));
      setNotice(`You declined the invitation to “${invitation.session_name}”.`);
    } catch (caught) {
      setError(sentence(caught));
    } finally {
      setBusy(null);
    }
  }

  if (!shown) return null;
  return (
    <section className="invitations" aria-labelledby="my-invitations-heading">
      <h2 id="my-invitations-heading">Invitations</h2>
      <p className="notice" role="status">
        {notice}
      </p>
      <ErrorNote message={error} />
      {invitations.length === 0 && !error ? <p className="muted">No invitations are waiting for you.</p> : null}
      <ul>
        {invitations.map((invitation) => (
          <MyInvitation
            key={invitation.id}
            invitation={invitation}
            busy={busy === invitation.id}
            confirming={declining === invitation.id}
            onJoin={() => void join(invitation)}
            onDecline={() => setDeclining(invitation.id)}
            onConfirm={() => void decline(invitation)}
            onCancel={() => setDeclining(null)}
          />
        ))}
      </ul>
    </section>
  );
}

function MyInvitation({
  invitation,
  busy,
  confirming,
  onJoin,
  onDecline,
  onConfirm,
  onCancel,
}: {
  invitation: Invitation;
  busy: boolean;
  confirming: boolean;
  onJoin: () => void;
  onDecline: () => void;
  onConfirm: () => void;
  onCancel: () => void;
}) {
  const name = invitation.session_name;
  const confirmId = `decline-${invitation.id}`;
  const declineButton = useRef<HTMLButtonElement>(null);

  return (
    <li className="invitation" data-invitation={invitation.id}>
      <div className="invitation-text">
        <span>
          <strong>{name}</strong> — {invitation.invited_by} invited you as {ROLE_LABELS[invitation.role].toLowerCase()}{" "}
          <time dateTime={invitation.created_at} title={`${formatDateTime(invitation.created_at)} (${timeZone})`}>
            {formatRelative(invitation.created_at)}
          </time>
          {invitation.message ? <q>{invitation.message}</q> : null}
        </span>
        {confirming ? (
          <InlineConfirm
            id={confirmId}
            question={<>Decline the invitation to “{name}”? To join later you would need a new invitation.</>}
            confirmLabel="Decline invitation"
            onConfirm={onConfirm}
            onCancel={onCancel}
            returnFocusTo={declineButton}
          />
        ) : null}
      </div>
      <div className="actions">
        <button type="button" className="primary" onClick={onJoin} disabled={busy} aria-label={`Join ${name}`}>
          Join
        </button>
        <button
          ref={declineButton}
          type="button"
          onClick={onDecline}
          disabled={busy}
          aria-label={`Decline ${name}`}
          aria-expanded={confirming}
          aria-controls={confirming ? confirmId : undefined}
        >
          Decline
        </button>
      </div>
    </li>
  );
}
