import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import {
  createSessionManagementService,
  friendlyMessage,
  RealtimeError,
  SessionApiError,
  type SessionManagementService,
} from "../src/client";
import { api, newUser, type TestUser } from "./helpers";

/** The SDK against the real Worker: its fetch is the Worker's own. */
function sdkFor(user: TestUser | null): SessionManagementService {
  return createSessionManagementService({
    baseUrl: "http://sessions.test",
    getToken: () => user?.token,
    fetch: (input, init) => exports.default.fetch(input, init),
  });
}

/** The SessionApiError a call rejects with. */
async function failure(promise: Promise<unknown>): Promise<SessionApiError> {
  const error = await promise.then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(SessionApiError);
  return error as SessionApiError;
}

describe("SessionManagementService against the Worker", () => {
  it("runs a session from song to activity feed", async () => {
    const leader = await newUser("leader");
    const bassist = await newUser("bassist");
    const sdk = sdkFor(leader);

    const song = await sdk.createSong({ title: "Let It Be", content: "[C]When I find myself in [G]times of trouble" });
    expect(song).toMatchObject({ title: "Let It Be", owner_id: leader.id, permission: "owner" });
    expect((await sdk.listSongs()).songs.map((entry) => entry.id)).toContain(song.id);
    expect(await sdk.getSong(song.id)).toMatchObject({ id: song.id });
    expect(await sdk.updateSong(song.id, { title: "Let It Be (live)" })).toMatchObject({ title: "Let It Be (live)" });

    const { templates } = await sdk.getTemplates();
    const bandPractice = templates.find((template) => template.name === "Band Practice");
    expect(bandPractice).toMatchObject({ max_participants: 8, default_role: "viewer", is_default: true });
    expect(await sdk.getTemplate(bandPractice!.id)).toMatchObject({ name: "Band Practice" });

    const session = await sdk.createSession({
      song_id: song.id,
      name: "Friday rehearsal",
      template_id: bandPractice!.id,
      access_mode: "invite-only",
    });
    expect(session).toMatchObject({ name: "Friday rehearsal", user_role: "owner", max_participants: 8 });
    expect(await sdk.getSession(session.id)).toMatchObject({ id: session.id, participant_count: 1 });

    const invited = await sdk.inviteUsers(session.id, [{ user_id: bassist.id, role: "editor" }], "Bring the Fender");
    expect(invited.invited).toEqual([expect.objectContaining({ user_id: bassist.id, status: "invited" })]);
    expect(invited.errors).toEqual([]);

    const bassistSdk = sdkFor(bassist);
    const { invitations } = await bassistSdk.getMyInvitations();
    expect(invitations).toEqual([expect.objectContaining({ session_id: session.id, role: "editor" })]);

    const joined = await bassistSdk.joinSession(session.id);
    expect(joined).toMatchObject({ user_role: "editor", participant_count: 2 });

    const { participants } = await sdk.getParticipants(session.id);
    expect(participants.map((participant) => [participant.user_id, participant.role])).toEqual(
      expect.arrayContaining([
        [leader.id, "owner"],
        [bassist.id, "editor"],
      ]),
    );

    expect(await sdk.changeRole(session.id, bassist.id, "commenter")).toMatchObject({ role: "commenter" });

    const page = await sdk.getActivities(session.id, { limit: 10 });
    expect(page.activities.length).toBeGreaterThan(0);
    expect(page.activities.map((activity) => activity.type)).toEqual(
      expect.arrayContaining(["session_created", "user_invited", "user_joined", "permission_changed"]),
    );
    const newestFirst = page.activities.map((activity) => activity.created_at);
    expect([...newestFirst].sort().reverse()).toEqual(newestFirst);

    const mine = await bassistSdk.getMySessions({ status: "active" });
    expect(mine.sessions.map((entry) => entry.id)).toContain(session.id);

    const ticket = await bassistSdk.getTicket(session.id);
    expect(ticket.ws_url).toContain(`/api/v1/sessions/${session.id}/ws`);

    expect(await bassistSdk.leaveSession(session.id)).toEqual({ user_id: bassist.id, left: true });
    expect(await sdk.pauseSession(session.id)).toMatchObject({ status: "paused" });
    expect(await sdk.resumeSession(session.id)).toMatchObject({ status: "active" });
    expect(await sdk.updateSession(session.id, { access_mode: "link-access" })).toMatchObject({
      access_mode: "link-access",
      invitation_code: expect.any(String),
    });
    const rotated = await sdk.rotateInvitationCode(session.id);
    expect(rotated.invitation_code).toEqual(expect.any(String));
    expect(await sdk.endSession(session.id)).toMatchObject({ status: "ended" });
    expect(await sdk.getServiceHealth()).toMatchObject({ ok: true });
  });

  it("joins a link-access session with the code from the link", async () => {
    const leader = await newUser("leader");
    const drummer = await newUser("drummer");
    const sdk = sdkFor(leader);
    const song = await sdk.createSong({ title: "Hey Jude", content: "[F]Hey Jude" });
    const session = await sdk.createSession({ song_id: song.id, name: "Open rehearsal", access_mode: "link-access" });
    expect(session.invitation_code).toEqual(expect.any(String));

    const wrongCode = await failure(sdkFor(drummer).joinSession(session.id, "not-the-code"));
    expect(wrongCode).toMatchObject({ status: 403, code: "INVALID_INVITATION_CODE" });
    expect(friendlyMessage(wrongCode)).toBe(
      "This invitation link no longer works. Ask the session leader for a fresh link.",
    );

    const joined = await sdkFor(drummer).joinSession(session.id, session.invitation_code);
    expect(joined.user_role).toBe("viewer");
  });

  it("throws typed errors: 404, 403, 400 with details, 401", async () => {
    const leader = await newUser("leader");
    const stranger = await newUser("stranger");
    const sdk = sdkFor(leader);

    const missing = await failure(sdk.getSession(crypto.randomUUID()));
    expect(missing).toMatchObject({ status: 404, code: "NOT_FOUND" });
    expect(missing.message).toEqual(expect.any(String));
    expect(friendlyMessage(missing)).toBe("We could not find that. It may have been deleted, or the link is wrong.");

    const song = await sdk.createSong({ title: "Yesterday", content: "[F]Yesterday" });
    const session = await sdk.createSession({ song_id: song.id, name: "Private" });
    const forbidden = await failure(sdkFor(stranger).getParticipants(session.id));
    expect(forbidden).toMatchObject({ status: 403, code: "FORBIDDEN" });
    expect(friendlyMessage(forbidden)).not.toContain("[object");

    const invalid = await failure(sdk.createSession({ song_id: song.id, name: "   ", max_participants: 99 }));
    expect(invalid).toMatchObject({ status: 400, code: "VALIDATION_ERROR" });
    expect(invalid.issues).toEqual(
      expect.arrayContaining([
        { path: "name", message: expect.any(String) },
        { path: "max_participants", message: expect.any(String) },
      ]),
    );
    expect(friendlyMessage(invalid)).toMatch(/^Please check (the session name|the participant limit): /);

    const badRole = await failure(
      sdk.inviteUsers(session.id, [{ user_id: stranger.id, role: "owner" as unknown as "editor" }]),
    );
    expect(badRole.code).toBe("VALIDATION_ERROR");
    expect(badRole.issues[0]?.path).toBe("users.0.role");

    const anonymous = await failure(sdkFor(null).getMySessions());
    expect(anonymous).toMatchObject({ status: 401, code: "UNAUTHORIZED" });
    expect(friendlyMessage(anonymous)).toBe("Your sign-in has expired or is not valid. Please sign in again.");

    const ownerLeaving = await failure(sdk.leaveSession(session.id));
    expect(ownerLeaving).toMatchObject({ status: 409, code: "OWNER_CANNOT_LEAVE" });
  });

  it("records, plays back, and reports health and statistics", async () => {
    const leader = await newUser("leader");
    const admin = await newUser("admin", { admin: true });
    const sdk = sdkFor(leader);
    const song = await sdk.createSong({ title: "Blackbird", content: "[G]Blackbird singing" });
    const session = await sdk.createSession({ song_id: song.id, name: "Take one" });

    const bassist = await newUser("bassist");
    await sdk.inviteUsers(session.id, [{ user_id: bassist.id, role: "editor" }]);

    const started = await sdk.startRecording(session.id);
    expect(started).toMatchObject({ is_recording: true, recording_id: expect.any(String) });
    expect(await sdk.getRecordingStatus(session.id)).toMatchObject({ is_recording: true });
    // What the recording holds: the bassist joining, a pause and the resume.
    await sdkFor(bassist).joinSession(session.id);
    await sdk.pauseSession(session.id);
    await sdk.resumeSession(session.id);
    const stopped = await sdk.stopRecording(session.id);
    expect(stopped).toMatchObject({ is_recording: false, recording_id: started.recording_id });

    const { recordings } = await sdk.listRecordings(session.id);
    expect(recordings.map((recording) => recording.id)).toContain(started.recording_id);
    const manifest = await sdk.getRecording(session.id, started.recording_id!);
    expect(manifest).toMatchObject({ session_id: session.id, status: "stopped", start_content: song.content });
    const events = await sdk.getRecordingEvents(session.id, manifest.id);
    expect(events.map((event) => [event.type, event.user_id, event.data])).toEqual([
      ["user_joined", bassist.id, { role: "editor" }],
      ["session_status", leader.id, { status: "paused" }],
      ["session_status", leader.id, { status: "active" }],
    ]);
    expect(manifest.events_count).toBe(3);
    expect(await sdk.getSnapshot(session.id, manifest.id, 0)).toMatchObject({ content: song.content, at_ms: 0 });

    // Two of ten places taken (5), nobody online (0), active within the hour (25), no contributions (0), a
    // recording (5).
    const health = await sdk.getHealth(session.id);
    expect(health).toMatchObject({ score: 35, level: "poor" });
    expect(Object.fromEntries(health.factors.map((factor) => [factor.name, factor.points]))).toEqual({
      participation: 5,
      online: 0,
      recency: 25,
      contributors: 0,
      edits: 0,
      conversation: 0,
      recording: 5,
    });
    expect(health).toEqual((await api("GET", `/sessions/${session.id}/health`, { user: leader })).body.data);
    expect((await sdk.getStats(session.id)).recordings.count).toBe(1);

    expect(await failure(sdk.getAdminStats())).toMatchObject({ status: 403, code: "FORBIDDEN" });
    // Counted from D1 around the call: sessions are only ever added, so the answer lies between the two counts.
    const sessionsInD1 = async () =>
      (await env.DB.prepare("SELECT count(*) AS n FROM sessions").first<{ n: number }>())!.n;
    const countedBefore = await sessionsInD1();
    const adminStats = await sdkFor(admin).getAdminStats();
    const countedAfter = await sessionsInD1();
    expect(countedBefore).toBeGreaterThanOrEqual(1);
    for (const total of [adminStats.total_sessions, Object.values(adminStats.by_status).reduce((a, b) => a + b, 0)]) {
      expect(total).toBeGreaterThanOrEqual(countedBefore);
      expect(total).toBeLessThanOrEqual(countedAfter);
    }
    expect(await sdkFor(admin).cleanup({ dry_run: true })).toMatchObject({ dry_run: true, errors: [] });
  });

  it("lists, revokes and declines invitations, and keeps my email setting", async () => {
    const leader = await newUser("leader");
    const guitarist = await newUser("guitarist");
    const singer = await newUser("singer");
    const sdk = sdkFor(leader);
    const song = await sdk.createSong({ title: "Wonderwall", content: "[Em7]Today is [G]gonna be the day" });
    const session = await sdk.createSession({ song_id: song.id, name: "Acoustic set" });

    const invited = await sdk.inviteUsers(
      session.id,
      [
        { email: guitarist.email, role: "editor" },
        { user_id: singer.id, role: "commenter" },
      ],
      "Soundcheck at six",
    );
    const [toGuitarist, toSinger] = invited.invited.map((entry) => entry.invitation_id!);
    const pending = await sdk.listInvitations(session.id);
    // Sent in one call, both at the same moment: the order between them is the ids'.
    expect(pending.invitations.map((entry) => [entry.id, entry.user_id, entry.email, entry.role]).sort()).toEqual(
      [
        [toSinger, singer.id, null, "commenter"],
        [toGuitarist, null, guitarist.email, "editor"],
      ].sort(),
    );
    expect(pending.invitations.find((entry) => entry.id === toSinger)).toMatchObject({
      status: "pending",
      invited_by: { user_id: leader.id, display_name: leader.name },
      message: "Soundcheck at six",
      declined_at: null,
    });
    expect(pending.next_cursor).toBeNull();

    expect(await sdk.revokeInvitation(session.id, toSinger!)).toEqual({ id: toSinger, revoked: true });
    expect(await sdkFor(singer).getMyInvitations()).toEqual({ invitations: [], next_cursor: null });

    const guitaristSdk = sdkFor(guitarist);
    expect((await guitaristSdk.getMyInvitations()).invitations.map((entry) => entry.id)).toEqual([toGuitarist]);
    expect(await guitaristSdk.declineInvitation(toGuitarist!)).toEqual({
      id: toGuitarist,
      session_id: session.id,
      declined: true,
    });
    expect((await guitaristSdk.getMyInvitations()).invitations).toEqual([]);
    expect((await sdk.listInvitations(session.id)).invitations).toEqual([]);
    const declined = await sdk.listInvitations(session.id, { status: "declined", limit: 10 });
    expect(declined.invitations).toEqual([
      expect.objectContaining({ id: toGuitarist, status: "declined", declined_at: expect.any(String) }),
    ]);
    expect(await failure(guitaristSdk.listInvitations(session.id))).toMatchObject({ status: 403 });

    expect(await guitaristSdk.getMe()).toMatchObject({ id: guitarist.id, notifications_enabled: true });
    expect(await guitaristSdk.updateMe({ notifications_enabled: false })).toMatchObject({
      id: guitarist.id,
      email: guitarist.email,
      notifications_enabled: false,
    });
    expect((await guitaristSdk.getMe()).notifications_enabled).toBe(false);
  });

  it("manages templates", async () => {
    const arranger = await newUser("arranger");
    const sdk = sdkFor(arranger);
    const template = await sdk.createTemplate({
      name: "Horn section",
      category: "arrangement",
      permissions: { editor: ["read", "edit"], commenter: ["read", "comment"], viewer: ["read"] },
    });
    expect(template).toMatchObject({ name: "Horn section", max_participants: 10, default_role: "viewer" });
    expect(await sdk.updateTemplate(template.id, { max_participants: 6 })).toMatchObject({ max_participants: 6 });
    expect(await sdk.deleteTemplate(template.id)).toEqual({ id: template.id, deleted: true });
    const defaults = await failure(sdk.deleteTemplate(1));
    expect(defaults).toMatchObject({ status: 403, code: "FORBIDDEN" });
  });
});

