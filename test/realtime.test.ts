import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { applyOp } from "../src/domain/ot";
import type { SessionRoom } from "../src/room/session-room";
import { api, createSession, newUser, type TestUser } from "./helpers";
import { connect, openSocket, type TestSocket, wrap } from "./socket-helpers";

describe("editing together", () => {
  it("welcomes, sequences, acks and broadcasts ops", async () => {
    const owner = await newUser("owner");
    const editor = await newUser("editor");
    const session = await createSession(owner, { access_mode: "link-access", template_id: 3 });
    await api("POST", `/sessions/${session.id}/join`, {
      user: editor,
      body: { invitation_code: session.invitation_code },
    });
    const a = await connect(owner, session.id);
    const welcomeA = await a.next("welcome");
    expect(welcomeA.doc).toEqual({ rev: 0, content: "[C]Let it [G]be" });
    expect(welcomeA.you).toMatchObject({ user_id: owner.id, role: "owner", color: "#FF6B6B" });
    const b = await connect(editor, session.id);
    const welcomeB = await b.next("welcome");
    expect(welcomeB.you.role).toBe("editor");
    expect(welcomeB.presence.map((entry: { user_id: string }) => entry.user_id).sort()).toEqual(
      [owner.id, editor.id].sort(),
    );

    // Two ops from two connections at once: the server may sequence either first. What the protocol promises is
    // that each author gets an ack, each gets the other's op with the same revision, and both texts converge.
    a.send({ type: "op", seq: 1, rev: 0, op: [3, "Oh "] });
    b.send({ type: "op", seq: 1, rev: 0, op: [15, "!"] });
    const ackA = await a.next("ack");
    const ackB = await b.next("ack");
    expect(ackA.seq).toBe(1);
    expect(ackB.seq).toBe(1);
    expect([ackA.rev, ackB.rev].sort()).toEqual([1, 2]);
    const remoteForB = await b.next("op");
    expect(remoteForB).toMatchObject({ rev: ackA.rev, user_id: owner.id });
    const remoteForA = await a.next("op");
    expect(remoteForA).toMatchObject({ rev: ackB.rev, user_id: editor.id });
    // The editor's insert lands after the owner's three characters whichever was sequenced first.
    expect(remoteForA.op).toEqual(ackA.rev === 1 ? [18, "!"] : [15, "!"]);
    expect(remoteForB.op).toEqual([3, "Oh "]);
    const view = await api("GET", `/sessions/${session.id}`, { user: owner });
    expect(view.body.data.online_count).toBe(2);
    expect(await documentOf(owner, session.id)).toEqual({ rev: 2, content: "[C]Oh Let it [G]be!" });
    a.close();
    b.close();
  });
});

async function band(templateId?: number) {
  const owner = await newUser("owner");
  const editor = await newUser("editor");
  const commenter = await newUser("commenter");
  const viewer = await newUser("viewer");
  const session = await createSession(owner, templateId ? { template_id: templateId } : {});
  await api("POST", `/sessions/${session.id}/invite`, {
    user: owner,
    body: {
      users: [
        { user_id: editor.id, role: "editor" },
        { user_id: commenter.id, role: "commenter" },
        { user_id: viewer.id, role: "viewer" },
      ],
    },
  });
  for (const user of [editor, commenter, viewer]) await api("POST", `/sessions/${session.id}/join`, { user });
  return { session, owner, editor, commenter, viewer };
}

async function documentOf(user: Parameters<typeof connect>[0], sessionId: string) {
  const socket = await connect(user, sessionId);
  const welcome = await socket.next("welcome");
  socket.close();
  return welcome.doc;
}

