import type { Invitation } from "chordme-sessions/client";
import { useCallback, useEffect, useState } from "react";
import { useApp, useErrorSentence } from "../lib/app";
import { formatRelative } from "../lib/format";
import { navigate } from "../lib/router";
import { ROLE_LABELS } from "../lib/words";
import { CreateSessionModal } from "../widgets/CreateSessionModal";
import { ErrorNote } from "../widgets/common";
import { SessionList } from "../widgets/SessionList";

export function HomePage() {
  const [creating, setCreating] = useState(false);
  const closeModal = useCallback(() => setCreating(false), []);
  return (
    <main className="home">
      <Invitations />
      <SessionList
        onSessionSelect={(session) => navigate(`/sessions/${session.id}`)}
        onCreateSession={() => setCreating(true)}
        statusFilter="all"
        showCreateButton
      />
      <CreateSessionModal
        isOpen={creating}
        onClose={closeModal}
        onSessionCreated={(sessionId) => {
          setCreating(false);
          navigate(`/sessions/${sessionId}`);
        }}
      />
    </main>
  );
}

/** Pending invitations, each one click from joining. */
function Invitations() {
  const { service } = useApp();
  const sentence = useErrorSentence();
  const [invitations, setInvitations] = useState<Invitation[]>([]);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    service.getMyInvitations().then(
      (result) => setInvitations(result.invitations),
      (caught) => setError(sentence(caught)),
    );
  }, [service, sentence]);

  async function join(invitation: Invitation) {
    try {
      await service.joinSession(invitation.session_id);
      navigate(`/sessions/${invitation.session_id}`);
    } catch (caught) {
      setError(sentence(caught));
    }
  }

  if (invitations.length === 0 && !error) return null;
  return (
    <section className="invitations" aria-label="Invitations">
      <h2>Invitations</h2>
      <ErrorNote message={error} />
      <ul>
        {invitations.map((invitation) => (
          <li key={invitation.id} className="invitation">
            <span>
              <strong>{invitation.session_name}</strong> — {invitation.invited_by} invited you as{" "}
              {ROLE_LABELS[invitation.role].toLowerCase()} {formatRelative(invitation.created_at)}
              {invitation.message ? <q>{invitation.message}</q> : null}
            </span>
            <button type="button" className="primary" onClick={() => join(invitation)}>
              Join
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}
