import {
  type Participant,
  type RecordingManifest,
  type RecordingStatus,
  SessionApiError,
} from "chordme-sessions/client";
import { lazy, useCallback, useEffect, useState } from "react";
import { useApp, useErrorSentence } from "../lib/app";
import { formatDateTime, formatDuration } from "../lib/format";
import { ErrorNote } from "./common";
import { LazyPart } from "./LazyPart";

// The player loads when a recording is first played back.
const Playback = lazy(() => import("./Playback").then((module) => ({ default: module.Playback })));

interface RecordingPanelProps {
  sessionId: string;
  canRecord: boolean;
  /** The live recording flag from the session connection; changes trigger a reload. */
  isRecording: boolean;
  /** Names for the people in the recording's events. */
  participants: readonly Participant[];
  /** Names of people seen on this page who may have left since. */
  knownNames: ReadonlyMap<string, string>;
}

/** Recording controls, the session's recordings, and playback of one of them. */
export function RecordingPanel({ sessionId, canRecord, isRecording, participants, knownNames }: RecordingPanelProps) {
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
      {playing ? (
        <LazyPart label="Opening the player…">
          <Playback
            key={playing.id}
            sessionId={sessionId}
            recording={playing}
            participants={participants}
            knownNames={knownNames}
            onClose={() => setPlaying(null)}
          />
        </LazyPart>
      ) : null}
    </section>
  );
}
