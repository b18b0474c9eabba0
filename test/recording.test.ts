import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { gunzip, parseNdjson } from "../src/room/compression";
import { migrateRoom, ROOM_MIGRATIONS } from "../src/room/schema";
import { api, createSession, newUser, type TestUser } from "./helpers";
import { connect } from "./socket-helpers";

const BAND_PRACTICE = 1;

async function events(user: TestUser, sessionId: string, recordingId: string, query = "") {
  const response = await api("GET", `/sessions/${sessionId}/recordings/${recordingId}/events${query}`, { user });
  expect(response.status).toBe(200);
  expect(response.headers.get("Content-Type")).toMatch(/^application\/x-ndjson/);
  return parseNdjson<{ t: number; at: string; type: string; user_id: string | null; data: any }>(
    response.body as string,
  );
}

describe("recording a session", () => {
  it("captures a scripted session in order and plays the text back at any moment", async () => {
    const owner = await newUser("owner");
    const editor = await newUser("editor");
    const commenter = await newUser("commenter");
    const start = "[G]Yesterday";
    const song = await api("POST", "/songs", { user: owner, body: { title: "Yesterday", content: start } });
    const session = await createSession(owner, { song_id: song.body.data.id, template_id: BAND_PRACTICE });
    expect(session.is_recording).toBe(true);
    await api("POST", `/sessions/${session.id}/invite`, {
      user: owner,
      body: {
        users: [
          { user_id: editor.id, role: "editor" },
          { user_id: commenter.id, role: "commenter" },
        ],
      },
    });
    await api("POST", `/sessions/${session.id}/join`, { user: editor });
    await api("POST", `/sessions/${session.id}/join`, { user: commenter });

    const status = await api("GET", `/sessions/${session.id}/recording/status`, { user: commenter });
    expect(status.body.data.is_recording).toBe(true);
    const recordingId = status.body.data.recording_id;

    const e = await connect(editor, session.id);
    await e.next("welcome");
    const c = await connect(commenter, session.id);
    await c.next("welcome");
    // The text after each revision, known here independently of the server.
    const expectedAt = new Map<number, string>([[0, start]]);
    let text = start;
    const words = ["All ", "my ", "troubles ", "seemed ", "so ", "far ", "away "];
    for (const [index, word] of words.entries()) {
      const position = [...text].length;
      e.send({ type: "op", seq: index + 1, rev: index, op: [position, word] });
      const ack = await e.next("ack");
      text += word;
      expectedAt.set(ack.rev, text);
      if (index === 2) {
        c.send({ type: "comment", text: "Nice line", anchor: { from: 0, to: 3 } });
        await c.next("comment");
      }
    }
    await api("PATCH", `/sessions/${session.id}/participants/${commenter.id}`, {
      user: owner,
      body: { role: "viewer" },
    });
    e.send({ type: "op", seq: 8, rev: 7, op: [3, { d: 9 }] });
    expect(await e.next("ack")).toMatchObject({ rev: 8 });
    text = [...text].slice(0, 3).join("") + [...text].slice(12).join("");
    expectedAt.set(8, text);

    const stopped = await api("POST", `/sessions/${session.id}/recording/stop`, { user: owner });
    expect(stopped.status).toBe(200);
    expect(stopped.body.data).toMatchObject({ is_recording: false, recording_id: recordingId });
    expect((await api("POST", `/sessions/${session.id}/recording/stop`, { user: owner })).status).toBe(409);

    const stream = await events(owner, session.id, recordingId);
    const types = stream.map((event) => event.type);
    expect(types.filter((type) => type === "op")).toHaveLength(8);
    expect(types.filter((type) => type === "user_joined")).toHaveLength(2);
    expect(types.filter((type) => type === "comment")).toHaveLength(1);
    expect(types.filter((type) => type === "role_changed")).toHaveLength(1);
    expect(types.indexOf("user_joined")).toBeLessThan(types.indexOf("op"));
    expect(types.indexOf("comment")).toBeLessThan(types.indexOf("role_changed"));
    // Each event sits exactly between the ops it happened between.
    const lastRevBefore = (type: string) =>
      stream
        .slice(0, types.indexOf(type))
        .filter((event) => event.type === "op")
        .at(-1)?.data.rev;
    expect(lastRevBefore("comment")).toBe(3);
    expect(lastRevBefore("role_changed")).toBe(7);
    for (let index = 1; index < stream.length; index += 1)
      expect(stream[index]!.t).toBeGreaterThanOrEqual(stream[index - 1]!.t);
    const ops = stream.filter((event) => event.type === "op");
    expect(ops.map((event) => event.data.rev)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(ops[0]).toMatchObject({ user_id: editor.id, data: { op: [12, "All "] } });

    // The text at each op's moment is the text at the last revision made by then.
    for (const op of ops) {
      const lastRevThen = Math.max(...ops.filter((other) => other.t <= op.t).map((other) => other.data.rev));
      const snapshot = await api("GET", `/sessions/${session.id}/recordings/${recordingId}/snapshot?at_ms=${op.t}`, {
        user: commenter,
      });
      expect(snapshot.body.data).toEqual({ rev: lastRevThen, content: expectedAt.get(lastRevThen), at_ms: op.t });
    }
    const atStart = await api("GET", `/sessions/${session.id}/recordings/${recordingId}/snapshot?at_ms=0`, {
      user: owner,
    });
    expect(atStart.body.data).toMatchObject({ rev: 0, content: start });

    const window = await events(owner, session.id, recordingId, `?from_ms=${ops[2]!.t}&to_ms=${ops[4]!.t}`);
    expect(window.every((event) => event.t >= ops[2]!.t && event.t <= ops[4]!.t)).toBe(true);
    expect(window.filter((event) => event.type === "op").map((event) => event.data.rev)).toEqual(
      ops.filter((op) => op.t >= ops[2]!.t && op.t <= ops[4]!.t).map((op) => op.data.rev),
    );

    const manifest = await api("GET", `/sessions/${session.id}/recordings/${recordingId}`, { user: owner });
    expect(manifest.body.data).toMatchObject({
      id: recordingId,
      session_id: session.id,
      status: "stopped",
      started_by: owner.id,
      events_count: stream.length,
      chunks_count: 1,
      start_rev: 0,
      start_content: start,
    });
    const r2Manifest = await env.BUCKET.get(`sessions/${session.id}/recordings/${recordingId}/manifest.json`);
    expect(JSON.parse(await r2Manifest!.text())).toMatchObject({ status: "stopped", events_count: stream.length });

    const stats = await api("GET", `/sessions/${session.id}/stats`, { user: owner });
    expect(stats.body.data).toMatchObject({
      participants: { total: 3, active: 3, online: 2, peak_online: 2 },
      edits: { total: 8, by_user: { [editor.id]: 8 } },
      comments: 1,
      recordings: { count: 1, events: stream.length },
    });
    const health = await api("GET", `/sessions/${session.id}/health`, { user: owner });
    const points = Object.fromEntries(health.body.data.factors.map((factor: any) => [factor.name, factor.points]));
    // 3 of 8 places (0.375 → 10), 2 of 3 online (20), active now (25), 2 of 3 contributed (15),
    // 8 edits this hour (4), a comment (5), recorded (5).
    expect(points).toEqual({
      participation: 10,
      online: 20,
      recency: 25,
      contributors: 15,
      edits: 4,
      conversation: 5,
      recording: 5,
    });
    expect(health.body.data).toMatchObject({ score: 84, level: "excellent" });
  });

  it("writes few chunks, each valid gzip NDJSON, and loses no acknowledged event when the object dies", async () => {
    const { abortAllDurableObjects } = await import("cloudflare:test");
    const owner = await newUser("owner");
    const session = await createSession(owner);
    const started = await api("POST", `/sessions/${session.id}/recording/start`, { user: owner });
    expect(started.status).toBe(200);
    const recordingId = started.body.data.recording_id;
    expect((await api("POST", `/sessions/${session.id}/recording/start`, { user: owner })).status).toBe(409);

    const socket = await connect(owner, session.id);
    await socket.next("welcome");
    const total = 2_300;
    // One op in flight at a time, as the protocol's clients work; an op dropped for flooding is sent again.
    for (let seq = 1; seq <= total; seq += 1) {
      let reply: any;
      do {
        socket.send({ type: "op", seq, rev: seq - 1, op: ["x"] });
        reply = await socket.next("ack|error");
        if (reply.type === "error") {
          expect(reply).toMatchObject({ code: "RATE_LIMITED", seq });
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      } while (reply.type === "error");
      expect(reply).toEqual({ type: "ack", seq, rev: seq });
    }

    await abortAllDurableObjects();
    await socket.closed;
    const stopped = await api("POST", `/sessions/${session.id}/recording/stop`, { user: owner });
    expect(stopped.status).toBe(200);

    const prefix = `sessions/${session.id}/recordings/${recordingId}/chunks/`;
    const listing = await env.BUCKET.list({ prefix });
    // 2,300 ops plus the connect event: two full chunks of 1,000 and the rest at stop.
    expect(listing.objects.map((object) => object.key.slice(prefix.length))).toEqual([
      "000001.ndjson.gz",
      "000002.ndjson.gz",
      "000003.ndjson.gz",
    ]);
    const revs: number[] = [];
    for (const object of listing.objects) {
      const body = await env.BUCKET.get(object.key);
      const lines = parseNdjson<{ type: string; data: any }>(await gunzip(await body!.arrayBuffer()));
      for (const line of lines) if (line.type === "op") revs.push(line.data.rev);
    }
    expect(revs).toEqual(Array.from({ length: total }, (_, index) => index + 1));
    // 2,300 round trips one after another: time to spare on a busy machine.
  }, 120_000);
});

describe("upgrading a room that recorded before ops were read from the log", () => {
  it("marks the ops already copied as events, so a recording neither loses nor repeats one", async () => {
    const stub = env.SESSION_ROOM.get(env.SESSION_ROOM.idFromName(`upgrade-${crypto.randomUUID()}`));
    const result = await runInDurableObject(stub, (_room, state) => {
      const sql = state.storage.sql;
      // Back to the schema as it stood after migration 2, with a running and a stopped recording.
      for (const { name } of sql
        .exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
        .toArray()) {
        sql.exec(`DROP TABLE ${name}`);
      }
      sql.exec("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)");
      for (const migration of ROOM_MIGRATIONS.slice(0, 2)) sql.exec(migration);
      sql.exec("INSERT INTO meta (key, value) VALUES ('schema_version', '2')");
      sql.exec("INSERT INTO document (id, rev, content, saved_rev) VALUES (1, 0, 'G', 0)");
      for (const rev of [1, 2, 3]) {
        sql.exec(
          "INSERT INTO ops (rev, client_id, seq, user_id, op, created_at) VALUES (?, 'c', ?, 'u', '[\"x\"]', ?)",
          rev,
          rev,
          new Date().toISOString(),
        );
        sql.exec(
          "INSERT INTO recording_events (recording_id, t, line) VALUES ('running', ?, ?)",
          rev,
          JSON.stringify({ t: rev, type: "op", data: { rev } }),
        );
      }
      for (const [id, status] of [
        ["running", "recording"],
        ["stopped", "stopped"],
      ]) {
        sql.exec(
          `INSERT INTO recordings (id, status, started_at, started_at_ms, started_by, start_rev, start_content)
           VALUES (?, ?, '', 0, 'u', 0, 'G')`,
          id,
          status,
        );
      }

      migrateRoom(sql);
      return {
        version: sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = 'schema_version'").one().value,
        recordings: sql.exec("SELECT id, ops_flushed_rev, stop_rev FROM recordings ORDER BY id").toArray(),
        eventRevs: sql.exec<{ rev: number }>("SELECT rev FROM recording_events ORDER BY id").toArray(),
        indexes: sql
          .exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'ops'")
          .toArray(),
      };
    });
    expect(result.version).toBe(String(ROOM_MIGRATIONS.length));
    // Ops 1–3 are already among the running recording's events: it reads the log only after them.
    expect(result.recordings).toEqual([
      { id: "running", ops_flushed_rev: 3, stop_rev: null },
      { id: "stopped", ops_flushed_rev: 3, stop_rev: 3 },
    ]);
    // Copied events come before every op read from the log.
    expect(result.eventRevs).toEqual([{ rev: 0 }, { rev: 0 }, { rev: 0 }]);
    expect(result.indexes.filter((index) => index.name === "ops_client_seq")).toEqual([]);
  });
});
