/** Recordings: the manifest and event shapes, and rebuilding the text at a moment from them. */
import { applyOp, type TextOp } from "./ot";

export interface RecordingEvent {
  /** Milliseconds from the start of the recording. */
  t: number;
  at: string;
  type: string;
  user_id: string | null;
  data: unknown;
  /** A private event (a role change, a removal): see `visibleTo`. */
  private?: true;
}

/** Who reads a recording: private events reach those who may see private activity, and the person they are about. */
export interface RecordingReader {
  user_id: string;
  sees_private: boolean;
}

/** A recording as one reader may play it: chunks 1..chunks_count are in R2, `tail` holds what follows them. */
export interface RecordingPlayback {
  manifest: RecordingManifest;
  tail: RecordingEvent[];
  reader: RecordingReader;
}

export function visibleTo(event: RecordingEvent, reader: RecordingReader): boolean {
  if (!event.private || reader.sees_private) return true;
  return (event.data as { user_id?: unknown } | null)?.user_id === reader.user_id;
}

export interface RecordingManifest {
  id: string;
  session_id: string;
  status: "recording" | "stopped";
  started_at: string;
  stopped_at: string | null;
  started_by: string;
  duration_ms: number;
  events_count: number;
  chunks_count: number;
  start_rev: number;
  start_content: string;
}

export interface RecordingStatus {
  is_recording: boolean;
  recording_id?: string;
  started_at?: string;
  events_count: number;
  duration_ms: number;
}

/** The text as it stood `atMs` into the recording: the start text with every op up to then applied. */
export function textAt(
  manifest: Pick<RecordingManifest, "start_rev" | "start_content">,
  events: Iterable<RecordingEvent>,
  atMs: number,
): { rev: number; content: string } {
  let rev = manifest.start_rev;
  let content = manifest.start_content;
  for (const event of events) {
    if (event.t > atMs) break;
    if (event.type !== "op") continue;
    const data = event.data as { rev: number; op: TextOp };
    content = applyOp(content, data.op);
    rev = data.rev;
  }
  return { rev, content };
}

export function chunkKey(sessionId: string, recordingId: string, chunk: number): string {
  return `sessions/${sessionId}/recordings/${recordingId}/chunks/${String(chunk).padStart(6, "0")}.ndjson.gz`;
}

export function manifestKey(sessionId: string, recordingId: string): string {
  return `sessions/${sessionId}/recordings/${recordingId}/manifest.json`;
}
