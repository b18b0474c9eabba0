import type {
  AssignableRole,
  Participant,
  Permission,
  PresenceState,
  Role,
  SessionView,
} from "chordme-sessions/client";
import { useState } from "react";
import { useApp, useErrorSentence } from "../lib/app";
import { roleShortfall, type SessionRights } from "../lib/rights";
import { joinUrl } from "../lib/router";
import { ASSIGNABLE, ROLE_LABELS } from "../lib/words";
import { ErrorNote, RoleBadge } from "./common";

interface ParticipantPanelProps {
  session: SessionView;
  participants: readonly Participant[];
  presence: ReadonlyMap<string, PresenceState>;
  permissions: readonly Permission[];
  myRole: Role | null;
  /** What each role may do in this session: a role it gives less than usual is confirmed before it is given. */
  rights: SessionRights;
  /** The session changed (a new code, a new owner): load it again. */
  onSessionChanged: (session?: SessionView) => void;
}

/** Who is in the session; the join link, role changes and removal for those who may (inviting: InvitationsPanel). */
export function ParticipantPanel({
  session,
  participants,
  presence,
  permissions,
  myRole,
  rights,
  onSessionChanged,
}: ParticipantPanelProps) {
  const { service, user } = useApp();
  const sentence = useErrorSentence();
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [pending, setPending] = useState<PendingRole | null>(null);
  const canManage = permissions.includes("manage_participants");
  const active = participants.filter((participant) => participant.status === "active");

  async function act(action: () => Promise<string | undefined>) {
    setError(null);
    setNotice(null);
    try {
      const done = await action();
      if (done) setNotice(done);
    } catch (caught) {
      setError(sentence(caught));
    }
  }

  const changeRole = (participant: Participant, role: AssignableRole) =>
    act(async () => {
      setPending(null);
      await service.changeRole(session.id, participant.user_id, role);
      return `${participant.display_name} is now ${ROLE_LABELS[role].toLowerCase()}.`;
    });

  /** A role this session gives less than its name promises is said so, and given only once confirmed. */
  const requestRole = (participant: Participant, role: AssignableRole) => {
    const warning = roleShortfall(role, rights);
    if (warning) {
      setError(null);
      setNotice(null);
      setPending({ participant, role, warning });
      return;
    }
    setPending(null);
    void changeRole(participant, role);
  };

  const remove = (participant: Participant) => {
    if (!window.confirm(`Remove ${participant.display_name} from the session?`)) return;
    void act(async () => {
      await service.removeParticipant(session.id, participant.user_id);
      return `${participant.display_name} was removed.`;
    });
  };

  const handOver = (participant: Participant) => {
    if (!window.confirm(`Make ${participant.display_name} the leader? You will become an editor.`)) return;
    void act(async () => {
      onSessionChanged(await service.transferOwnership(session.id, participant.user_id));
      return `${participant.display_name} leads the session now.`;
    });
  };

  return (
    <section className="participants" aria-label="Participants">
      <h3>
        People{" "}
        <span className="muted small">
          ({active.length}/{session.max_participants})
        </span>
      </h3>
      <ul>
        {active.map((participant) => {
          const isMe = participant.user_id === user.id;
          const online = isMe || (presence.get(participant.user_id)?.online ?? participant.online);
          return (
            <li key={participant.user_id} data-user={participant.user_id} className="participant">
              <span className="dot" style={{ background: participant.color }} />
              <span className="participant-name">
                {participant.display_name}
                {isMe ? " (you)" : ""}
                {participant.email && !isMe ? <span className="muted small"> {participant.email}</span> : null}
              </span>
              <span className={`online ${online ? "yes" : "no"}`}>{online ? "online" : "offline"}</span>
              {canManage && participant.role !== "owner" && !isMe ? (
                <span className="participant-actions">
                  <select
                    aria-label={`Role of ${participant.display_name}`}
                    value={participant.role}
                    onChange={(e) => requestRole(participant, e.target.value as AssignableRole)}
                  >
                    {ASSIGNABLE.map((role) => (
                      <option key={role} value={role}>
                        {ROLE_LABELS[role]}
                      </option>
                    ))}
                  </select>
                  <button type="button" className="link danger" onClick={() => remove(participant)}>
                    Remove
                  </button>
                  {myRole === "owner" ? (
                    <button type="button" className="link" onClick={() => handOver(participant)}>
                      Make leader
                    </button>
                  ) : null}
                </span>
              ) : (
                <RoleBadge role={participant.role} />
              )}
              {pending?.participant.user_id === participant.user_id ? (
                <RoleConfirm
                  pending={pending}
                  onConfirm={() => void changeRole(pending.participant, pending.role)}
                  onCancel={() => setPending(null)}
                />
              ) : null}
            </li>
          );
        })}
      </ul>
      <ErrorNote message={error} />
      {notice ? (
        <p className="notice small" role="status">
          {notice}
        </p>
      ) : null}
      {session.invitation_code ? (
        <JoinLink
          sessionId={session.id}
          code={session.invitation_code}
          canRotate={permissions.includes("manage_session")}
          onRotated={() => onSessionChanged()}
          onError={(caught) => setError(sentence(caught))}
        />
      ) : null}
    </section>
  );
}

interface PendingRole {
  participant: Participant;
  role: AssignableRole;
  warning: string;
}

/** The step before giving someone a role this session leaves short of its usual rights. */
function RoleConfirm({
  pending,
  onConfirm,
  onCancel,
}: {
  pending: PendingRole;
  onConfirm: () => void;
  onCancel: () => void;
}) {
  const { participant, role, warning } = pending;
  const id = `role-confirm-${participant.user_id}`;
  const roleWord = ROLE_LABELS[role].toLowerCase();
  return (
    <div className="role-confirm">
      <p id={id} role="alert">
        {warning} Make {participant.display_name} {roleWord} anyway?
      </p>
      <div className="row">
        <button type="button" className="primary" onClick={onConfirm}>
          Make {roleWord}
        </button>
        <button type="button" onClick={onCancel}>
          Keep as {ROLE_LABELS[participant.role].toLowerCase()}
        </button>
      </div>
    </div>
  );
}

function JoinLink({
  sessionId,
  code,
  canRotate,
  onRotated,
  onError,
}: {
  sessionId: string;
  code: string;
  canRotate: boolean;
  onRotated: () => void;
  onError: (error: unknown) => void;
}) {
  const { service } = useApp();
  const [copied, setCopied] = useState(false);
  const link = joinUrl(sessionId, code);

  async function copy() {
    try {
      await navigator.clipboard.writeText(link);
    } catch {
      // Without clipboard access, select the link so the user can copy it by hand.
      const input = document.getElementById("join-link") as HTMLInputElement | null;
      input?.select();
      document.execCommand("copy");
    }
    setCopied(true);
    setTimeout(() => setCopied(false), 2000);
  }

  async function rotate() {
    if (!window.confirm("Make a new link? The current one stops working at once.")) return;
    try {
      await service.rotateInvitationCode(sessionId);
      onRotated();
    } catch (error) {
      onError(error);
    }
  }

  return (
    <div className="join-link">
      <h4>Join link</h4>
      <input id="join-link" readOnly value={link} aria-label="Join link" onFocus={(e) => e.target.select()} />
      <div className="row">
        <button type="button" onClick={copy}>
          {copied ? "Copied" : "Copy link"}
        </button>
        {canRotate ? (
          <button type="button" className="link" onClick={rotate}>
            New link
          </button>
        ) : null}
      </div>
    </div>
  );
}
