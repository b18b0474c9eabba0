import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { expect, it } from "vitest";
import { gunzip, parseNdjson } from "../src/room/compression";
import type { SessionRoom } from "../src/room/session-room";
import { api, createSession, newUser } from "./helpers";

it("appends the activity log to R2 as a few gzip NDJSON chunks, in order", async () => {
  const owner = await newUser("owner");
  const session = await createSession(owner, { access_mode: "public", max_participants: 50 });
  const fans = await Promise.all(Array.from({ length: 45 }, () => newUser("fan")));
  for (const fan of fans) {
    expect((await api("POST", `/sessions/${session.id}/join`, { user: fan })).status).toBe(200);
    expect((await api("POST", `/sessions/${session.id}/leave`, { user: fan })).status).toBe(200);
  }
  // 1 session_created + 45 joins + 45 leaves = 91 events: one chunk of 50 went out as soon as 50 waited.
  const prefix = `sessions/${session.id}/activity/`;
  const early = await env.BUCKET.list({ prefix });
  expect(early.objects).toHaveLength(1);

  // The rest goes out when the oldest waiting event is a minute old: the alarm's job.
  const stub = env.SESSION_ROOM.get(env.SESSION_ROOM.idFromName(session.id));
  await runInDurableObject(stub, (instance) => {
    const room = instance as SessionRoom;
    room.clock = () => Date.now() + 61_000;
  });
  expect(await runDurableObjectAlarm(stub)).toBe(true);

  const listing = await env.BUCKET.list({ prefix });
  expect(listing.objects).toHaveLength(2);
  const events: { id: number; type: string; user_id: string | null }[] = [];
  for (const object of listing.objects) {
    expect(object.key).toMatch(/\/activity\/\d{12}-\d{12}\.ndjson\.gz$/);
    const body = await env.BUCKET.get(object.key);
    const bytes = new Uint8Array(await body!.arrayBuffer());
    expect([bytes[0], bytes[1]]).toEqual([0x1f, 0x8b]); // gzip magic
    events.push(...parseNdjson<(typeof events)[number]>(await gunzip(bytes.buffer)));
  }
  expect(events).toHaveLength(91);
  expect(events.map((event) => event.id)).toEqual(Array.from({ length: 91 }, (_, index) => index + 1));
  expect(events[0]!.type).toBe("session_created");
  expect(events[1]).toMatchObject({ type: "user_joined", user_id: fans[0]!.id });
  expect(events[2]).toMatchObject({ type: "user_left", user_id: fans[0]!.id });
  expect(events[90]).toMatchObject({ type: "user_left", user_id: fans[44]!.id });
});