describe("roles on every message", () => {
  it("refuses ops from viewers and commenters and changes nothing", async () => {
    const { session, viewer, commenter, owner } = await band();
    for (const user of [viewer, commenter]) {
      const socket = await connect(user, session.id);
      await socket.next("welcome");
      socket.send({ type: "op", seq: 1, rev: 0, op: ["hacked "] });
      const error = await socket.next("error");
      expect(error).toMatchObject({ code: "FORBIDDEN", seq: 1 });
      socket.close();
    }
    expect(await documentOf(owner, session.id)).toEqual({ rev: 0, content: "[C]Let it [G]be" });
  });

  it("lets commenters comment and refuses viewers", async () => {
    const { session, viewer, commenter, owner } = await band();
    const watcher = await connect(owner, session.id);
    await watcher.next("welcome");
    const c = await connect(commenter, session.id);
    await c.next("welcome");
    c.send({ type: "comment", text: "Capo 2?", anchor: { from: 0, to: 3 } });
    const comment = await watcher.next("comment");
    expect(comment.comment).toMatchObject({ user_id: commenter.id, text: "Capo 2?", anchor: { from: 0, to: 3 } });
    const v = await connect(viewer, session.id);
    await v.next("welcome");
    v.send({ type: "comment", text: "me too" });
    expect(await v.next("error")).toMatchObject({ code: "FORBIDDEN" });
    await watcher.none("comment");
    const log = await api("GET", `/sessions/${session.id}/activities?type=comment_added`, { user: owner });
    expect(log.body.data.activities).toHaveLength(1);
  });

  it("a Music Lesson editor cannot edit; the owner can", async () => {
    const { session, editor, owner } = await band(2);
    const socket = await connect(editor, session.id);
    await socket.next("welcome");
    socket.send({ type: "op", seq: 1, rev: 0, op: ["x"] });
    expect(await socket.next("error")).toMatchObject({ code: "FORBIDDEN", seq: 1 });
    const teacher = await connect(owner, session.id);
    await teacher.next("welcome");
    teacher.send({ type: "op", seq: 1, rev: 0, op: ["x"] });
    expect(await teacher.next("ack")).toMatchObject({ rev: 1 });
  });

  it("an editor demoted over REST is refused on the very next op", async () => {
    const { session, editor, owner } = await band();
    const socket = await connect(editor, session.id);
    await socket.next("welcome");
    socket.send({ type: "op", seq: 1, rev: 0, op: ["A"] });
    expect(await socket.next("ack")).toMatchObject({ seq: 1, rev: 1 });
    const demoted = await api("PATCH", `/sessions/${session.id}/participants/${editor.id}`, {
      user: owner,
      body: { role: "viewer" },
    });
    expect(demoted.status).toBe(200);
    expect(await socket.next("role_changed")).toMatchObject({
      user_id: editor.id,
      role: "viewer",
      permissions: ["read"],
    });
    socket.send({ type: "op", seq: 2, rev: 1, op: ["B"] });
    expect(await socket.next("error")).toMatchObject({ code: "FORBIDDEN", seq: 2 });
    expect(await documentOf(owner, session.id)).toEqual({ rev: 1, content: "A[C]Let it [G]be" });
  });

  it("a removed user is closed with 4403 and cannot reconnect", async () => {
    const { session, editor, owner } = await band();
    const socket = await connect(editor, session.id);
    await socket.next("welcome");
    await api("DELETE", `/sessions/${session.id}/participants/${editor.id}`, { user: owner });
    // Announced first: over real TCP the close itself can take seconds to reach a client.
    expect(await socket.next("closing")).toEqual({
      type: "closing",
      code: 4403,
      reason: "You were removed from the session",
    });
    expect((await socket.closed).code).toBe(4403);
    const ticket = await api("POST", `/sessions/${session.id}/ticket`, { user: editor });
    expect(ticket.status).toBe(403);
    expect(ticket.body.error.code).toBe("REMOVED");
  });

  it("pause refuses ops, resume accepts them, end closes every socket with 4410", async () => {
    const { session, editor, owner } = await band();
    const socket = await connect(editor, session.id);
    await socket.next("welcome");
    await api("POST", `/sessions/${session.id}/pause`, { user: owner });
    expect(await socket.next("session_status")).toMatchObject({ status: "paused" });
    socket.send({ type: "op", seq: 1, rev: 0, op: ["paused "] });
    expect(await socket.next("error")).toMatchObject({ code: "FORBIDDEN", seq: 1 });
    await api("POST", `/sessions/${session.id}/resume`, { user: owner });
    expect(await socket.next("session_status")).toMatchObject({ status: "active" });
    socket.send({ type: "op", seq: 2, rev: 0, op: ["live "] });
    expect(await socket.next("ack")).toMatchObject({ seq: 2, rev: 1 });
    await api("POST", `/sessions/${session.id}/end`, { user: owner });
    expect(await socket.next("session_status")).toMatchObject({ status: "ended" });
    expect(await socket.next("closing")).toMatchObject({ code: 4410 });
    expect((await socket.closed).code).toBe(4410);
    const ticket = await api("POST", `/sessions/${session.id}/ticket`, { user: editor });
    expect(ticket.status).toBe(409);
    const song = await api("GET", `/songs/${session.song_id}`, { user: owner });
    expect(song.body.data.content).toBe("live [C]Let it [G]be");
  });
});

