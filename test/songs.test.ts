/** Songs (CONTRACT §4 Songs): ownership, shares by user and by email, and who may start a session on a song. */
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { signDevToken } from "../src/auth/tokens";
import { api, createSong, errorCode, newUser, type TestUser } from "./helpers";

const ISO_UTC = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

async function share(owner: TestUser, songId: number, body: Record<string, unknown>) {
  return api("POST", `/songs/${songId}/share`, { user: owner, body });
}

/** The same account signed in with a token that carries another email. */
async function withEmail(user: TestUser, email: string): Promise<TestUser> {
  const token = await signDevToken({ sub: user.id, email, name: user.name }, env.JWT_SECRET);
  return { ...user, email, token };
}

async function startSession(user: TestUser, songId: number) {
  return api("POST", "/sessions", { user, body: { song_id: songId, name: "Run-through" } });
}

describe("creating and reading songs", () => {
  it("POST /songs creates a song owned by the caller", async () => {
    const owner = await newUser("writer");
    const response = await api("POST", "/songs", {
      user: owner,
      body: { title: "  Hey Jude  ", content: "[F]Hey Jude, don't make it [C]bad" },
    });
    expect(response.status).toBe(201);
    const song = response.body.data;
    expect(song).toMatchObject({
      title: "Hey Jude",
      content: "[F]Hey Jude, don't make it [C]bad",
      owner_id: owner.id,
    });
    expect(Number.isInteger(song.id)).toBe(true);
    expect(song.created_at).toMatch(ISO_UTC);
    expect(song.updated_at).toMatch(ISO_UTC);

    const read = await api("GET", `/songs/${song.id}`, { user: owner });
    expect(read.status).toBe(200);
    expect(read.body.data).toMatchObject({
      id: song.id,
      title: "Hey Jude",
      content: "[F]Hey Jude, don't make it [C]bad",
      owner_id: owner.id,
      created_at: song.created_at,
      updated_at: song.updated_at,
    });
  });

  it("an empty song text is allowed, an empty title is not", async () => {
    const owner = await newUser("writer");
    expect((await api("POST", "/songs", { user: owner, body: { title: "Blank", content: "" } })).status).toBe(201);
    for (const body of [{ title: "   ", content: "x" }, { title: "No content" }, { content: "No title" }]) {
      const response = await api("POST", "/songs", { user: owner, body });
      expect(response.status).toBe(400);
      expect(errorCode(response)).toBe("VALIDATION_ERROR");
    }
  });

  it("the owner_id cannot be chosen by the client", async () => {
    const owner = await newUser("writer");
    const response = await api("POST", "/songs", {
      user: owner,
      body: { title: "Mine", content: "", owner_id: "somebody-else", id: 999_999 },
    });
    expect(response.status).toBe(201);
    expect(response.body.data.owner_id).toBe(owner.id);
    expect(response.body.data.id).not.toBe(999_999);
  });

  it("GET /songs lists my songs and songs shared with me, and nothing else", async () => {
    const me = await newUser("lister");
    const friend = await newUser("friend");
    const stranger = await newUser("stranger");
    const mine = await createSong(me);
    const theirs = await createSong(friend);
    const unrelated = await createSong(stranger);
    expect((await share(friend, theirs.id, { user_id: me.id, permission: "read" })).status).toBe(200);

    const response = await api("GET", "/songs", { user: me });
    expect(response.status).toBe(200);
    const byId = new Map(response.body.data.songs.map((song: any) => [song.id, song]));
    expect([...byId.keys()].sort((a: any, b: any) => a - b)).toEqual([mine.id, theirs.id].sort((a, b) => a - b));
    expect(byId.has(unrelated.id)).toBe(false);
    expect((byId.get(mine.id) as any).permission).toBe("owner");
    expect((byId.get(theirs.id) as any).permission).toBe("read");
    expect((byId.get(theirs.id) as any).owner_id).toBe(friend.id);
  });

  it("a stranger gets 404 on someone else's song, and 404 for songs that do not exist", async () => {
    const owner = await newUser("owner");
    const stranger = await newUser("stranger");
    const song = await createSong(owner);
    for (const path of [`/songs/${song.id}`, "/songs/987654321"]) {
      const response = await api("GET", path, { user: stranger });
      expect(response.status).toBe(404);
      expect(errorCode(response)).toBe("NOT_FOUND");
    }
    const put = await api("PUT", `/songs/${song.id}`, { user: stranger, body: { title: "Mine now" } });
    expect(put.status).toBe(404);
    const shared = await share(stranger, song.id, { user_id: stranger.id, permission: "admin" });
    expect(shared.status).toBe(404);
    expect((await api("GET", `/songs/${song.id}`, { user: owner })).body.data.title).toBe("Let It Be");
  });
});

