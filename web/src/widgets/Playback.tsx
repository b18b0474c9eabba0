import type { Participant, RecordingEvent, RecordingManifest } from "chordme-sessions/client";
import { useEffect, useMemo, useRef, useState } from "react";
import { useApp, useErrorSentence } from "../lib/app";
import { formatDateTime, formatDuration } from "../lib/format";
import { type MomentState, stateAt, type TimelineEntry, timelineOf } from "../lib/playback";
import { lineAndColumn } from "../lib/text";
import { ROLE_LABELS } from "../lib/words";
import { ErrorNote } from "./common";

const STEP_MS = 100;
const PLAY_TICK_MS = 250;

interface PlaybackProps {
  sessionId: string;
  recording: RecordingManifest;
  /** Names for the people in the events; anyone the page never saw shows as their user id. */
  participants: readonly Participant[];
  /** Names of people seen on the page who may have left since. */
  knownNames: ReadonlyMap<string, string>;
  onClose: () => void;
}

/**
 * A time slider over a recording: the chord sheet as it stood at that moment, who was there and where, and
 * everything that happened (joins, leaves, role changes, removals, comments, status changes) at its moment.
 */
export function Playback({ sessionId, recording, participants, knownNames, onClose }: PlaybackProps) {
  const { service, user } = useApp();
  const sentence = useErrorSentence();
  const [manifest, setManifest] = useState(recording);
  const [events, setEvents] = useState<RecordingEvent[] | null>(null);
  const [at, setAt] = useState(0);
  const [content, setContent] = useState<string>(recording.start_content);
  const [shownAt, setShownAt] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [autoplay, setAutoplay] = useState(false);
  const request = useRef(0);

  useEffect(() => {
    service.getRecording(sessionId, recording.id).then(setManifest, (caught) => setError(sentence(caught)));
    service.getRecordingEvents(sessionId, recording.id).then(setEvents, (caught) => {
      setEvents([]);
      setError(sentence(caught));
    });
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

  const names = useMemo(() => {
    const byId = new Map(knownNames);
    for (const participant of participants) byId.set(participant.user_id, participant.display_name);
    byId.set(user.id, byId.get(user.id) ?? user.name);
    return byId;
  }, [participants, knownNames, user]);
  const nameOf = (userId: string | null) => (userId ? (names.get(userId) ?? userId) : "Someone");
  // biome-ignore lint/correctness/useExhaustiveDependencies: nameOf only reads names.
  const timeline = useMemo(() => timelineOf(events ?? [], nameOf), [events, names]);
  const moment = useMemo(() => stateAt(events ?? [], at), [events, at]);

  /** To an event's exact moment (the slider shows the nearest step; the sheet and "at this moment" use the exact one). */
  function seek(t: number) {
    setAutoplay(false);
    setAt(Math.min(duration, t));
  }

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
          aria-valuetext={`${clock(at)} of ${clock(duration)}`}
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
      <Moment moment={moment} content={content} nameOf={nameOf} participants={participants} />
      <Timeline entries={timeline} at={at} loading={events === null} onSeek={seek} />
    </section>
  );
}

/** Who was there at the slider's moment, with which role and where in the sheet; what had been said. */
function Moment({
  moment,
  content,
  nameOf,
  participants,
}: {
  moment: MomentState;
  content: string;
  nameOf: (userId: string | null) => string;
  participants: readonly Participant[];
}) {
  const roleNow = new Map(participants.map((participant) => [participant.user_id, participant.role]));
  const where = new Map(moment.presence.map((entry) => [entry.userId, entry]));
  const lastComment = moment.comments[moment.comments.length - 1];
  return (
    <section className="playback-moment" aria-label="At this moment">
      <h5>At this moment</h5>
      <p className="small" data-testid="moment-counts">
        {moment.edits} {moment.edits === 1 ? "edit" : "edits"} · {moment.comments.length}{" "}
        {moment.comments.length === 1 ? "comment" : "comments"} so far
        {moment.status ? ` · session ${moment.status}` : ""}
      </p>
      {moment.people.length > 0 ? (
        <ul className="small" aria-label="People in the recording">
          {moment.people.map(({ userId, role }) => {
            const shownRole = role ?? roleNow.get(userId) ?? null;
            const presence = where.get(userId);
            const position = presence?.cursor ? lineAndColumn(content, presence.cursor.head) : null;
            return (
              <li key={userId}>
                {nameOf(userId)}
                {shownRole ? ` (${ROLE_LABELS[shownRole].toLowerCase()})` : ""}
                {position ? ` — line ${position.line}, column ${position.column}` : ""}
                {presence?.status ? ` · ${presence.status}` : ""}
              </li>
            );
          })}
        </ul>
      ) : (
        <p className="muted small">Nobody has shown up in the recording yet.</p>
      )}
      {lastComment ? (
        <p className="small">
          Latest comment, from {nameOf(lastComment.userId)}: “{lastComment.text}”
        </p>
      ) : null}
    </section>
  );
}

/** Everything that happened besides edits, in order; the ones before the slider's moment are marked as past. */
function Timeline({
  entries,
  at,
  loading,
  onSeek,
}: {
  entries: TimelineEntry[];
  at: number;
  loading: boolean;
  onSeek: (t: number) => void;
}) {
  if (loading) return <p className="muted small">Loading what happened…</p>;
  if (entries.length === 0) return <p className="muted small">Only edits were recorded.</p>;
  const lastPast = entries.reduce((found, entry, index) => (entry.t <= at ? index : found), -1);
  return (
    <ol className="playback-events" aria-label="What happened">
      {entries.map((entry, index) => (
        <li
          // biome-ignore lint/suspicious/noArrayIndexKey: events keep their order; two can share a moment.
          key={`${entry.t}-${index}`}
          className={`${entry.t <= at ? "past" : "future"} event-${entry.kind}${entry.private ? " private" : ""}`}
          data-t={entry.t}
          aria-current={index === lastPast ? "time" : undefined}
        >
          <button type="button" className="link time" onClick={() => onSeek(entry.t)}>
            <span className="visually-hidden">Go to </span>
            {formatDuration(entry.t)}
          </button>
          <span>{entry.text}</span>
        </li>
      ))}
    </ol>
  );
}

/** m:ss, as a slider's value is read out: "1:23 of 4:56". */
function clock(ms: number): string {
  const total = Math.floor(Math.max(0, ms) / 1000);
  return `${Math.floor(total / 60)}:${String(total % 60).padStart(2, "0")}`;
}