describe("SessionManagementService transport", () => {
  function stubbed(answer: (url: URL, init: RequestInit | undefined) => Response) {
    const calls: { url: URL; init: RequestInit | undefined }[] = [];
    const sdk = createSessionManagementService({
      baseUrl: "https://api.example/",
      getToken: async () => "token-1",
      fetch: async (input, init) => {
        const url = new URL(input);
        calls.push({ url, init });
        return answer(url, init);
      },
    });
    return { sdk, calls };
  }

  it("parses NDJSON recording events and sends the query", async () => {
    const lines = [
      { t: 0, at: "2026-11-27T12:00:00.000Z", type: "op", user_id: "a", data: { rev: 1, op: ["x"] } },
      { t: 250, at: "2026-11-27T12:00:00.250Z", type: "presence", user_id: "b", data: {} },
    ];
    const { sdk, calls } = stubbed(
      () =>
        new Response(`${lines.map((line) => JSON.stringify(line)).join("\n")}\n`, {
          headers: { "Content-Type": "application/x-ndjson" },
        }),
    );
    expect(await sdk.getRecordingEvents("s-1", "r-1", { from_ms: 0, to_ms: 500 })).toEqual(lines);
    expect(calls[0]!.url.pathname).toBe("/api/v1/sessions/s-1/recordings/r-1/events");
    expect(calls[0]!.url.search).toBe("?from_ms=0&to_ms=500");
    expect(new Headers(calls[0]!.init?.headers).get("Authorization")).toBe("Bearer token-1");
  });

  it("asks for the snapshot at a moment", async () => {
    const { sdk, calls } = stubbed((url) => {
      if (url.pathname.endsWith("/snapshot")) {
        return Response.json({ status: "success", data: { rev: 3, content: "[G]then", at_ms: 1200 } });
      }
      return Response.json({ status: "success", data: { recordings: [{ id: "r-1" }] } });
    });
    expect(await sdk.getSnapshot("s-1", "r-1", 1200.4)).toEqual({ rev: 3, content: "[G]then", at_ms: 1200 });
    expect(calls[0]!.url.search).toBe("?at_ms=1200");
    expect((await sdk.listRecordings("s-1")).recordings).toEqual([{ id: "r-1" }]);
  });

  it("turns failures without an envelope into typed errors", async () => {
    const { sdk } = stubbed(
      () => new Response("<html>Bad gateway</html>", { status: 502, headers: { "Retry-After": "5" } }),
    );
    const gateway = await failure(sdk.getHealth("s-1"));
    expect(gateway).toMatchObject({ status: 502, code: "HTTP_502", retryAfter: 5 });
    expect(friendlyMessage(gateway)).toBe("Something went wrong on our side. Please try again.");

    const offline = createSessionManagementService({
      baseUrl: "https://api.example",
      getToken: () => "t",
      fetch: async () => {
        throw new TypeError("Failed to fetch");
      },
    });
    const network = await failure(offline.getStats("s-1"));
    expect(network).toMatchObject({ status: 0, code: "NETWORK_ERROR" });
    expect(friendlyMessage(network)).toBe("We cannot reach the server. Check your connection and try again.");

    // A request the network holds: given up at the deadline, and its fetch aborted.
    let aborted = false;
    const held = createSessionManagementService({
      baseUrl: "https://api.example",
      getToken: () => "t",
      requestTimeoutMs: 50,
      fetch: (_input, init) =>
        new Promise<Response>((_resolve, reject) => {
          init?.signal?.addEventListener("abort", () => {
            aborted = true;
            reject(new DOMException("The operation was aborted", "AbortError"));
          });
        }),
    });
    const timeout = await failure(held.getSession("s-1"));
    expect(timeout).toMatchObject({ status: 0, code: "TIMEOUT", message: "The server did not answer within 0.05 s" });
    expect(aborted).toBe(true);
    expect(friendlyMessage(timeout)).toBe("The server did not answer in time. Check your connection and try again.");

    const limited = new SessionApiError(429, "RATE_LIMITED", "Too many requests", undefined, 7);
    expect(friendlyMessage(limited)).toBe("That was a lot at once. Try again in 7 seconds.");
  });
});

describe("friendlyMessage", () => {
  it("never shows [object Object]", () => {
    for (const value of [{}, { error: { code: "X" } }, [], null, undefined, 42, new Error(""), { message: {} }]) {
      const sentence = friendlyMessage(value);
      expect(sentence).not.toContain("[object");
      expect(sentence.length).toBeGreaterThan(0);
    }
  });

  it("speaks for realtime errors too", () => {
    expect(friendlyMessage(new RealtimeError("NOT_CONNECTED", "x"))).toBe(
      "You are not connected to the session right now. Wait a moment while we reconnect.",
    );
    expect(friendlyMessage({ code: "SESSION_FULL", message: "full" })).toBe(
      "This session is full. Ask the session leader to raise the participant limit.",
    );
    expect(friendlyMessage(new Error("The song is too long"))).toBe("The song is too long.");
  });
});
