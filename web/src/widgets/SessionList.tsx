import type { Role, SessionStatus, SessionSummary } from "chordme-sessions/client";
import { useCallback, useEffect, useState } from "react";
import { useApp, useErrorSentence } from "../lib/app";
import { formatDateTime, formatRelative, timeZone } from "../lib/format";
import { ACCESS_LABELS, ROLE_LABELS, STATUS_LABELS } from "../lib/words";
import { ErrorNote, RoleBadge, StatusBadge } from "./common";

export interface SessionListProps {
  onSessionSelect: (session: SessionSummary) => void;
  onCreateSession?: () => void;
  /** The status shown first; the user can change it. Omit for every status. */
  statusFilter?: SessionStatus | "all";
  showCreateButton?: boolean;
  /** Bump to load the list again (after creating a session, say). */
  refreshKey?: number;
}

const STATUSES: SessionStatus[] = ["active", "paused", "ended", "archived"];
const ROLES: Role[] = ["owner", "editor", "commenter", "viewer"];

/** The sessions I take part in, most recently active first. */
export function SessionList({
  onSessionSelect,
  onCreateSession,
  statusFilter = "all",
  showCreateButton = true,
  refreshKey = 0,
}: SessionListProps) {
  const { service } = useApp();
  const sentence = useErrorSentence();
  const [status, setStatus] = useState<SessionStatus | "all">(statusFilter);
  const [role, setRole] = useState<Role | "all">("all");
  const [sessions, setSessions] = useState<SessionSummary[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loadingMore, setLoadingMore] = useState(false);

  useEffect(() => setStatus(statusFilter), [statusFilter]);

  const query = useCallback(
    (after?: string) =>
      service.getMySessions({
        status: status === "all" ? undefined : status,
        role: role === "all" ? undefined : role,
        limit: 20,
        cursor: after,
      }),
    [service, status, role],
  );

  // biome-ignore lint/correctness/useExhaustiveDependencies: refreshKey is the caller's signal to load again.
  useEffect(() => {
    let cancelled = false;
    setSessions(null);
    setError(null);
    query().then(
      (page) => {
        if (cancelled) return;
        setSessions(page.sessions);
        setCursor(page.next_cursor);
      },
      (caught) => {
        if (!cancelled) setError(sentence(caught));
      },
    );
    return () => {
      cancelled = true;
    };
  }, [query, sentence, refreshKey]);

  async function loadMore() {
    if (!cursor) return;
    setLoadingMore(true);
    try {
      const page = await query(cursor);
      setSessions((current) => [...(current ?? []), ...page.sessions]);
      setCursor(page.next_cursor);
    } catch (caught) {
      setError(sentence(caught));
    } finally {
      setLoadingMore(false);
    }
  }

  return (
    <section className="session-list" aria-label="My sessions">
      <header className="section-header">
        <h2>My sessions</h2>
        <div className="filters">
          <label>
            Status
            <select value={status} onChange={(e) => setStatus(e.target.value as SessionStatus | "all")}>
              <option value="all">All</option>
              {STATUSES.map((value) => (
                <option key={value} value={value}>
                  {STATUS_LABELS[value]}
                </option>
              ))}
            </select>
          </label>
          <label>
            My role
            <select value={role} onChange={(e) => setRole(e.target.value as Role | "all")}>
              <option value="all">Any</option>
              {ROLES.map((value) => (
                <option key={value} value={value}>
                  {ROLE_LABELS[value]}
                </option>
              ))}
            </select>
          </label>
          {showCreateButton && onCreateSession ? (
            <button type="button" className="primary" onClick={onCreateSession}>
              New session
            </button>
          ) : null}
        </div>
      </header>
      <ErrorNote message={error} />
      {sessions === null && !error ? <p className="muted">Loading your sessions…</p> : null}
      {sessions?.length === 0 ? (
        <p className="empty">
          {status === "all" && role === "all"
            ? "No sessions yet. Start one for a song and invite your band."
            : "No sessions match these filters."}
        </p>
      ) : null}
      {sessions && sessions.length > 0 ? (
        <ul className="sessions">
          {sessions.map((session) => (
            <li key={session.id}>
              <button type="button" className="session-row" onClick={() => onSessionSelect(session)}>
                <span className="session-name">{session.name}</span>
                <span className="session-badges">
                  <StatusBadge status={session.status} />
                  <RoleBadge role={session.user_role} />
                  {session.is_recording ? <span className="badge recording">● Recording</span> : null}
                </span>
                <span className="session-meta">
                  {session.participant_count}/{session.max_participants} people · {session.online_count} online ·{" "}
                  {ACCESS_LABELS[session.access_mode].label}
                </span>
                <span className="session-time" title={`${formatDateTime(session.last_activity_at)} (${timeZone})`}>
                  Last activity {formatDateTime(session.last_activity_at)} · {formatRelative(session.last_activity_at)}
                </span>
              </button>
            </li>
          ))}
        </ul>
      ) : null}
      {cursor ? (
        <button type="button" onClick={loadMore} disabled={loadingMore}>
          Show more
        </button>
      ) : null}
      <p className="muted small">Times are shown in your time zone ({timeZone}).</p>
    </section>
  );
}
