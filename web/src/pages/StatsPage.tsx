import type { RecordingManifest, SessionStats, SessionView } from "chordme-sessions/client";
import { useCallback, useEffect, useState } from "react";
import { useApp, useErrorSentence } from "../lib/app";
import { formatDateTime, formatDuration, formatRelative } from "../lib/format";
import { describeSeconds } from "../lib/settings";
import { ROLE_LABELS } from "../lib/words";
import { BarChart } from "../widgets/BarChart";
import { ErrorNote, StatusBadge } from "../widgets/common";
import { BackLink } from "../widgets/SessionParts";

interface Loaded {
  session: SessionView;
  stats: SessionStats;
  /** Null when the recordings could not be listed. */
  recordings: RecordingManifest[] | null;
}

const count = (value: number, one: string, many = `${one}s`) => `${value.toLocaleString()} ${value === 1 ? one : many}`;

/** A session in numbers: its people and what each contributed, edits per person, comments, time and recordings. */
export function StatsPage({ sessionId }: { sessionId: string }) {
  const { service } = useApp();
  const sentence = useErrorSentence();
  const [loaded, setLoaded] = useState<Loaded | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const load = useCallback(async () => {
    setBusy(true);
    try {
      const [session, stats, recordings] = await Promise.all([
        service.getSession(sessionId),
        service.getStats(sessionId),
        service.listRecordings(sessionId).then(
          (list) => list.recordings,
          () => null,
        ),
      ]);
      setLoaded({ session, stats, recordings });
      setError(null);
    } catch (caught) {
      setError(sentence(caught));
    } finally {
      setBusy(false);
    }
  }, [service, sessionId, sentence]);

  useEffect(() => {
    void load();
  }, [load]);

  if (!loaded) {
    return (
      <main className="stats-page">
        <BackLink to={`/sessions/${sessionId}`} label="← Back to the session" />
        {error ? <ErrorNote message={error} /> : <p className="muted">Counting…</p>}
      </main>
    );
  }

  const { session, stats, recordings } = loaded;
  const people = new Map(session.participants.map((participant) => [participant.user_id, participant]));
  const nameOf = (userId: string) => people.get(userId)?.display_name ?? userId;
  const bars = Object.entries(stats.edits.by_user)
    .map(([userId, edits]) => ({ label: nameOf(userId), value: edits, color: people.get(userId)?.color }))
    .sort((left, right) => right.value - left.value || left.label.localeCompare(right.label));

  return (
    <main className="stats-page">
      <BackLink to={`/sessions/${sessionId}`} label="← Back to the session" />
      <header className="section-header">
        <div>
          <h1>Statistics: {session.name}</h1>
          <div className="badges">
            <StatusBadge status={session.status} />
            <span className="badge">Started {formatDateTime(session.started_at)}</span>
          </div>
        </div>
        <button type="button" onClick={() => void load()} disabled={busy}>
          {busy ? "Refreshing…" : "Refresh"}
        </button>
      </header>
      <ErrorNote message={error} />

      <section aria-label="Summary">
        <dl className="stat-cards">
          <div>
            <dt>Duration</dt>
            <dd>{describeSeconds(stats.duration_seconds)}</dd>
          </div>
          <div>
            <dt>People</dt>
            <dd>{count(stats.participants.active, "participant")}</dd>
            <dd className="muted small">
              {stats.participants.total} ever · {stats.participants.online} online now · peak{" "}
              {stats.participants.peak_online} online
            </dd>
          </div>
          <div>
            <dt>Edits</dt>
            <dd>{count(stats.edits.total, "edit")}</dd>
          </div>
          <div>
            <dt>Comments</dt>
            <dd>{count(stats.comments, "comment")}</dd>
          </div>
          <div>
            <dt>Activity</dt>
            <dd>{count(stats.activities, "log entry", "log entries")}</dd>
            <dd className="muted small">last {formatRelative(stats.last_activity_at)}</dd>
          </div>
          <div>
            <dt>Recordings</dt>
            <dd>{count(stats.recordings.count, "recording")}</dd>
            <dd className="muted small">
              {formatDuration(stats.recordings.total_duration_ms)} long · {count(stats.recordings.events, "event")}
            </dd>
          </div>
        </dl>
      </section>

      <div className="stats-columns">
        <section className="card" aria-label="Edits per person">
          <BarChart
            title="Edits per person"
            valueLabel="Edits"
            bars={bars}
            format={(value) => count(value, "edit")}
            empty="Nobody has edited the sheet yet."
          />
        </section>
        <section className="card" aria-labelledby="contributions-title">
          <h2 id="contributions-title">Participants and their contributions</h2>
          <table className="data-table">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Role</th>
                <th scope="col">Contributions</th>
                <th scope="col">Edits</th>
                <th scope="col">Time in session</th>
              </tr>
            </thead>
            <tbody>
              {session.participants.map((participant) => (
                <tr key={participant.user_id}>
                  <th scope="row">
                    <span className="dot" style={{ background: participant.color }} aria-hidden="true" />
                    {participant.display_name}
                  </th>
                  <td>{ROLE_LABELS[participant.role]}</td>
                  <td>{participant.contribution_count}</td>
                  <td>{stats.edits.by_user[participant.user_id] ?? 0}</td>
                  <td>{describeSeconds(participant.total_time_seconds)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <p className="muted small">
            A contribution is an edit or a comment. Only people still in the session are listed.
          </p>
        </section>
      </div>

      <section className="card" aria-labelledby="recordings-title">
        <h2 id="recordings-title">Recordings</h2>
        {recordings === null ? <p className="muted small">The recordings could not be listed.</p> : null}
        {recordings?.length === 0 ? <p className="muted small">Nothing has been recorded.</p> : null}
        {recordings && recordings.length > 0 ? (
          <table className="data-table">
            <thead>
              <tr>
                <th scope="col">Started</th>
                <th scope="col">Length</th>
                <th scope="col">Events</th>
                <th scope="col">State</th>
              </tr>
            </thead>
            <tbody>
              {recordings.map((recording) => (
                <tr key={recording.id}>
                  <td>{formatDateTime(recording.started_at)}</td>
                  <td>{formatDuration(recording.duration_ms)}</td>
                  <td>{recording.events_count}</td>
                  <td>{recording.status === "recording" ? "Recording" : "Stopped"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : null}
      </section>
    </main>
  );
}
