/**
 * The object's one alarm: set to the earliest deadline any module has, and when it rings (or after a change), the
 * due steps run in a fixed order. Each step is idempotent; one that fails is retried later without redoing the rest.
 */
import type { AlarmPort } from "./ports";
import type { SessionState } from "./session-state";

/** How long a failed step waits before the alarm tries it again. */
const STEP_RETRY_MS = 30_000;

export interface ScheduleParts {
  /** Each module's next deadline (ms), or null when it has none. */
  deadlines: (() => number | null)[];
  /** What the alarm runs, in order, with names for the log. */
  dueSteps: [string, () => unknown][];
  /** What a change is followed by before its caller is answered (the outbox, flushes). */
  afterChange: (() => Promise<void>)[];
}

export class Schedule {
  /** The deadline the alarm is set for, so unchanged deadlines are not written again. */
  private armedFor: number | null | undefined;

  constructor(
    private readonly alarm: AlarmPort,
    private readonly state: SessionState,
    private readonly parts: ScheduleParts,
  ) {
    state.onForget(() => (this.armedFor = undefined));
  }

  /** The runtime cleared the alarm that woke the object. */
  rang(): void {
    this.armedFor = undefined;
  }

  /** Sets the one alarm to the earliest pending deadline (or `retryAt`, when sooner). */
  arm(retryAt?: number): void {
    if (!this.state.sessionOrNull()) return;
    const deadlines = retryAt === undefined ? [] : [retryAt];
    for (const deadline of this.parts.deadlines) {
      const at = deadline();
      if (at !== null) deadlines.push(at);
    }
    const next = deadlines.length ? Math.min(...deadlines) : null;
    if (next === this.armedFor) return;
    this.armedFor = next;
    if (next === null) void this.alarm.deleteAlarm();
    else void this.alarm.setAlarm(next);
  }

  /** Re-arms only when the alarm could ring later than `at`: the hot path's cheap check after an op. */
  armBy(at: number): void {
    if (this.armedFor == null || this.armedFor > at) this.arm();
  }

  /** Runs every due step, then re-arms (sooner, when a step failed). */
  async runDue(): Promise<void> {
    let failed = false;
    for (const [name, step] of this.parts.dueSteps) {
      try {
        await step();
      } catch (error) {
        failed = true;
        console.error(`session step '${name}' failed; retrying later`, error);
      }
    }
    this.arm(failed ? this.state.clock() + STEP_RETRY_MS : undefined);
  }

  /** Delivers and flushes what a change left pending, then re-arms; callers wait, so listings show the change. */
  async settle(): Promise<void> {
    for (const step of this.parts.afterChange) await step();
    this.arm();
  }
}
