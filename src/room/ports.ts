/**
 * The narrow handles the session's modules are built on. Only the Durable Object (session-room.ts) touches the
 * runtime's `ctx` and `env`; it hands each module the few of these it needs, and a test builds a module on its own.
 */
import type { writeBackSession } from "../db/song-writes";
import type { OutgoingEmail } from "../domain/mime";
import type { ProjectionWriter } from "./projection";

/** The object's SQLite database: synchronous statements, and a transaction that commits them together. */
export interface SqlPort {
  sql: SqlStorage;
  transactionSync<T>(body: () => T): T;
}

/** The object's whole storage: its database, its one alarm, and emptying both (after the archive). */
export interface StoragePort extends SqlPort, AlarmPort {
  deleteAll(): Promise<void>;
}

/** Milliseconds since the epoch; tests move it forward. */
export type Clock = () => number;

/** The object's hibernatable WebSockets: accepted with tags, found again by tag after a wake. */
export interface SocketPort {
  getWebSockets(tag?: string): WebSocket[];
  acceptWebSocket(socket: WebSocket, tags: string[]): void;
}

/** The object's one alarm. */
export interface AlarmPort {
  setAlarm(at: number): Promise<void>;
  deleteAlarm(): Promise<void>;
}

/** Writes a session's changes back into its song in D1 (src/db/song-writes.ts). */
export type SongWriter = typeof writeBackSession;

/** What D1 is written through: the database, the session row's projection and the song's write-back. */
export interface D1Port {
  db: D1Database;
  writeProjection: ProjectionWriter;
  writeSong: SongWriter;
}

/** Sends one email; rejects when the mail service refuses it (src/room/invitation-mail.ts: `sendWithBinding`). */
export type EmailSender = (email: OutgoingEmail) => Promise<void>;

/** What invitation emails go through: the sender, the address they come from, and where their links point. */
export interface EmailPort {
  send: EmailSender;
  /** `EMAIL_FROM`: no email is sent without it. */
  from: string | null;
  /** `PUBLIC_URL`, the web app's address: no email is sent without it. */
  publicUrl: string | null;
}

/** Runs tasks of one kind one after another, so two flushes never write overlapping chunks. */
export class SerialQueue {
  private tail: Promise<void> = Promise.resolve();

  run(task: () => Promise<void>): Promise<void> {
    const next = this.tail.then(task, task);
    this.tail = next.catch(() => undefined);
    return next;
  }
}