describe("resends and reconnects", () => {
  it("acknowledges a resent op again without applying it twice", async () => {
    const { session, editor, owner } = await band();
    const clientId = crypto.randomUUID();
    const first = await connect(editor, session.id, { clientId });
    await first.next("welcome");
    first.send({ type: "op", seq: 7, rev: 0, op: ["Hey "] });
    expect(await first.next("ack")).toEqual({ type: "ack", seq: 7, rev: 1 });
    first.close();
    const again = await connect(editor, session.id, { clientId, sinceRev: 0 });
    const welcome = await again.next("welcome");
    expect(welcome.missed).toEqual([{ rev: 1, op: ["Hey "], user_id: editor.id, client_id: clientId, seq: 7 }]);
    again.send({ type: "op", seq: 7, rev: 0, op: ["Hey "] });
    expect(await again.next("ack")).toEqual({ type: "ack", seq: 7, rev: 1 });
    expect(await documentOf(owner, session.id)).toEqual({ rev: 1, content: "Hey [C]Let it [G]be" });
  });

  it("a resend of an applied op gets its ack also after a pause", async () => {
    const { session, editor, owner } = await band();
    const socket = await connect(editor, session.id);
    await socket.next("welcome");
    socket.send({ type: "op", seq: 1, rev: 0, op: ["A"] });
    expect(await socket.next("ack")).toEqual({ type: "ack", seq: 1, rev: 1 });
    await api("POST", `/sessions/${session.id}/pause`, { user: owner });
    socket.send({ type: "op", seq: 1, rev: 0, op: ["A"] });
    expect(await socket.next("ack|error")).toEqual({ type: "ack", seq: 1, rev: 1 });
  });

  it("a newer connection of the same client takes over: the older one is closed and ignored", async () => {
    const { session, editor, owner } = await band();
    const clientId = crypto.randomUUID();
    const older = await connect(editor, session.id, { clientId });
    await older.next("welcome");
    const newer = await connect(editor, session.id, { clientId });
    await newer.next("welcome");
    expect((await older.closed).code).toBe(4000);
    // A frame still arriving on the older connection changes nothing.
    try {
      older.send({ type: "op", seq: 1, rev: 0, op: ["late "] });
    } catch {
      // the socket is closed on this side too
    }
    newer.send({ type: "op", seq: 1, rev: 0, op: ["new "] });
    expect(await newer.next("ack")).toEqual({ type: "ack", seq: 1, rev: 1 });
    expect(await documentOf(owner, session.id)).toEqual({ rev: 1, content: "new [C]Let it [G]be" });
  });

  it("a role without read has no socket", async () => {
    const owner = await newUser("owner");
    const member = await newUser("member");
    const template = await api("POST", "/sessions/templates", {
      user: owner,
      body: {
        name: "Blind",
        category: "review",
        permissions: { editor: ["read", "edit"], commenter: ["read", "comment"], viewer: [] },
      },
    });
    const session = await createSession(owner, { template_id: template.body.data.id });
    await api("POST", `/sessions/${session.id}/invite`, {
      user: owner,
      body: { users: [{ user_id: member.id, role: "editor" }] },
    });
    await api("POST", `/sessions/${session.id}/join`, { user: member });
    const socket = await connect(member, session.id);
    await socket.next("welcome");
    await api("PATCH", `/sessions/${session.id}/participants/${member.id}`, { user: owner, body: { role: "viewer" } });
    expect(await socket.next("closing")).toMatchObject({ code: 4403 });
    const ticket = await api("POST", `/sessions/${session.id}/ticket`, { user: member });
    expect(ticket.status).toBe(403);
  });

  it("a ticket works once", async () => {
    const { session, editor } = await band();
    const { ticketUrl, openSocket, wrap } = await import("./socket-helpers");
    const url = await ticketUrl(editor, session.id);
    const first = wrap((await openSocket(url)).webSocket!);
    await first.next("welcome");
    const second = wrap((await openSocket(url)).webSocket!);
    expect((await second.closed).code).toBe(4401);
    const forged = await openSocket(`${url.slice(0, -4)}AAAA`);
    expect(forged.status).toBe(401);
    const noUpgrade = await api("GET", `/sessions/${session.id}/ws`, { user: editor });
    expect(noUpgrade.status).toBe(426);
  });
});