describe("updating songs", () => {
  it("the owner updates title and content; updated_at moves, created_at and owner stay", async () => {
    const owner = await newUser("editor");
    const song = (await api("POST", "/songs", { user: owner, body: { title: "Draft", content: "[C]" } })).body.data;
    await new Promise((resolve) => setTimeout(resolve, 5));
    const response = await api("PUT", `/songs/${song.id}`, { user: owner, body: { content: "[C] [G] [Am] [F]" } });
    expect(response.status).toBe(200);
    expect(response.body.data).toMatchObject({
      id: song.id,
      title: "Draft",
      content: "[C] [G] [Am] [F]",
      owner_id: owner.id,
      created_at: song.created_at,
    });
    expect(response.body.data.updated_at).toMatch(ISO_UTC);
    expect(response.body.data.updated_at > song.updated_at).toBe(true);

    const renamed = await api("PUT", `/songs/${song.id}`, { user: owner, body: { title: "Final" } });
    expect(renamed.body.data).toMatchObject({ title: "Final", content: "[C] [G] [Am] [F]" });
    const read = await api("GET", `/songs/${song.id}`, { user: owner });
    expect(read.body.data).toMatchObject({ title: "Final", content: "[C] [G] [Am] [F]" });
  });

  it("an update must change something valid", async () => {
    const owner = await newUser("editor");
    const song = await createSong(owner);
    for (const body of [{}, { title: "" }, { title: 7 }, { content: null }, { owner_id: "someone" }]) {
      const response = await api("PUT", `/songs/${song.id}`, { user: owner, body });
      expect(response.status).toBe(400);
      expect(errorCode(response)).toBe("VALIDATION_ERROR");
    }
    const read = await api("GET", `/songs/${song.id}`, { user: owner });
    expect(read.body.data).toMatchObject({ title: "Let It Be", content: "[C]Let it [G]be", owner_id: owner.id });
  });
});

