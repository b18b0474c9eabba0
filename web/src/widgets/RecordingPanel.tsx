import { type RecordingManifest, type RecordingStatus, SessionApiError } from "chordme-sessions/client";
import { useCallback, useEffect, useRef, useState } from "react";
import { useApp, useErrorSentence } from "../lib/app";
import { formatDateTime, formatDuration } from "../lib/format";
import { ErrorNote } from "./common";

interface RecordingPanelProps {
  sessionId: string;
  canRecord: boolean;
  /** The live recording flag from the session connection; changes trigger a reload. */
  isRecording: boolean;
}

/** Recording controls, the session's recordings, and playback of one of them. */
export function RecordingPanel({ sessionId, canRecord, isRecording }: RecordingPanelProps) {
  const { service } = useApp();
  const sentence = useErrorSentence();
  const [status, setStatus] = useState<RecordingStatus | null>(null);
  const [recordings, setRecordings] = useState<RecordingManifest[]>([]);
  const [unavailable, setUnavailable] = useState(false);
  const [playing, setPlaying] = useState<RecordingManifest | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const reload = useCallback(async () => {
    try {
      const [current, list] = await Promise.all([
        service.getRecordingStatus(sessionId),
        service.listRecordings(sessionId),
      ]);
      setStatus(current);
      setRecordings([...list.recordings].sort((left, right) => right.started_at.localeCompare(left.started_at)));
      setUnavailable(false);
    } catch (caught) {
      // The session exists (this panel is on its page): a 404 means the server has no recording routes.
      if (caught instanceof SessionApiError && caught.status === 404) {
        setUnavailable(true);
      } else {
        setError(sentence(caught));
      }
    }
  }, [service, sessionId, sentence]);

  // biome-ignore lint/correctness/useExhaustiveDependencies: the live flag is the signal to reload.
  useEffect(() => {
    void reload();
  }, [reload, isRecording]);

  async function toggle() {
    setBusy(true);
    setError(null);
    try {
      setStatus(
        status?.is_recording ? await service.stopRecording(sessionId) : await service.startRecording(sessionId),
      );
      await reload();
    } catch (caught) {
      setError(sentence(caught));
    } finally {
      setBusy(false);
    }
  }

  if (unavailable) {
    return (
      <section className="recording-panel" aria-label="Recording">
        <h3>Recording</h3>
        <p className="muted small">This server does not record sessions yet.</p>
      </section>
    );
  }

  const recordingNow = status?.is_recording ?? isRecording;
  return (
    <section className="recording-panel" aria-label="Recording">
      <h3>Recording {recordingNow ? <span className="badge recording">● Recording</span> : null}</h3>
      {canRecord ? (
        <button type="button" onClick={toggle} disabled={busy} className={recordingNow ? "danger" : "primary"}>
          {recordingNow ? "Stop recording" : "Start recording"}
        </button>
      ) : (
        <p className="muted small">Your role does not allow recording.</p>
      )}
      <ErrorNote message={error} />
      {recordings.length > 0 ? (
        <ul className="recordings">
          {recordings.map((recording) => (
            <li key={recording.id}>
              <span>
                {formatDateTime(recording.started_at)} · {formatDuration(recording.duration_ms)} ·{" "}
                {recording.events_count} events{recording.status === "recording" ? " · still recording" : ""}
              </span>
              <button type="button" className="link" onClick={() => setPlaying(recording)}>
                Play back
              </button>
            </li>
          ))}
        </ul>
      ) : (
        <p className="muted small">No recordings yet.</p>
      )}
      {playing ? <Playback sessionId={sessionId} recording={playing} onClose={() => setPlaying(null)} /> : null}
    </section>
  );
}

const STEP_MS = 100;
const PLAY_TICK_MS = 250;

/** A time slider over a recording and the chord sheet as it stood at that moment. */
function Playback({
  sessionId,
  recording,
  onClose,
}: {
  sessionId: string;
  recording: RecordingManifest;
  onClose: () => void;
}) {
  const { service } = useApp();
  const sentence = useErrorSentence();
  const [manifest, setManifest] = useState(recording);
  const [at, setAt] = useState(0);
  const [content, setContent] = useState<string>(recording.start_content);
  const [shownAt, setShownAt] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [autoplay, setAutoplay] = useState(false);
  const request = useRef(0);

  useEffect(() => {
    service.getRecording(sessionId, recording.id).then(setManifest, (caught) => setError(sentence(caught)));
  }, [service, sessionId, recording.id, sentence]);

  useEffect(() => {
    const ticket = ++request.current;
    const timer = setTimeout(() => {
      service.getSnapshot(sessionId, recording.id, at).then(
        (snapshot) => {
          if (ticket !== request.current) return;
          setContent(snapshot.content);
          setShownAt(at);
          setError(null);
        },
        (caught) => {
          if (ticket === request.current) setError(sentence(caught));
        },
      );
    }, 120);
    return () => clearTimeout(timer);
  }, [service, sessionId, recording.id, at, sentence]);

  // The slider moves in whole steps; its end reaches past the last event.
  const duration = Math.ceil(Math.max(manifest.duration_ms, 0) / STEP_MS) * STEP_MS;
  useEffect(() => {
    if (!autoplay) return;
    const timer = setInterval(() => {
      setAt((current) => {
        const next = Math.min(duration, current + PLAY_TICK_MS);
        if (next >= duration) setAutoplay(false);
        return next;
      });
    }, PLAY_TICK_MS);
    return () => clearInterval(timer);
  }, [autoplay, duration]);

  return (
    <section className="playback" aria-label="Playback">
      <header className="section-header">
        <h4>Playback of {formatDateTime(manifest.started_at)}</h4>
        <button type="button" className="link" onClick={onClose}>
          Close
        </button>
      </header>
      <div className="row">
        <button
          type="button"
          onClick={() => {
            if (at >= duration) setAt(0);
            setAutoplay(!autoplay);
          }}
        >
          {autoplay ? "Pause" : "Play"}
        </button>
        <input
          type="range"
          min={0}
          max={duration}
          step={STEP_MS}
          value={at}
          aria-label="Time in the recording"
          onChange={(e) => {
            setAutoplay(false);
            setAt(Number(e.target.value));
          }}
        />
        <span className="small" data-testid="playback-time">
          {formatDuration(at)} / {formatDuration(duration)}
        </span>
      </div>
      <ErrorNote message={error} />
      <pre className="playback-text" data-at={shownAt ?? ""}>
        {content}
      </pre>
    </section>
  );
}
