/**
 * The one alarm, over a real object's storage: set to the earliest deadline, written only when it changes, and the
 * due steps run in order, a failing one retried later without holding back the rest.
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { resolveSessionConfig } from "../../src/domain/templates";
import type { AlarmPort } from "../../src/room/ports";
import { Schedule, type ScheduleParts } from "../../src/room/schedule";
import { SessionState } from "../../src/room/session-state";

const NOW = Date.parse("2026-06-01T12:00:00Z");

/** A schedule over a fresh object's storage holding one session row, with an alarm that notes what it is set to. */
async function withSchedule(parts: Partial<ScheduleParts>, body: (schedule: Schedule, alarm: AlarmLog) => unknown) {
  const stub = env.SESSION_ROOM.get(env.SESSION_ROOM.newUniqueId());
  await runInDurableObject(stub, async (_room, storage) => {
    const state = new SessionState(storage.storage, () => NOW);
    state.insert(
      {
        id: crypto.randomUUID(),
        song_id: 1,
        song_content: "",
        template_id: null,
        name: "Practice",
        description: null,
        access_mode: "invite-only",
        config: resolveSessionConfig(null, {}),
      },
      "owner",
      null,
    );
    const alarm = new AlarmLog();
    const schedule = new Schedule(alarm, state, { deadlines: [], dueSteps: [], afterChange: [], ...parts });
    await body(schedule, alarm);
  });
}

class AlarmLog implements AlarmPort {
  readonly writes: (number | null)[] = [];
  async setAlarm(at: number) {
    this.writes.push(at);
  }
  async deleteAlarm() {
    this.writes.push(null);
  }
}

describe("schedule", () => {
  it("sets the alarm to the earliest deadline, and writes it only when it changes", async () => {
    let auto: number | null = NOW + 60_000;
    await withSchedule({ deadlines: [() => NOW + 3_600_000, () => auto, () => null] }, (schedule, alarm) => {
      schedule.arm();
      schedule.arm();
      expect(alarm.writes).toEqual([NOW + 60_000]);
      auto = null;
      schedule.arm();
      expect(alarm.writes).toEqual([NOW + 60_000, NOW + 3_600_000]);
    });
  });

  it("deletes the alarm when nothing is due", async () => {
    await withSchedule({ deadlines: [() => null] }, (schedule, alarm) => {
      schedule.arm();
      expect(alarm.writes).toEqual([null]);
    });
  });

  it("re-arms after an op only when the alarm could ring later than the op's nearest deadline", async () => {
    await withSchedule({ deadlines: [() => NOW + 30_000] }, (schedule, alarm) => {
      schedule.arm();
      schedule.armBy(NOW + 60_000);
      expect(alarm.writes).toEqual([NOW + 30_000]);
      schedule.rang();
      schedule.armBy(NOW + 60_000);
      expect(alarm.writes).toEqual([NOW + 30_000, NOW + 30_000]);
    });
  });

  it("runs every due step in order; a failing one is retried in 30 s without holding back the others", async () => {
    const ran: string[] = [];
    const quiet = vi.spyOn(console, "error").mockImplementation(() => undefined);
    await withSchedule(
      {
        deadlines: [() => NOW + 3_600_000],
        dueSteps: [
          ["first", () => ran.push("first")],
          [
            "broken",
            () => {
              throw new Error("D1 is away");
            },
          ],
          ["last", async () => ran.push("last")],
        ],
      },
      async (schedule, alarm) => {
        await schedule.runDue();
        expect(ran).toEqual(["first", "last"]);
        expect(alarm.writes).toEqual([NOW + 30_000]);
      },
    );
    expect(quiet).toHaveBeenCalledOnce();
    quiet.mockRestore();
  });

  it("after a change, runs what follows it in order before re-arming", async () => {
    const ran: string[] = [];
    await withSchedule(
      {
        deadlines: [() => NOW + 1_000],
        afterChange: [async () => void ran.push("outbox"), async () => void ran.push("activity")],
      },
      async (schedule, alarm) => {
        await schedule.settle();
        expect(ran).toEqual(["outbox", "activity"]);
        expect(alarm.writes).toEqual([NOW + 1_000]);
      },
    );
  });
});
