import { SessionApiError, type SessionSummary, type Song } from "chordme-sessions/client";
import { useCallback, useEffect, useRef, useState } from "react";
import { useApp, useErrorSentence } from "../lib/app";
import { formatDateTime, formatRelative } from "../lib/format";
import { navigate } from "../lib/router";
import { ROLE_LABELS } from "../lib/words";
import { ErrorNote } from "../widgets/common";

/** Active public sessions, for every song or one: anyone signed in can join one from here. */
export function PublicSessionsPage({ songId }: { songId: number | null }) {
  const { service } = useApp();
  const sentence = useErrorSentence();
  const [sessions, setSessions] = useState<SessionSummary[] | null>(null);
  const [songs, setSongs] = useState<Song[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [joinErrors, setJoinErrors] = useState<Record<string, string>>({});

  const latest = useRef(0);

  /** Loads the list; an answer that arrives after a newer request (another song picked) is dropped. */
  const load = useCallback(async () => {
    const ticket = ++latest.current;
    setBusy(true);
    try {
      const found = (await service.getPublicSessions(songId ?? undefined)).sessions;
      if (ticket !== latest.current) return;
      setSessions(found);
      setError(null);
    } catch (caught) {
      if (ticket === latest.current) setError(sentence(caught));
    } finally {
      if (ticket === latest.current) setBusy(false);
    }
  }, [service, songId, sentence]);

  useEffect(() => {
    // Another song: the old list is not shown while the new one loads.
    setSessions(null);
    void load();
  }, [load]);

  useEffect(() => {
    service.listSongs().then(
      (list) => setSongs(list.songs),
      () => setSongs([]),
    );
  }, [service]);

  async function join(session: SessionSummary) {
    setJoinErrors((current) => Object.fromEntries(Object.entries(current).filter(([id]) => id !== session.id)));
    try {
      if (!session.user_role) await service.joinSession(session.id);
      navigate(`/sessions/${session.id}`);
    } catch (caught) {
      const full = caught instanceof SessionApiError && caught.code === "SESSION_FULL";
      setJoinErrors((current) => ({
        ...current,
        [session.id]: full
          ? `${session.name} is full (${session.max_participants} people). Ask its leader to raise the participant limit, or try again later.`
          : sentence(caught),
      }));
    }
  }

  const titles = new Map(songs.map((song) => [song.id, song.title]));
  const filterSongs = songId !== null && !titles.has(songId) ? [{ id: songId, title: `Song ${songId}` }] : [];

  return (
    <main className="public-page">
      <header className="section-header">
        <h1>Public sessions</h1>
        <div className="filters">
          <label>
            Song
            <select
              value={songId ?? ""}
              onChange={(e) => navigate(e.target.value ? `/public?song=${e.target.value}` : "/public")}
            >
              <option value="">All songs</option>
              {[...filterSongs, ...songs].map((song) => (
                <option key={song.id} value={song.id}>
                  {song.title}
                </option>
              ))}
            </select>
          </label>
          <button type="button" onClick={() => void load()} disabled={busy}>
            {busy ? "Refreshing…" : "Refresh"}
          </button>
        </div>
      </header>
      <p className="muted">Sessions their leaders opened to everyone. Join one to follow the chord sheet live.</p>
      <ErrorNote message={error} />
      {sessions === null && !error ? <p className="muted">Looking for sessions…</p> : null}
      {sessions?.length === 0 ? (
        <p className="empty">
          {songId === null ? "No public sessions are running right now." : "No public sessions on this song right now."}
        </p>
      ) : null}
      {sessions && sessions.length > 0 ? (
        <ul className="sessions" aria-label="Public sessions">
          {sessions.map((session) => {
            const full = session.participant_count >= session.max_participants;
            return (
              <li key={session.id} className="public-session" aria-labelledby={`public-${session.id}`}>
                <div>
                  <span className="session-name" id={`public-${session.id}`}>
                    {session.name}
                  </span>
                  {session.description ? <p className="muted small">{session.description}</p> : null}
                  <span className="session-meta">
                    {titles.get(session.song_id) ? `${titles.get(session.song_id)} · ` : ""}
                    {session.participant_count}/{session.max_participants} people · {session.online_count} online ·
                    newcomers join as {ROLE_LABELS[session.default_role].toLowerCase()}s
                  </span>
                  <span className="session-time">
                    Started {formatDateTime(session.started_at)} · last activity{" "}
                    {formatRelative(session.last_activity_at)}
                  </span>
                  <ErrorNote message={joinErrors[session.id]} />
                </div>
                <div className="public-actions">
                  {session.user_role ? (
                    <span className="badge">You are {ROLE_LABELS[session.user_role].toLowerCase()}</span>
                  ) : full ? (
                    <span className="badge">Full</span>
                  ) : null}
                  <button
                    type="button"
                    className={session.user_role ? undefined : "primary"}
                    onClick={() => void join(session)}
                    aria-label={`${session.user_role ? "Open" : "Join"} ${session.name}`}
                  >
                    {session.user_role ? "Open" : "Join"}
                  </button>
                </div>
              </li>
            );
          })}
        </ul>
      ) : null}
    </main>
  );
}
