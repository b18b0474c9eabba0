/**
 * Invitation emails: sent once through the session's schedule with who invites, to which session and song, the
 * message, the role and the join link; retried after a failed send without failing the invitation; never sent to
 * someone who turned notifications off; and accepted by the real `EMAIL` binding (miniflare's, which parses it).
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { mimeMessage, type OutgoingEmail } from "../src/domain/mime";
import type { SessionRoom } from "../src/room/session-room";
import { api, createSession, createSong, newUser, type TestUser } from "./helpers";

const stubOf = (id: string) => env.SESSION_ROOM.get(env.SESSION_ROOM.idFromName(id));

interface Outbox {
  sent: OutgoingEmail[];
  attempts: number;
  /** While set, the mail service refuses every message. */
  failing: boolean;
}

/** Replaces the session's mail service with one that keeps what it is given (and may refuse it). */
async function fakeMailService(sessionId: string, options: { alsoTheRealBinding?: boolean } = {}): Promise<Outbox> {
  const outbox: Outbox = { sent: [], attempts: 0, failing: false };
  await runInDurableObject(stubOf(sessionId), (instance: SessionRoom) => {
    const real = instance.emailSender;
    instance.emailSender = async (email) => {
      outbox.attempts += 1;
      if (outbox.failing) throw new Error("the mail service is down");
      if (options.alsoTheRealBinding) await real(email);
      outbox.sent.push(email);
    };
  });
  return outbox;
}

/** Runs the object's alarm handler now, as the runtime would (it may also have run by itself already). */
async function deliverAlarm(sessionId: string, clockOffsetMs = 0) {
  await runInDurableObject(stubOf(sessionId), async (instance: SessionRoom) => {
    if (clockOffsetMs) instance.clock = () => Date.now() + clockOffsetMs;
    await instance.alarm();
  });
}

function queued(sessionId: string) {
  return runInDurableObject(stubOf(sessionId), (_instance, state) =>
    state.storage.sql.exec<{ invitation_id: string; attempts: number }>("SELECT * FROM emails").toArray(),
  );
}

async function invite(user: TestUser, sessionId: string, users: object[], message?: string) {
  const response = await api("POST", `/sessions/${sessionId}/invite`, { user, body: { users, message } });
  expect(response.status).toBe(200);
  return response.body.data as { invited: { invitation_id?: string; status: string }[]; errors: unknown[] };
}

/** The headers and the decoded text of a message as our MIME builder writes it. */
function parse(raw: string) {
  const split = raw.indexOf("\r\n\r\n");
  const [head, body] = [raw.slice(0, split), raw.slice(split + 4)];
  const headers = new Map<string, string>();
  for (const line of head.replace(/\r\n /g, " ").split("\r\n")) {
    const colon = line.indexOf(":");
    headers.set(line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim());
  }
  // Quoted-printable: soft line breaks go, each =XX is a byte.
  const unfolded = body.replace(/=\r\n/g, "");
  expect(unfolded.split("\r\n").every((line) => /^[\x20-\x7e]*$/.test(line))).toBe(true);
  expect(body.split("\r\n").every((line) => line.length <= 76)).toBe(true);
  const bytes = unfolded
    .split(/(=[0-9A-F]{2})/)
    .flatMap((part) =>
      part.startsWith("=") && part.length === 3
        ? [Number.parseInt(part.slice(1), 16)]
        : [...new TextEncoder().encode(part)],
    );
  return { headers, text: new TextDecoder().decode(Uint8Array.from(bytes)) };
}

async function aSession(owner: TestUser) {
  const song = await createSong(owner);
  const response = await api("PUT", `/songs/${song.id}`, { user: owner, body: { title: "Wonderwall" } });
  expect(response.status).toBe(200);
  return createSession(owner, { song_id: song.id, name: "Friday rehearsal" });
}