describe("connections", () => {
  const bearerUpgrade = (user: TestUser, sessionId: string) =>
    openSocket(`http://sessions.test/api/v1/sessions/${sessionId}/ws?client_id=${crypto.randomUUID()}`, {
      Authorization: `Bearer ${user.token}`,
    });
  const socketsInObject = (sessionId: string) =>
    runInDurableObject(
      env.SESSION_ROOM.get(env.SESSION_ROOM.idFromName(sessionId)),
      (_room, state) => state.getWebSockets().length,
    );

  it("a refused upgrade never enters the object's socket set, so a stranger cannot lock the band out", async () => {
    const { session, owner, editor } = await band();
    const stranger = await newUser("stranger");
    // Upgrades whose client end is never read or closed, as a stranger leaving them half-closed would.
    const refused = await Promise.all(Array.from({ length: 105 }, () => bearerUpgrade(stranger, session.id)));
    expect(refused.every((response) => response.status === 101)).toBe(true);
    const first = wrap(refused[0]!.webSocket!);
    expect(await first.next("closing")).toMatchObject({ code: 4403 });
    expect((await first.closed).code).toBe(4403);
    expect(await socketsInObject(session.id)).toBe(0);
    for (const user of [owner, editor]) {
      const socket = await connect(user, session.id);
      await socket.next("welcome");
    }
    expect(await socketsInObject(session.id)).toBe(2);
  });

  it("counts only a member's own sockets against them, and only those still open", async () => {
    const { session, owner, editor } = await band();
    const tabs: TestSocket[] = [];
    for (let index = 0; index < 8; index += 1) {
      const tab = await connect(editor, session.id);
      await tab.next("welcome");
      tabs.push(tab);
    }
    const ninth = await api("POST", `/sessions/${session.id}/ticket`, { user: editor });
    expect(ninth.status).toBe(409);
    expect(ninth.body.error.code).toBe("TOO_MANY_CONNECTIONS");
    const ninthSocket = wrap((await bearerUpgrade(editor, session.id)).webSocket!);
    expect(await ninthSocket.next("closing")).toMatchObject({ code: 4409 });
    // The others are not affected.
    const leader = await connect(owner, session.id);
    await leader.next("welcome");
    // A socket the object closed (here: a frame too big) stops counting at once.
    tabs[0]!.send({ type: "comment", text: "x".repeat(70 * 1024) });
    expect(await tabs[0]!.next("closing")).toMatchObject({ code: 1009 });
    const again = await connect(editor, session.id);
    await again.next("welcome");
  });

  it("rate-limits upgrades per user", async () => {
    const { session } = await band();
    const stranger = await newUser("stranger");
    // The limit is per minute window: upgrades go on (in batches) until one is refused, into the next window if the
    // first began late, and at least the 120 a minute allows get through before that.
    const statuses: number[] = [];
    while (!statuses.includes(429) && statuses.length < 300) {
      const batch = await Promise.all(Array.from({ length: 10 }, () => bearerUpgrade(stranger, session.id)));
      statuses.push(...batch.map((response) => response.status));
    }
    const counts: Record<number, number> = {};
    for (const status of statuses) counts[status] = (counts[status] ?? 0) + 1;
    expect(Object.keys(counts).sort()).toEqual(["101", "429"]);
    expect(counts[101]).toBeGreaterThanOrEqual(120);
    // Up to 300 upgrades, each a round trip through the Worker and the object: time to spare on a busy machine.
  }, 120_000);
});

