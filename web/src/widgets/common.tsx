import type { Role, SessionStatus } from "chordme-sessions/client";
import { ROLE_LABELS, STATUS_LABELS } from "../lib/words";

export function ErrorNote({ message }: { message: string | null | undefined }) {
  if (!message) return null;
  return (
    <p className="error" role="alert">
      {message}
    </p>
  );
}

export function StatusBadge({ status }: { status: SessionStatus }) {
  return <span className={`badge status-${status}`}>{STATUS_LABELS[status]}</span>;
}

export function RoleBadge({ role }: { role: Role | null }) {
  if (!role) return <span className="badge role-none">Not joined</span>;
  return <span className={`badge role-${role}`}>{ROLE_LABELS[role]}</span>;
}

/** A form's foot: what went wrong, the submit button (its label while busy) and Cancel. */
export function FormActions({
  error,
  busy,
  submit,
  busyLabel,
  onCancel,
}: {
  error: string | null;
  busy: boolean;
  submit: string;
  busyLabel: string;
  onCancel: () => void;
}) {
  return (
    <>
      <ErrorNote message={error} />
      <div className="actions">
        <button type="submit" className="primary" disabled={busy}>
          {busy ? busyLabel : submit}
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </>
  );
}
