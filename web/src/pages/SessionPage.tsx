import { type Cursor, SessionApiError, type SessionView } from "chordme-sessions/client";
import { lazy, useCallback, useEffect, useMemo, useState } from "react";
import { useApp, useErrorSentence } from "../lib/app";
import { type LiveComment, useKnownNames, useLiveSession, useUnsentWarning } from "../lib/live";
import { useSessionRights } from "../lib/rights";
import { linkProps, navigate } from "../lib/router";
import { ACCESS_LABELS, readOnlyReason } from "../lib/words";
import { ActivityFeed } from "../widgets/ActivityFeed";
import { Comments } from "../widgets/Comments";
import { ErrorNote, RoleBadge, StatusBadge } from "../widgets/common";
import { HealthBadge } from "../widgets/HealthBadge";
import { InvitationsPanel } from "../widgets/InvitationsPanel";
import { LazyPart } from "../widgets/LazyPart";
import { ParticipantPanel } from "../widgets/ParticipantPanel";
import { RecordingPanel } from "../widgets/RecordingPanel";
import { SessionFullNote } from "../widgets/SessionFullNote";
import { BackLink, ConnectionBadge, commentFromActivity, NotJoined, SaveIndicator } from "../widgets/SessionParts";

// The editor (CodeMirror, the largest part of the page) loads for the editor, not for a reader who opens Perform.
const loadEditor = () => import("../widgets/ChordEditor");
const ChordEditor = lazy(() => loadEditor().then((module) => ({ default: module.ChordEditor })));

// Loaded when first shown: the performance view (its own route) and the settings dialog.
const PerformanceView = lazy(() =>
  import("../widgets/PerformanceView").then((module) => ({ default: module.PerformanceView })),
);
const SessionSettingsDialog = lazy(() =>
  import("../widgets/SessionSettingsDialog").then((module) => ({ default: module.SessionSettingsDialog })),
);

/**
 * A live session: the shared chord sheet, the people, comments, recordings and what happened; with `perform`, the
 * sheet as a performance view instead (the rest stays open underneath, hidden).
 */