describe("sharing", () => {
  it("a read share may GET but not PUT (403)", async () => {
    const owner = await newUser("owner");
    const reader = await newUser("reader");
    const song = await createSong(owner);
    const shared = await share(owner, song.id, { user_id: reader.id, permission: "read" });
    expect(shared.status).toBe(200);
    expect(shared.body.data).toEqual({ song_id: song.id, user_id: reader.id, email: null, permission: "read" });

    const read = await api("GET", `/songs/${song.id}`, { user: reader });
    expect(read.status).toBe(200);
    expect(read.body.data).toMatchObject({ id: song.id, content: "[C]Let it [G]be", permission: "read" });

    const put = await api("PUT", `/songs/${song.id}`, { user: reader, body: { content: "vandalised" } });
    expect(put.status).toBe(403);
    expect(errorCode(put)).toBe("FORBIDDEN");
    expect((await api("GET", `/songs/${song.id}`, { user: owner })).body.data.content).toBe("[C]Let it [G]be");
  });

  it("an edit share may PUT", async () => {
    const owner = await newUser("owner");
    const editor = await newUser("editor");
    const song = await createSong(owner);
    expect((await share(owner, song.id, { user_id: editor.id, permission: "edit" })).status).toBe(200);
    const put = await api("PUT", `/songs/${song.id}`, { user: editor, body: { content: "[D]Let it [A]be" } });
    expect(put.status).toBe(200);
    expect(put.body.data).toMatchObject({ content: "[D]Let it [A]be", owner_id: owner.id, permission: "edit" });
    expect((await api("GET", `/songs/${song.id}`, { user: owner })).body.data.content).toBe("[D]Let it [A]be");
  });

  it("sharing again changes the permission (read → edit)", async () => {
    const owner = await newUser("owner");
    const member = await newUser("member");
    const song = await createSong(owner);
    await share(owner, song.id, { user_id: member.id, permission: "read" });
    expect((await api("PUT", `/songs/${song.id}`, { user: member, body: { title: "X" } })).status).toBe(403);
    const upgraded = await share(owner, song.id, { user_id: member.id, permission: "edit" });
    expect(upgraded.status).toBe(200);
    expect(upgraded.body.data.permission).toBe("edit");
    expect((await api("PUT", `/songs/${song.id}`, { user: member, body: { title: "X" } })).status).toBe(200);
  });

  it("only the owner or an admin share may share", async () => {
    const owner = await newUser("owner");
    const editor = await newUser("editor");
    const admin = await newUser("co-admin");
    const guest = await newUser("guest");
    const song = await createSong(owner);
    await share(owner, song.id, { user_id: editor.id, permission: "edit" });
    await share(owner, song.id, { user_id: admin.id, permission: "admin" });

    const byEditor = await share(editor, song.id, { user_id: guest.id, permission: "read" });
    expect(byEditor.status).toBe(403);
    expect(errorCode(byEditor)).toBe("FORBIDDEN");
    expect((await api("GET", `/songs/${song.id}`, { user: guest })).status).toBe(404);

    const byAdmin = await share(admin, song.id, { user_id: guest.id, permission: "read" });
    expect(byAdmin.status).toBe(200);
    expect((await api("GET", `/songs/${song.id}`, { user: guest })).status).toBe(200);
  });

  it("a share names exactly one of user_id or email", async () => {
    const owner = await newUser("owner");
    const song = await createSong(owner);
    for (const body of [
      { permission: "read" },
      { user_id: "a", email: "a@example.test", permission: "read" },
      { email: "not-an-email", permission: "read" },
      { user_id: "a" },
    ]) {
      const response = await share(owner, song.id, body);
      expect(response.status).toBe(400);
      expect(errorCode(response)).toBe("VALIDATION_ERROR");
    }
  });

  it("sharing with the owner is a 409", async () => {
    const owner = await newUser("owner");
    const song = await createSong(owner);
    const response = await share(owner, song.id, { user_id: owner.id, permission: "read" });
    expect(response.status).toBe(409);
    expect(errorCode(response)).toBe("CONFLICT");
  });

  it("a share by email before the invitee ever signed in works once they sign in with that email", async () => {
    const owner = await newUser("owner");
    const invitee = await newUser("invitee"); // a token exists, but no request has been made with it yet
    const song = await createSong(owner);
    const shared = await share(owner, song.id, { email: invitee.email.toUpperCase(), permission: "edit" });
    expect(shared.status).toBe(200);
    expect(shared.body.data).toEqual({ song_id: song.id, user_id: null, email: invitee.email, permission: "edit" });

    const listed = await api("GET", "/songs", { user: invitee });
    expect(listed.body.data.songs.map((entry: any) => entry.id)).toEqual([song.id]);
    const read = await api("GET", `/songs/${song.id}`, { user: invitee });
    expect(read.status).toBe(200);
    expect(read.body.data.permission).toBe("edit");
    const put = await api("PUT", `/songs/${song.id}`, { user: invitee, body: { content: "[E]" } });
    expect(put.status).toBe(200);
  });

  it("a share by email answers the same, byte for byte, whether or not anyone uses the address", async () => {
    const owner = await newUser("owner");
    const known = await newUser("known");
    await api("GET", "/songs", { user: known }); // known has signed in: their email is in the user directory
    const song = await createSong(owner);
    const unknownEmail = "nobody-at-all@example.test";
    const raw = async (email: string) => {
      const response = await exports.default.fetch(`http://sessions.test/api/v1/songs/${song.id}/share`, {
        method: "POST",
        headers: { Authorization: `Bearer ${owner.token}`, "Content-Type": "application/json" },
        body: JSON.stringify({ email, permission: "read" }),
      });
      return { status: response.status, text: (await response.text()).replace(email, "<email>") };
    };
    const forKnown = await raw(known.email);
    const forUnknown = await raw(unknownEmail);
    expect(forKnown.status).toBe(200);
    expect(forKnown).toEqual(forUnknown);
    expect(JSON.parse(forKnown.text).data).toEqual({
      song_id: song.id,
      user_id: null,
      email: "<email>",
      permission: "read",
    });
    expect((await api("GET", `/songs/${song.id}`, { user: known })).body.data.permission).toBe("read");
  });

  it("sharing again by email lowers the permission, also after the invitee signed in", async () => {
    const owner = await newUser("owner");
    const invitee = await newUser("invitee");
    const song = await createSong(owner);
    await share(owner, song.id, { email: invitee.email, permission: "edit" });
    expect((await api("GET", `/songs/${song.id}`, { user: invitee })).body.data.permission).toBe("edit");

    const downgraded = await share(owner, song.id, { email: invitee.email, permission: "read" });
    expect(downgraded.status).toBe(200);
    expect(downgraded.body.data).toEqual({ song_id: song.id, user_id: null, email: invitee.email, permission: "read" });
    const read = await api("GET", `/songs/${song.id}`, { user: invitee });
    expect(read.body.data.permission).toBe("read");
    const put = await api("PUT", `/songs/${song.id}`, { user: invitee, body: { content: "no longer mine to edit" } });
    expect(put.status).toBe(403);
    const listed = await api("GET", "/songs", { user: invitee });
    expect(listed.body.data.songs.map((entry: any) => [entry.id, entry.permission])).toEqual([[song.id, "read"]]);
  });

  it("a share by user id and one by email are separate; each is lowered by sharing again the same way", async () => {
    const owner = await newUser("owner");
    const invitee = await newUser("invitee");
    const song = await createSong(owner);
    await share(owner, song.id, { email: invitee.email, permission: "admin" });
    expect((await api("GET", `/songs/${song.id}`, { user: invitee })).body.data.permission).toBe("admin");

    // The best of the two counts: the email share still gives admin.
    const byId = await share(owner, song.id, { user_id: invitee.id, permission: "read" });
    expect(byId.body.data).toEqual({ song_id: song.id, user_id: invitee.id, email: null, permission: "read" });
    expect((await api("GET", `/songs/${song.id}`, { user: invitee })).body.data.permission).toBe("admin");

    await share(owner, song.id, { email: invitee.email, permission: "read" });
    expect((await api("GET", `/songs/${song.id}`, { user: invitee })).body.data.permission).toBe("read");
    const reshare = await share(invitee, song.id, { user_id: "someone-else", permission: "read" });
    expect(reshare.status).toBe(403);
  });

  it("an email share follows the address: whoever holds it now has the share, not the first account that did", async () => {
    const owner = await newUser("owner");
    const first = await newUser("first");
    const address = first.email;
    await api("GET", "/songs", { user: first }); // the first account has signed in with the address
    const song = await createSong(owner);
    await share(owner, song.id, { email: address, permission: "edit" });
    expect((await api("GET", `/songs/${song.id}`, { user: first })).status).toBe(200);

    // The first account's token now carries another email; another account now holds the address.
    const firstMoved = await withEmail(first, `moved-${first.email}`);
    const next = await withEmail(await newUser("next"), address);
    expect((await api("GET", `/songs/${song.id}`, { user: firstMoved })).status).toBe(404);
    expect((await api("GET", "/songs", { user: firstMoved })).body.data.songs).toEqual([]);
    const read = await api("GET", `/songs/${song.id}`, { user: next });
    expect(read.status).toBe(200);
    expect(read.body.data.permission).toBe("edit");
    expect((await api("PUT", `/songs/${song.id}`, { user: next, body: { title: "Now mine to edit" } })).status).toBe(
      200,
    );
  });

  it("an email share gives nothing to someone signed in with another email", async () => {
    const owner = await newUser("owner");
    const other = await newUser("other");
    const song = await createSong(owner);
    await share(owner, song.id, { email: "someone-else@example.test", permission: "admin" });
    expect((await api("GET", `/songs/${song.id}`, { user: other })).status).toBe(404);
  });
});

