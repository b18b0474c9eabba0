/**
 * Builds a session's modules over the object's ports, lower ones first, and composes the schedule: every deadline,
 * every due step and what follows a change, in one place.
 */
import { ActivityLog } from "./activity-log";
import { Archiver } from "./archiver";
import { Comments } from "./comments";
import { InvitationMail } from "./invitation-mail";
import { Invitations } from "./invitations";
import { Lifecycle } from "./lifecycle";
import { MailQueue } from "./mail-queue";
import { Membership } from "./membership";
import { Outbox } from "./outbox";
import { Participants } from "./participants";
import type { Clock, D1Port, EmailPort, SocketPort, StoragePort } from "./ports";
import { Reads } from "./reads";
import { Realtime } from "./realtime";
import { Recorder } from "./recorder";
import type { LifecycleOutcome } from "./rpc-types";
import { Schedule } from "./schedule";
import { migrateRoom } from "./schema";
import { Sequencer } from "./sequencer";
import { SessionState } from "./session-state";
import { Sockets } from "./sockets";
import { SongSync } from "./song-sync";

export interface RoomPorts {
  storage: StoragePort;
  sockets: SocketPort;
  bucket: R2Bucket;
  d1: D1Port;
  email: EmailPort;
  clock: Clock;
  messagesPerSecond: number;
}

export interface RoomModules {
  state: SessionState;
  sequencer: Sequencer;
  participants: Participants;
  invitations: Invitations;
  mail: InvitationMail;
  membership: Membership;
  activity: ActivityLog;
  recorder: Recorder;
  comments: Comments;
  sockets: Sockets;
  lifecycle: Lifecycle;
  reads: Reads;
  songSync: SongSync;
  outbox: Outbox;
  schedule: Schedule;
  archiver: Archiver;
  realtime: Realtime;
  /** What the cleanup sweep asks of an object it thinks overdue: the alarm's work, and what it did. */
  sweep(): Promise<LifecycleOutcome>;
}

export function buildRoom(ports: RoomPorts): RoomModules {
  const state = new SessionState(ports.storage, ports.clock);
  const sequencer = new Sequencer(ports.storage, () => state.now());
  state.onForget(() => sequencer.forget());
  const participants = new Participants(state);
  const activity = new ActivityLog(state, ports.bucket);
  const sockets = new Sockets(ports.sockets);
  const mailQueue = new MailQueue(state);
  const invitations = new Invitations(state, participants, activity, mailQueue);
  const mail = new InvitationMail({
    state,
    participants,
    invitations,
    queue: mailQueue,
    email: ports.email,
    d1: ports.d1,
  });
  const recorder = new Recorder(state, sequencer, activity, ports.bucket);
  const comments = new Comments(state, sequencer, activity, recorder);
  const lifecycle = new Lifecycle(state, participants, sequencer, recorder, activity, sockets);
  const reads = new Reads(state, participants, sequencer, comments, recorder, activity, sockets);
  const songSync = new SongSync(state, sequencer, recorder, activity, sockets, ports.d1);
  const outbox = new Outbox(
    state,
    participants,
    invitations,
    lifecycle,
    recorder,
    activity,
    sockets,
    songSync,
    ports.d1,
  );
  const membership = new Membership({ state, participants, invitations, activity, recorder, sockets, reads });
  const archiver = new Archiver({
    state,
    lifecycle,
    outbox,
    activity,
    recorder,
    sequencer,
    participants,
    comments,
    reads,
    sockets,
    bucket: ports.bucket,
    wipe: async () => {
      await ports.storage.deleteAlarm();
      await ports.storage.deleteAll();
      // An empty schema, so later calls find no session (the Worker then serves the archive).
      migrateRoom(ports.storage.sql);
    },
  });
  const schedule = new Schedule(ports.storage, state, {
    deadlines: [
      () => {
        const session = state.sessionOrNull();
        return session && lifecycle.idleDeadlineMs(session);
      },
      () => {
        const session = state.sessionOrNull();
        return session && lifecycle.archiveDeadlineMs(session);
      },
      () => outbox.retryDeadline(),
      () => activity.flushDeadline(),
      () => songSync.autoSaveDeadline(),
      () => recorder.flushDeadline(),
      () => recorder.limitDeadline(),
      () => mail.deadline(),
    ],
    dueSteps: [
      ["idle end", () => endIfIdle()],
      ["recording limit", () => stopRecordingAtLimit()],
      ["auto-save", () => songSync.autoSaveIfDue()],
      ["projection", () => outbox.deliver()],
      ["activity", () => activity.flush(false)],
      ["recording", () => recorder.flush(false)],
      // Emails wait for the alarm: a change (an invitation) never waits for the mail service.
      ["emails", () => mail.sendDue()],
      ["archive", () => archiver.archiveIfDue()],
    ],
    afterChange: [() => outbox.deliver(), () => activity.flush(false), () => recorder.flush(false)],
  });
  const realtime = new Realtime({
    state,
    participants,
    sequencer,
    sockets,
    comments,
    recorder,
    lifecycle,
    reads,
    schedule,
    messagesPerSecond: ports.messagesPerSecond,
  });

  /** Ends a session nobody used for its idle timeout, and says so to the sockets. */
  function endIfIdle(): void {
    if (lifecycle.endIfIdle()) lifecycle.announceStatus();
  }

  /** Stops a recording that reached its maximum length, and says so to the sockets. */
  function stopRecordingAtLimit(): void {
    const stopped = state.transaction(() => {
      const recording = recorder.stopAtLimit();
      if (recording) state.enqueue("session");
      return recording;
    });
    if (stopped) sockets.broadcast({ type: "recording", is_recording: false, recording_id: stopped.id });
  }

  async function sweep(): Promise<LifecycleOutcome> {
    const before = state.sessionOrNull()?.status;
    await schedule.runDue();
    const after = state.sessionOrNull()?.status ?? "archived";
    if (after === before && before) {
      // Nothing was due: D1's deadline was stale, so give it the object's truth.
      state.enqueue("session");
      await schedule.settle();
    }
    return {
      ended: (before === "active" || before === "paused") && after !== before,
      archived: before !== undefined && before !== "archived" && after === "archived",
    };
  }

  return {
    sweep,
    state,
    sequencer,
    participants,
    invitations,
    mail,
    membership,
    activity,
    recorder,
    comments,
    sockets,
    lifecycle,
    reads,
    songSync,
    outbox,
    schedule,
    archiver,
    realtime,
  };
}