export function SessionPage({ sessionId, perform = false }: { sessionId: string; perform?: boolean }) {
  const { service, user } = useApp();
  const sentence = useErrorSentence();
  const [view, setView] = useState<SessionView | null>(null);
  const [loadError, setLoadError] = useState<{ sentence: string; unanswered: boolean } | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [selection, setSelection] = useState<Cursor | null>(null);
  const [pastComments, setPastComments] = useState<LiveComment[]>([]);
  const [settingsOpen, setSettingsOpen] = useState(false);
  const [saved, setSaved] = useState<string | null>(null);
  const rights = useSessionRights(view);
  // Once opened, the editor stays (hidden under Perform), keeping its undo history.
  const [editorOpened, setEditorOpened] = useState(!perform);

  useEffect(() => {
    if (perform) return;
    setEditorOpened(true);
    // Fetched while the session and its connection load, not after.
    void loadEditor();
  }, [perform]);

  const load = useCallback(
    async (fresh?: SessionView) => {
      if (fresh) {
        setView(fresh);
        return;
      }
      try {
        setView(await service.getSession(sessionId));
        setLoadError(null);
      } catch (caught) {
        setLoadError({
          sentence: sentence(caught),
          unanswered: caught instanceof SessionApiError && caught.unanswered,
        });
      }
    },
    [service, sessionId, sentence],
  );

  useEffect(() => {
    void load();
  }, [load]);

  const member = view?.user_role != null;
  const live = useLiveSession(sessionId, member);
  useUnsentWarning(live.pendingEdits);
  const knownNames = useKnownNames(live.ready ? live.participants : (view?.participants ?? []));

  // A new role may reveal more of the session (the join link for those who may invite).
  useEffect(() => {
    if (live.role) void load();
  }, [live.role, load]);

  // Comments made before this page opened, from the activity log; live ones arrive on the connection.
  useEffect(() => {
    if (!member) return;
    service.getActivities(sessionId, { type: "comment_added", limit: 50 }).then(
      (page) => setPastComments(page.activities.flatMap((activity) => commentFromActivity(activity)).reverse()),
      () => setPastComments([]),
    );
  }, [member, service, sessionId]);

  const comments = useMemo(() => {
    const byId = new Map<number, LiveComment>();
    for (const comment of [...pastComments, ...live.comments]) byId.set(comment.id, comment);
    return [...byId.values()].sort((left, right) => left.id - right.id);
  }, [pastComments, live.comments]);

  const showError = useCallback((error: unknown) => setNotice(sentence(error)), [sentence]);
  const closeSettings = useCallback(() => setSettingsOpen(false), []);

  if (loadError) {
    // No answer is not a refusal: say so, and offer to ask again.
    return (
      <main className="session-page">
        <BackLink />
        <section className="card">
          <h2>{loadError.unanswered ? "The session could not be loaded" : "This session is not open to you"}</h2>
          <ErrorNote message={loadError.sentence} />
          {loadError.unanswered ? (
            <button type="button" onClick={() => void load()}>
              Try again
            </button>
          ) : (
            <p className="muted">Ask the session leader for an invitation or the join link.</p>
          )}
        </section>
      </main>
    );
  }
  if (!view) {
    return (
      <main className="session-page">
        <p className="muted">Opening the session…</p>
      </main>
    );
  }
  if (!member) return <NotJoined view={view} onJoined={(joined) => load(joined)} />;

  const permissions = live.ready ? live.permissions : view.permissions;
  const role = live.role ?? view.user_role;
  const status = live.status ?? view.status;
  const participants = live.ready ? live.participants : view.participants;
  const terminal = live.closedBecause !== null;
  const reason = terminal
    ? "You are no longer connected to this session: the chord sheet is read-only."
    : !live.ready
      ? "Connecting to the session…"
      : readOnlyReason(permissions, status);
  const isRecording = live.recording?.is_recording ?? live.realtime?.session?.is_recording ?? view.is_recording;
  const mayManage = permissions.includes("manage_session");
  const activeCount = participants.filter((participant) => participant.status === "active").length;
  const full = mayManage && (status === "active" || status === "paused") && activeCount >= view.max_participants;

  async function changeStatus(action: "pause" | "resume" | "end") {
    if (action === "end" && !window.confirm("End the session for everyone? The chord sheet becomes read-only.")) return;
    try {
      const next =
        action === "pause"
          ? await service.pauseSession(sessionId)
          : action === "resume"
            ? await service.resumeSession(sessionId)
            : await service.endSession(sessionId);
      setView(next);
    } catch (caught) {
      showError(caught);
    }
  }

  async function leave() {
    if (!window.confirm("Leave this session?")) return;
    try {
      await service.leaveSession(sessionId);
      navigate("/");
    } catch (caught) {
      showError(caught);
    }
  }

  return (
    <main className="session-page">
      <BackLink />
      <header className="session-header">
        <div>
          <h1>{view.name}</h1>
          {view.description ? <p className="muted">{view.description}</p> : null}
          <div className="badges">
            <StatusBadge status={status} />
            <RoleBadge role={role} />
            <span className="badge">{ACCESS_LABELS[view.access_mode].label}</span>
            <HealthBadge sessionId={sessionId} />
            {isRecording ? <span className="badge recording">● Recording</span> : null}
            <ConnectionBadge live={live} />
            <SaveIndicator live={live} />
          </div>
        </div>
        <div className="session-controls">
          <a className="button-link" {...linkProps(`/sessions/${sessionId}${perform ? "" : "/perform"}`)}>
            {perform ? "Editor" : "Perform"}
          </a>
          <a className="button-link" {...linkProps(`/sessions/${sessionId}/stats`)}>
            Statistics
          </a>
          {mayManage ? (
            <button type="button" onClick={() => setSettingsOpen(true)}>
              Settings
            </button>
          ) : null}
          {mayManage && status === "active" ? (
            <button type="button" onClick={() => changeStatus("pause")}>
              Pause
            </button>
          ) : null}
          {mayManage && status === "paused" ? (
            <button type="button" onClick={() => changeStatus("resume")}>
              Resume
            </button>
          ) : null}
          {mayManage && (status === "active" || status === "paused") ? (
            <button type="button" className="danger" onClick={() => changeStatus("end")}>
              End session
            </button>
          ) : null}
          {role !== "owner" ? (
            <button type="button" onClick={leave}>
              Leave
            </button>
          ) : null}
        </div>
      </header>
      {live.closedBecause ? (
        <p className="error connection-ended" role="alert">
          {live.closedBecause}
        </p>
      ) : null}
      {live.notice || notice ? (
        <p className="error" role="alert">
          {notice ?? live.notice}{" "}
          {notice ? (
            <button type="button" className="link" onClick={() => setNotice(null)}>
              Dismiss
            </button>
          ) : null}
        </p>
      ) : null}
      {saved ? (
        <p className="notice" role="status">
          {saved}{" "}
          <button type="button" className="link" onClick={() => setSaved(null)}>
            Dismiss
          </button>
        </p>
      ) : null}
      {full ? (
        <SessionFullNote
          session={view}
          count={activeCount}
          turnedAway={live.turnedAway?.display_name ?? null}
          onRaised={(fresh) => {
            setView(fresh);
            setSaved(`The participant limit is now ${fresh.max_participants}.`);
          }}
        />
      ) : null}
      {settingsOpen ? (
        <LazyPart label="Opening the settings…">
          <SessionSettingsDialog
            session={view}
            rights={rights}
            onClose={closeSettings}
            onSaved={(fresh) => {
              setView(fresh);
              setSettingsOpen(false);
              setSaved("Settings saved.");
            }}
          />
        </LazyPart>
      ) : null}
      {perform && live.realtime ? (
        <LazyPart label="Opening the performance view…">
          <PerformanceView
            realtime={live.realtime}
            sessionId={sessionId}
            ownerId={view.owner_id}
            participants={participants}
            presence={live.presence}
            selection={selection}
            fallbackTitle={view.name}
          />
        </LazyPart>
      ) : null}
      <div className="session-body" hidden={perform}>
        <div className="main-column">
          {live.realtime && editorOpened ? (
            <LazyPart label="Opening the chord sheet…">
              <ChordEditor
                realtime={live.realtime}
                readOnlyReason={reason}
                participants={participants}
                presence={live.presence}
                onSelectionChange={setSelection}
                onError={showError}
              />
            </LazyPart>
          ) : null}
          {live.realtime ? (
            <Comments
              realtime={live.realtime}
              comments={comments}
              participants={participants}
              canComment={permissions.includes("comment") && live.ready && !terminal}
              selection={selection}
              onError={showError}
            />
          ) : null}
        </div>
        <aside className="side-column">
          <ParticipantPanel
            session={view}
            participants={participants}
            presence={live.presence}
            permissions={permissions}
            myRole={role}
            rights={rights}
            onSessionChanged={(fresh) => void load(fresh)}
          />
          {permissions.includes("invite") && (status === "active" || status === "paused") && !terminal ? (
            <InvitationsPanel sessionId={sessionId} permissions={permissions} refreshKey={live.activityTick} />
          ) : null}
          <RecordingPanel
            sessionId={sessionId}
            canRecord={permissions.includes("record")}
            isRecording={isRecording}
            participants={participants}
            knownNames={knownNames}
          />
          <ActivityFeed sessionId={sessionId} refreshKey={live.activityTick} />
        </aside>
      </div>
      <p className="muted small">Signed in as {user.name}.</p>
    </main>
  );
}