describe("invitation emails", () => {
  it("an invitation to an address is emailed once: inviter, session, song, message, role and join link", async () => {
    const owner = await newUser("owner");
    const session = await aSession(owner);
    const outbox = await fakeMailService(session.id);
    const answer = await invite(
      owner,
      session.id,
      [{ email: "Guest@Example.test", role: "editor" }],
      "Bring the capo.\nWe start at 8 — Zoë's café, 3 = 1 + 2, a long line that has to be broken in two somewhere. ",
    );
    expect(answer.invited[0]).toMatchObject({ status: "invited", invitation_id: expect.any(String) });
    await deliverAlarm(session.id);
    await deliverAlarm(session.id);

    expect(outbox.sent).toHaveLength(1);
    const email = outbox.sent[0]!;
    expect(email.from).toBe("sessions@chordme.example");
    expect(email.to).toBe("guest@example.test");
    expect(email.subject).toBe(`${owner.name} invited you to "Friday rehearsal" (Wonderwall) on ChordMe`);
    const joinLink = `http://localhost:8787/join/${session.id}`;
    expect(email.text).toContain(
      `${owner.name} invited you to the ChordMe session "Friday rehearsal" to play "Wonderwall", as an editor.`,
    );
    expect(email.text).toContain(
      `${owner.name} wrote:\n> Bring the capo.\n> We start at 8 — Zoë's café, 3 = 1 + 2, a long line that has to be broken in two somewhere.\n`,
    );
    expect(email.text).toContain(`Join the session: ${joinLink}\n`);

    // The message itself says the same.
    const { headers, text } = parse(email.raw);
    expect(headers.get("from")).toBe('"ChordMe Sessions" <sessions@chordme.example>');
    expect(headers.get("to")).toBe("<guest@example.test>");
    expect(headers.get("subject")).toBe(email.subject);
    expect(headers.get("message-id")).toMatch(/^<[0-9a-f-]{36}@chordme\.example>$/);
    expect(headers.get("content-type")).toBe("text/plain; charset=utf-8");
    expect(headers.get("content-transfer-encoding")).toBe("quoted-printable");
    expect(text).toBe(email.text.replace(/\n/g, "\r\n"));
    expect(await queued(session.id)).toEqual([]);

    // Changing the pending invitation sends nothing more.
    await invite(owner, session.id, [{ email: "guest@example.test", role: "viewer" }]);
    await deliverAlarm(session.id);
    expect(outbox.sent).toHaveLength(1);
  });

  it("an invitation to a user goes to the email of their latest token", async () => {
    const owner = await newUser("owner");
    const invitee = await newUser("invitee");
    // Their users row (and email) is written when they first call the API.
    expect((await api("GET", "/users/me", { user: invitee })).body.data).toEqual({
      id: invitee.id,
      email: invitee.email,
      name: invitee.name,
      notifications_enabled: true,
    });
    const session = await aSession(owner);
    const outbox = await fakeMailService(session.id);
    await invite(owner, session.id, [{ user_id: invitee.id, role: "viewer" }]);
    await deliverAlarm(session.id);
    expect(outbox.sent.map((email) => email.to)).toEqual([invitee.email]);
    expect(outbox.sent[0]!.text).toContain("as a viewer.");
    expect(outbox.sent[0]!.text).not.toContain("wrote:");

    // Someone the service never saw has no known address: nothing is sent, and nothing waits.
    await invite(owner, session.id, [{ user_id: "never-signed-in", role: "viewer" }]);
    await deliverAlarm(session.id);
    expect(outbox.sent).toHaveLength(1);
    expect(await queued(session.id)).toEqual([]);
  });

  it("a failed send is tried again later, and the invitation never waits for it nor fails", async () => {
    const owner = await newUser("owner");
    const session = await aSession(owner);
    const outbox = await fakeMailService(session.id);
    outbox.failing = true;
    const answer = await invite(owner, session.id, [{ email: "patient@example.test", role: "commenter" }]);
    expect(answer.invited[0]!.status).toBe("invited");
    await deliverAlarm(session.id);
    expect(outbox.attempts).toBe(1);
    expect(outbox.sent).toEqual([]);
    expect(await queued(session.id)).toEqual([expect.objectContaining({ attempts: 1 })]);
    // The invitation stands meanwhile.
    const listed = await api("GET", `/sessions/${session.id}/invitations`, { user: owner });
    expect(listed.body.data.invitations.map((entry: { id: string }) => entry.id)).toEqual([
      answer.invited[0]!.invitation_id,
    ]);

    // Not due again before its backoff (a minute) has passed; then sent, once.
    outbox.failing = false;
    await deliverAlarm(session.id, 30_000);
    expect([outbox.attempts, outbox.sent.length]).toEqual([1, 0]);
    await deliverAlarm(session.id, 61_000);
    expect(outbox.sent.map((email) => email.to)).toEqual(["patient@example.test"]);
    await deliverAlarm(session.id, 10 * 60_000);
    expect(outbox.attempts).toBe(2);
    expect(await queued(session.id)).toEqual([]);
  });

  it("is given up after its last attempt", async () => {
    const owner = await newUser("owner");
    const session = await aSession(owner);
    const outbox = await fakeMailService(session.id);
    outbox.failing = true;
    await invite(owner, session.id, [{ email: "unreachable@example.test", role: "viewer" }]);
    await deliverAlarm(session.id);
    for (const hours of [1, 2, 3, 6, 12, 24]) await deliverAlarm(session.id, hours * 3600_000);
    expect(outbox.attempts).toBe(6);
    expect(await queued(session.id)).toEqual([]);
  });

  it("nothing goes to someone who turned notifications off, by user id or by address", async () => {
    const owner = await newUser("owner");
    const quiet = await newUser("quiet");
    const off = await api("PATCH", "/users/me", { user: quiet, body: { notifications_enabled: false } });
    expect(off.status).toBe(200);
    expect(off.body.data).toMatchObject({ id: quiet.id, notifications_enabled: false });
    expect((await api("GET", "/users/me", { user: quiet })).body.data.notifications_enabled).toBe(false);
    const bad = await api("PATCH", "/users/me", { user: quiet, body: { notifications_enabled: "no" } });
    expect(bad.status).toBe(400);

    const session = await aSession(owner);
    const outbox = await fakeMailService(session.id);
    await invite(owner, session.id, [
      { user_id: quiet.id, role: "viewer" },
      { email: "someone-else@example.test", role: "viewer" },
    ]);
    await deliverAlarm(session.id);
    expect(outbox.sent.map((email) => email.to)).toEqual(["someone-else@example.test"]);
    const other = await createSession(owner);
    const otherOutbox = await fakeMailService(other.id);
    await invite(owner, other.id, [{ email: quiet.email, role: "viewer" }]);
    await deliverAlarm(other.id);
    expect(otherOutbox.sent).toEqual([]);
    // The invitations themselves stand.
    expect((await api("GET", "/sessions/my-invitations", { user: quiet })).body.data.invitations).toHaveLength(2);

    // Turned on again, the next invitation is emailed.
    await api("PATCH", "/users/me", { user: quiet, body: { notifications_enabled: true } });
    const third = await createSession(owner);
    const thirdOutbox = await fakeMailService(third.id);
    await invite(owner, third.id, [{ user_id: quiet.id, role: "viewer" }]);
    await deliverAlarm(third.id);
    expect(thirdOutbox.sent.map((email) => email.to)).toEqual([quiet.email]);
  });

  it("an invitation revoked or declined before its email went out sends none", async () => {
    const owner = await newUser("owner");
    const invitee = await newUser("invitee");
    const session = await aSession(owner);
    const outbox = await fakeMailService(session.id);
    outbox.failing = true;
    const answer = await invite(owner, session.id, [
      { email: "changed-my-mind@example.test", role: "viewer" },
      { email: invitee.email, role: "viewer" },
    ]);
    await deliverAlarm(session.id);
    expect(await queued(session.id)).toHaveLength(2);
    const [revoked, declined] = answer.invited.map((entry) => entry.invitation_id!);
    expect((await api("DELETE", `/sessions/${session.id}/invitations/${revoked}`, { user: owner })).status).toBe(200);
    expect((await api("POST", `/sessions/my-invitations/${declined}/decline`, { user: invitee })).status).toBe(200);
    outbox.failing = false;
    await deliverAlarm(session.id, 2 * 60_000);
    expect(outbox.sent).toEqual([]);
    expect(await queued(session.id)).toEqual([]);
  });

  it("the real EMAIL binding takes the message (miniflare parses it and checks its sender and Message-ID)", async () => {
    const owner = await newUser("owner");
    const session = await aSession(owner);
    const outbox = await fakeMailService(session.id, { alsoTheRealBinding: true });
    await invite(owner, session.id, [{ email: "real-binding@example.test", role: "viewer" }], "Ünïcode — fine");
    await deliverAlarm(session.id);
    expect(outbox.attempts).toBe(1);
    expect(outbox.sent.map((email) => email.to)).toEqual(["real-binding@example.test"]);
    expect(await queued(session.id)).toEqual([]);
  });
});

