/**
 * The performance view: the session's live text read as a chord sheet, with each reader's own transposition, capo,
 * text size, stage mode and auto-scroll (kept per session in their browser), and the leader's line. The leader is the
 * session's owner, or the participant the owner hands the lead to (carried by the owner's presence); their line is
 * the line of their caret, carried by presence like everyone's: followers see it lit up and kept in view until they
 * scroll by hand, and the leader moves it from the editor or from here.
 */
import type { Cursor, Participant, PresenceState, RealtimeSession } from "chordme-sessions/client";
import { type CSSProperties, useCallback, useEffect, useMemo, useRef, useState } from "react";
import { useApp } from "../lib/app";
import { firstChord, nearestShownLine, parseChordPro, shownLines } from "../lib/chordpro";
import { keyFromChord, transposeKey, transposer } from "../lib/chords";
import { lineOfCodePoint, lineStart } from "../lib/perform";
import { useAutoScroll, usePerformSettings, useScrolledByHand, useStageMode } from "../lib/perform-hooks";
import { shiftPosition } from "../lib/text";
import { ChordSheet } from "./ChordSheet";
import { PerformBar, ReadingControls } from "./PerformControls";

interface PerformanceViewProps {
  realtime: RealtimeSession;
  sessionId: string;
  /** The session's owner: the leader everyone follows, unless they hand the lead to someone else. */
  ownerId: string;
  participants: readonly Participant[];
  presence: ReadonlyMap<string, PresenceState>;
  /** This user's selection in the editor (code points): the owner's shared line until they share another here. */
  selection: Cursor | null;
  /** The title when the song has no {title}. */
  fallbackTitle: string;
}

const scrollBehavior = (): ScrollBehavior =>
  window.matchMedia("(prefers-reduced-motion: reduce)").matches ? "auto" : "smooth";