describe("hostile input", () => {
  it("answers malformed, unknown and out-of-range messages with errors while others keep working", async () => {
    const { session, editor, owner } = await band();
    const attacker = await connect(editor, session.id);
    await attacker.next("welcome");
    const bystander = await connect(owner, session.id);
    await bystander.next("welcome");
    attacker.send("{not json");
    expect(await attacker.next("error")).toMatchObject({ code: "INVALID_MESSAGE" });
    attacker.send({ type: "shout", text: "hi" });
    expect(await attacker.next("error")).toMatchObject({ code: "INVALID_MESSAGE" });
    attacker.send({ type: "op", seq: 1, rev: 0, op: [9999, "x"] });
    expect(await attacker.next("error")).toMatchObject({ code: "INVALID_OP", seq: 1 });
    attacker.send({ type: "op", seq: 2, rev: 0, op: [{ d: 500 }] });
    expect(await attacker.next("error")).toMatchObject({ code: "INVALID_OP", seq: 2 });
    attacker.send({ type: "op", seq: 3, rev: 42, op: ["x"] });
    expect(await attacker.next("error")).toMatchObject({ code: "INVALID_OP", seq: 3 });
    attacker.send({ type: "op", seq: 4, rev: 0, op: [{ evil: true }] });
    expect(await attacker.next("error")).toMatchObject({ code: "INVALID_OP", seq: 4 });
    // The one text rule of REST and WebSocket alike: no lone surrogates, in ops or in comments.
    attacker.send('{"type":"op","seq":6,"rev":0,"op":["a\\ud800b"]}');
    expect(await attacker.next("error")).toMatchObject({ code: "INVALID_OP", seq: 6 });
    attacker.send('{"type":"comment","text":"a\\ud800b"}');
    expect(await attacker.next("error")).toMatchObject({ code: "INVALID_MESSAGE" });
    bystander.send({ type: "op", seq: 1, rev: 0, op: ["ok "] });
    expect(await bystander.next("ack")).toMatchObject({ rev: 1 });
    attacker.send({ type: "op", seq: 7, rev: 1, op: [3, "fine "] });
    expect(await attacker.next("ack")).toMatchObject({ seq: 7, rev: 2 });
  });

  it("closes an oversize frame with 1009 and a flood with 4429; the session carries on", async () => {
    const { session, editor, owner, commenter } = await band();
    const big = await connect(editor, session.id);
    await big.next("welcome");
    big.send({ type: "comment", text: "x".repeat(70 * 1024) });
    expect((await big.closed).code).toBe(1009);

    const flooder = await connect(commenter, session.id);
    await flooder.next("welcome");
    // The test configuration allows 400 messages a second with a burst of 1,200. The object's clock stands still,
    // so the bucket does not refill however slowly this machine delivers the flood.
    const stopped = Date.now();
    await runInDurableObject(env.SESSION_ROOM.get(env.SESSION_ROOM.idFromName(session.id)), (room) => {
      (room as SessionRoom).clock = () => stopped;
    });
    for (let index = 0; index < 6_000; index += 1) flooder.send({ type: "presence", cursor: { anchor: 0, head: 0 } });
    expect((await flooder.closed).code).toBe(4429);
    expect(flooder.messages.filter((message) => message.code === "RATE_LIMITED").length).toBeGreaterThan(0);

    const fine = await connect(owner, session.id);
    await fine.next("welcome");
    fine.send({ type: "op", seq: 1, rev: 0, op: ["still "] });
    expect(await fine.next("ack")).toMatchObject({ rev: 1 });
  });
});