describe("the message", () => {
  const fields = {
    from: "sessions@chordme.example",
    fromName: "ChordMe Sessions",
    to: "guest@example.test",
    text: "Hi\n",
    date: new Date("2026-05-01T10:00:00Z"),
    messageId: "one@chordme.example",
  };

  it("writes text that is not ASCII as encoded words, and never lets a line break into a header", () => {
    const raw = mimeMessage({ ...fields, subject: "Zoë invited you to “Café Sessions”\r\nBcc: victim@example.test" });
    const head = raw.split("\r\n\r\n")[0]!;
    expect(head).not.toMatch(/^Bcc:/m);
    const subject = head.match(/^Subject: ([^\r]*(?:\r\n [^\r]*)*)/m)![1]!;
    for (const word of subject.split("\r\n ")) {
      expect(word).toMatch(/^=\?UTF-8\?B\?[A-Za-z0-9+/=]+\?=$/);
      expect(word.length).toBeLessThanOrEqual(75);
    }
    const decoded = subject
      .split("\r\n ")
      .map((word) => atob(word.slice(10, -2)))
      .join("");
    expect(new TextDecoder().decode(Uint8Array.from(decoded, (c) => c.charCodeAt(0)))).toBe(
      "Zoë invited you to “Café Sessions” Bcc: victim@example.test",
    );
    expect(head).toContain("Date: Fri, 01 May 2026 10:00:00 +0000");
  });

  it("refuses an address that could smuggle a header", () => {
    expect(() => mimeMessage({ ...fields, subject: "Hi", to: "a@example.test>\r\nBcc: b@example.test" })).toThrow();
    expect(() => mimeMessage({ ...fields, subject: "Hi", to: "two words@example.test" })).toThrow();
  });
});