export function PerformanceView({
  realtime,
  sessionId,
  ownerId,
  participants,
  presence,
  selection,
  fallbackTitle,
}: PerformanceViewProps) {
  const { user } = useApp();
  const isOwner = user.id === ownerId;
  const [handedTo, setHandedTo] = useState<string | null>(realtime.lead);
  const [settings, update] = usePerformSettings(sessionId);
  const [text, setText] = useState(realtime.text);
  const [ownHead, setOwnHead] = useState<number | null>(selection?.head ?? null);
  const [paused, setPaused] = useState(false);
  const [scrolling, setScrolling] = useState(false);
  const sheetRef = useRef<HTMLDivElement>(null);

  useEffect(() => {
    if (selection) setOwnHead(selection.head);
  }, [selection]);

  useEffect(() => {
    setText(realtime.text);
    const offText = realtime.on("text", (event) => {
      setText(event.text);
      // The owner's shared caret moves with the text others change around it, as their editor's does.
      if (event.origin === "remote") setOwnHead((head) => (head === null ? null : shiftPosition(head, event.op)));
    });
    const offStatus = realtime.on("status", (event) => {
      if (event.status === "connected") setText(realtime.text);
    });
    return () => {
      offText();
      offStatus();
    };
  }, [realtime]);

  const song = useMemo(() => parseChordPro(text), [text]);
  const lines = useMemo(() => shownLines(song), [song]);
  const songKey = song.key ?? keyFromChord(firstChord(song) ?? "");
  const { transpose, capo } = settings;
  const shown = useMemo(() => transposer(songKey, transpose - capo), [songKey, transpose, capo]);
  const soundingKey = songKey ? (transposeKey(songKey, transpose) ?? (transpose === 0 ? songKey : null)) : null;

  // The lead: whom the owner handed it to (their own choice, or read from their presence), while that person is in.
  const ownerState = presence.get(ownerId);
  const handed = isOwner ? handedTo : ownerState?.online !== false ? (ownerState?.lead ?? null) : null;
  const inSession = (id: string) =>
    participants.some((participant) => participant.user_id === id && participant.status === "active");
  const leadId = handed !== null && inSession(handed) ? handed : ownerId;
  const isLeader = user.id === leadId;

  // The person the owner handed the lead to has left: the server has let it lapse, and so does the owner's page.
  useEffect(() => {
    if (isOwner && handedTo !== null && handedTo !== leadId) {
      realtime.handLead(null);
      setHandedTo(null);
    }
  }, [isOwner, handedTo, leadId, realtime]);
  const leaderState = presence.get(leadId);
  const leaderHead = isLeader
    ? ownHead
    : leaderState && leaderState.online !== false
      ? (leaderState.cursor?.head ?? null)
      : null;
  const leaderLine = leaderHead === null ? null : nearestShownLine(song, lineOfCodePoint(text, leaderHead));
  const nameOf = (id: string) => participants.find((participant) => participant.user_id === id)?.display_name;
  const leaderName = nameOf(leadId) ?? "The leader";
  const following = !isLeader && (settings.follow ?? true);

  useEffect(() => {
    if (!following || paused || leaderLine === null) return;
    const element = sheetRef.current?.querySelector(`[data-line="${leaderLine}"]`);
    element?.scrollIntoView({ behavior: scrollBehavior(), block: "center" });
  }, [following, paused, leaderLine]);

  useScrolledByHand(following && !paused, () => setPaused(true));
  useAutoScroll(scrolling, settings.scrollSpeed, () => setScrolling(false));
  useStageMode(settings.stage);

  const share = useCallback(
    (line: number) => {
      const at = lineStart(realtime.text, line);
      realtime.setPresence({ anchor: at, head: at }, "active");
      setOwnHead(at);
    },
    [realtime],
  );
  const index = leaderLine === null ? -1 : lines.indexOf(leaderLine);
  const previous = lines[index - 1];
  const next = lines[index + 1];

  const handedToYou = isLeader && !isOwner ? `${nameOf(ownerId) ?? "The session's owner"} handed you the lead. ` : "";
  const status = isLeader
    ? leaderLine === null
      ? `${handedToYou}Pick a line to share it: everyone following sees it.`
      : `${handedToYou}You are sharing line ${leaderLine + 1} with the band.`
    : leaderLine === null
      ? `${leaderName} is not sharing a line right now.`
      : `${leaderName} is on line ${leaderLine + 1}${following && paused ? " · following paused while you scroll" : ""}.`;

  const byline = [...song.artists, ...song.subtitles].join(" · ");
  const capoNote = capo > 0 ? `${capo} (${shown.key ?? "as"} shapes)` : song.capo ? String(song.capo) : null;

  return (
    <article className={`performance${settings.stage ? " stage" : ""}`} aria-labelledby="perform-title">
      <header className="perform-header">
        <h2 id="perform-title">{song.title ?? fallbackTitle}</h2>
        {byline ? <p className="perform-byline">{byline}</p> : null}
        <dl className="perform-meta">
          {soundingKey ? (
            <div>
              <dt>Key</dt>
              <dd data-testid="perform-key">
                {soundingKey}
                {transpose !== 0 && songKey ? ` (written ${songKey})` : ""}
              </dd>
            </div>
          ) : null}
          {capoNote ? (
            <div>
              <dt>Capo</dt>
              <dd>{capoNote}</dd>
            </div>
          ) : null}
          {song.tempo ? (
            <div>
              <dt>Tempo</dt>
              <dd>{song.tempo}</dd>
            </div>
          ) : null}
          {song.time ? (
            <div>
              <dt>Time</dt>
              <dd>{song.time}</dd>
            </div>
          ) : null}
        </dl>
      </header>
      <ReadingControls settings={settings} update={update} soundingKey={soundingKey} shapesKey={shown.key} />
      <div
        className="perform-sheet"
        ref={sheetRef}
        style={{ "--sheet-size": `${settings.fontSize}%` } as CSSProperties}
      >
        <ChordSheet song={song} chord={shown.chord} leaderLine={leaderLine} onShare={isLeader ? share : undefined} />
      </div>
      <PerformBar
        status={status}
        follow={
          isLeader
            ? null
            : {
                on: following,
                paused,
                onChange: (on) => {
                  update({ follow: on });
                  setPaused(false);
                },
                onResume: () => {
                  setScrolling(false);
                  setPaused(false);
                },
              }
        }
        share={
          isLeader
            ? {
                onPrevious: previous === undefined ? null : () => share(previous),
                onNext: next === undefined ? null : () => share(next),
              }
            : null
        }
        lead={
          isOwner
            ? {
                value: leadId,
                choices: participants
                  .filter((participant) => participant.status === "active")
                  .map((participant) => ({
                    id: participant.user_id,
                    name:
                      participant.user_id === user.id ? `${participant.display_name} (you)` : participant.display_name,
                  })),
                onChange: (id) => {
                  realtime.handLead(id === user.id ? null : id);
                  setHandedTo(realtime.lead);
                },
              }
            : null
        }
        scroll={{
          running: scrolling,
          onToggle: () => {
            // Scrolling by itself and following would pull the page two ways: scrolling wins until "Resume".
            if (!scrolling && following) setPaused(true);
            setScrolling(!scrolling);
          },
          speed: settings.scrollSpeed,
          onSpeed: (speed) => update({ scrollSpeed: speed }),
        }}
      />
    </article>
  );
}