describe("restarts", () => {
  it("keeps the text, the op log and comments when the object is aborted mid-session", async () => {
    const { abortAllDurableObjects } = await import("cloudflare:test");
    const { session, editor, owner } = await band();
    const clientId = crypto.randomUUID();
    const socket = await connect(editor, session.id, { clientId });
    await socket.next("welcome");
    let expected = "[C]Let it [G]be";
    for (let seq = 1; seq <= 30; seq += 1) {
      const text = `${seq % 10}`;
      socket.send({ type: "op", seq, rev: seq - 1, op: [text] });
      expect(await socket.next("ack")).toEqual({ type: "ack", seq, rev: seq });
      expected = text + expected;
    }
    socket.send({ type: "comment", text: "Slower in the bridge" });
    await socket.next("comment");

    await abortAllDurableObjects();
    const closed = await socket.closed;
    expect(closed.code).not.toBe(1000);

    const resumed = await connect(editor, session.id, { clientId, sinceRev: 30 });
    const welcome = await resumed.next("welcome");
    expect(welcome.doc).toEqual({ rev: 30, content: expected });
    expect(welcome.missed).toEqual([]);
    // A resend of the last acknowledged op after the restart is recognised, not applied again.
    resumed.send({ type: "op", seq: 30, rev: 29, op: ["0"] });
    expect(await resumed.next("ack")).toEqual({ type: "ack", seq: 30, rev: 30 });
    resumed.send({ type: "op", seq: 31, rev: 30, op: ["!"] });
    expect(await resumed.next("ack")).toEqual({ type: "ack", seq: 31, rev: 31 });
    expect(welcome.comments).toEqual([
      expect.objectContaining({ user_id: editor.id, text: "Slower in the bridge", rev: 30 }),
    ]);
    const comments = await api("GET", `/sessions/${session.id}/activities?type=comment_added`, { user: owner });
    expect(comments.body.data.activities[0].details.text).toBe("Slower in the bridge");
    expect(await documentOf(owner, session.id)).toEqual({ rev: 31, content: `!${expected}` });
  });

  it("keeps the text across a restart after several checkpoints, and rebases an old op over the stored log", async () => {
    const { abortAllDurableObjects } = await import("cloudflare:test");
    const { session, editor, owner } = await band();
    const START = "[C]Let it [G]be";
    const typist = await connect(editor, session.id, { clientId: "typist" });
    expect((await typist.next("welcome")).doc).toEqual({ rev: 0, content: START });
    // The owner only watches: its text is what the ops it is sent make of the welcome's.
    const watcher = await connect(owner, session.id);
    let watched = (await watcher.next("welcome")).doc.content as string;

    // 650 ops (six checkpoints and 50 ops after the last), one in flight at a time: odd ones type at the start,
    // even ones at the end.
    const total = 650;
    let front = "";
    let back = "";
    for (let seq = 1; seq <= total; seq += 1) {
      const letter = "abcdefghijklmnopqrstuvwxyz"[seq % 26]!;
      const position = seq % 2 === 1 ? 0 : front.length + START.length + back.length;
      typist.send({ type: "op", seq, rev: seq - 1, op: position === 0 ? [letter] : [position, letter] });
      expect(await typist.next("ack")).toEqual({ type: "ack", seq, rev: seq });
      if (position === 0) front = letter + front;
      else back += letter;
    }
    for (let rev = 1; rev <= total; rev += 1) {
      const op = await watcher.next("op");
      expect(op.rev).toBe(rev);
      watched = applyOp(watched, op.op);
    }
    expect(watched).toBe(front + START + back);

    await abortAllDurableObjects();
    await typist.closed;
    await watcher.closed;

    // After the restart the object's text is the one its clients saw.
    const watcherAgain = await connect(owner, session.id, { sinceRev: total });
    const resumed = await watcherAgain.next("welcome");
    expect(resumed.missed).toEqual([]);
    expect(resumed.doc).toEqual({ rev: total, content: watched });

    // An edit made at revision 100 and sent only now crosses 550 ops, more than the object keeps in memory: at
    // revision 100 the text had 50 letters at each end, and "Let" becomes "Leave".
    const late = await connect(editor, session.id, { clientId: "late" });
    await late.next("welcome");
    late.send({ type: "op", seq: 1, rev: 100, op: [50 + 3, { d: "Let" }, "Leave"] });
    expect(await late.next("ack")).toEqual({ type: "ack", seq: 1, rev: total + 1 });
    const rebased = await watcherAgain.next("op");
    expect(rebased.rev).toBe(total + 1);
    watched = applyOp(watched, rebased.op);
    const expected = `${front}[C]Leave it [G]be${back}`;
    expect(watched).toBe(expected);
    expect(await documentOf(owner, session.id)).toEqual({ rev: total + 1, content: expected });
  }, 120_000);
});

describe("presence", () => {
  it("passes on every position, however close together they come", async () => {
    const { session, owner, viewer } = await band();
    const leader = await connect(owner, session.id);
    await leader.next("welcome");
    const watcher = await connect(viewer, session.id);
    await watcher.next("welcome");
    // Three in a row, as a busy network may deliver them: none is dropped. Their order is the runtime's, checked
    // over TCP (test/tcp/order.test.ts): this pool may hand back-to-back socket events to the object out of order.
    leader.send({ type: "presence", cursor: { anchor: 1, head: 1 } });
    leader.send({ type: "presence", cursor: { anchor: 2, head: 2 } });
    leader.send({ type: "presence", cursor: { anchor: 3, head: 3 } });
    const heard: number[] = [];
    while (heard.length < 3) {
      const message = await watcher.next("presence");
      if (message.user_id === owner.id) heard.push(message.cursor.head);
    }
    expect(heard.sort()).toEqual([1, 2, 3]);
    leader.close();
    watcher.close();
  });
});
