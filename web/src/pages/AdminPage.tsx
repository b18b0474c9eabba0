import { type AdminStats, type CleanupResult, SessionApiError, type SessionStatus } from "chordme-sessions/client";
import { useCallback, useEffect, useState } from "react";
import { useApp, useErrorSentence } from "../lib/app";
import { describeSeconds } from "../lib/settings";
import { STATUS_LABELS } from "../lib/words";
import { BarChart } from "../widgets/BarChart";
import { ErrorNote } from "../widgets/common";

const STATUSES: SessionStatus[] = ["active", "paused", "ended", "archived"];
const STATUS_COLORS: Record<SessionStatus, string> = {
  active: "#2f6f4f",
  paused: "#9a6700",
  ended: "#636c76",
  archived: "#9aa4ae",
};

/** For administrators: every session in numbers, and the cleanup of overdue sessions, previewed before it runs. */
export function AdminPage() {
  const { service } = useApp();
  const sentence = useErrorSentence();
  const [stats, setStats] = useState<AdminStats | null>(null);
  const [forbidden, setForbidden] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const load = useCallback(async () => {
    try {
      setStats(await service.getAdminStats());
      setError(null);
    } catch (caught) {
      if (caught instanceof SessionApiError && caught.status === 403) setForbidden(true);
      else setError(sentence(caught));
    }
  }, [service, sentence]);

  useEffect(() => {
    void load();
  }, [load]);

  if (forbidden) {
    return (
      <main className="admin-page">
        <section className="card">
          <h1>Administration</h1>
          <p>Only administrators can see the statistics of every session and run the cleanup.</p>
        </section>
      </main>
    );
  }

  return (
    <main className="admin-page">
      <h1>Administration</h1>
      <ErrorNote message={error} />
      <div className="stats-columns">
        <section className="card" aria-labelledby="global-title">
          <h2 id="global-title">All sessions</h2>
          {stats ? (
            <>
              <dl className="stat-cards">
                <div>
                  <dt>Sessions</dt>
                  <dd>{stats.total_sessions.toLocaleString()}</dd>
                </div>
                <div>
                  <dt>Activity entries</dt>
                  <dd>{stats.total_activities.toLocaleString()}</dd>
                </div>
                <div>
                  <dt>Average length</dt>
                  <dd>{describeSeconds(stats.average_session_duration_hours * 3600)}</dd>
                </div>
              </dl>
              <BarChart
                title="Sessions by status"
                valueLabel="Sessions"
                bars={STATUSES.map((status) => ({
                  label: STATUS_LABELS[status],
                  value: stats.by_status[status],
                  color: STATUS_COLORS[status],
                }))}
                format={(value) => `${value} ${value === 1 ? "session" : "sessions"}`}
              />
            </>
          ) : (
            <p className="muted">Counting…</p>
          )}
        </section>
        <Cleanup onDone={() => void load()} />
      </div>
    </main>
  );
}

/** The sweep that ends idle sessions and archives old ended ones: a dry run first, then the real thing. */
function Cleanup({ onDone }: { onDone: () => void }) {
  const { service } = useApp();
  const sentence = useErrorSentence();
  const [preview, setPreview] = useState<CleanupResult | null>(null);
  const [done, setDone] = useState<CleanupResult | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState<"preview" | "run" | null>(null);

  async function run(dryRun: boolean) {
    setBusy(dryRun ? "preview" : "run");
    setError(null);
    try {
      const result = await service.cleanup({ dry_run: dryRun });
      if (dryRun) {
        setPreview(result);
        setDone(null);
      } else {
        setDone(result);
        setPreview(null);
        onDone();
      }
    } catch (caught) {
      setError(sentence(caught));
    } finally {
      setBusy(null);
    }
  }

  return (
    <section className="card cleanup" aria-labelledby="cleanup-title">
      <h2 id="cleanup-title">Cleanup</h2>
      <p className="muted small">
        Ends sessions idle past their limit and archives ended ones past their archive delay. Each session does this by
        itself on time; the cleanup catches any that were missed. Preview it first: the preview changes nothing.
      </p>
      <div className="actions">
        <button type="button" onClick={() => void run(true)} disabled={busy !== null}>
          {busy === "preview" ? "Checking…" : "Preview cleanup"}
        </button>
        <button
          type="button"
          className="danger"
          onClick={() => void run(false)}
          disabled={busy !== null || preview === null}
          aria-describedby="cleanup-run-hint"
        >
          {busy === "run" ? "Cleaning up…" : "Run cleanup"}
        </button>
      </div>
      <p className="muted small" id="cleanup-run-hint">
        {preview ? "Runs what the preview shows (or what has become due since)." : "Preview the cleanup to run it."}
      </p>
      <ErrorNote message={error} />
      {preview ? <CleanupReport result={preview} title="Preview: nothing has changed yet" /> : null}
      {done ? <CleanupReport result={done} title="Cleanup done" /> : null}
    </section>
  );
}

function CleanupReport({ result, title }: { result: CleanupResult; title: string }) {
  const verb = result.dry_run ? "would be" : "were";
  return (
    <div className="cleanup-report" role="status" aria-label={title}>
      <h3>{title}</h3>
      <ul>
        <li>
          {result.sessions_checked} overdue {result.sessions_checked === 1 ? "session" : "sessions"} checked
        </li>
        <li>
          {result.sessions_ended} {verb} ended
        </li>
        <li>
          {result.sessions_archived} {verb} archived
        </li>
      </ul>
      {result.errors.length > 0 ? (
        <>
          <h4>Problems</h4>
          <ul>
            {result.errors.map((problem) => (
              <li key={problem.session_id}>
                {problem.session_id}: {problem.message}
              </li>
            ))}
          </ul>
        </>
      ) : null}
    </div>
  );
}