describe("starting a session on a song", () => {
  it("the owner may", async () => {
    const owner = await newUser("owner");
    const song = await createSong(owner);
    const response = await startSession(owner, song.id);
    expect(response.status).toBe(201);
    expect(response.body.data).toMatchObject({ song_id: song.id, owner_id: owner.id, user_role: "owner" });
  });

  it.each(["edit", "admin"])("a holder of an %s share may", async (permission) => {
    const owner = await newUser("owner");
    const collaborator = await newUser("collaborator");
    const song = await createSong(owner);
    await share(owner, song.id, { user_id: collaborator.id, permission });
    const response = await startSession(collaborator, song.id);
    expect(response.status).toBe(201);
    expect(response.body.data).toMatchObject({ song_id: song.id, owner_id: collaborator.id, user_role: "owner" });
  });

  it("a holder of a read share may not (403)", async () => {
    const owner = await newUser("owner");
    const reader = await newUser("reader");
    const song = await createSong(owner);
    await share(owner, song.id, { user_id: reader.id, permission: "read" });
    const response = await startSession(reader, song.id);
    expect(response.status).toBe(403);
    expect(errorCode(response)).toBe("FORBIDDEN");
    const mine = await api("GET", "/sessions/my-sessions", { user: reader });
    expect(mine.body.data.sessions).toEqual([]);
  });

  it("a stranger gets 404, as for a song that does not exist", async () => {
    const owner = await newUser("owner");
    const stranger = await newUser("stranger");
    const song = await createSong(owner);
    for (const songId of [song.id, 987_654_321]) {
      const response = await startSession(stranger, songId);
      expect(response.status).toBe(404);
      expect(errorCode(response)).toBe("NOT_FOUND");
    }
  });
});
