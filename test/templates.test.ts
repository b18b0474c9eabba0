/** Session templates (CONTRACT §4 Templates, reference/chordme.md): the five defaults, custom templates, and their use. */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { api, createSession, createSong, errorCode, newUser, type TestUser } from "./helpers";

const ISO_UTC = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

/** The five defaults as ChordMe described them (reference/chordme.md). */
const DEFAULTS = [
  {
    name: "Band Practice",
    category: "rehearsal",
    max_participants: 8,
    auto_recording: true,
    auto_save_interval: 30,
    default_role: "viewer",
    permissions: {
      editor: ["read", "edit", "comment", "invite", "record"],
      commenter: ["read", "comment"],
      viewer: ["read", "comment"],
    },
    description: /band practice sessions with structured roles/i,
  },
  {
    name: "Music Lesson",
    category: "lesson",
    max_participants: 5,
    auto_recording: true,
    auto_save_interval: 60,
    default_role: "commenter",
    permissions: { editor: ["read", "comment"], commenter: ["read", "comment"], viewer: ["read"] },
    description: /music lessons with a teacher-student hierarchy/i,
  },
  {
    name: "Jam Session",
    category: "jamming",
    max_participants: 12,
    auto_recording: false,
    auto_save_interval: 15,
    default_role: "editor",
    permissions: {
      editor: ["read", "edit", "comment", "invite"],
      commenter: ["read", "comment"],
      viewer: ["read", "comment"],
    },
    description: /informal jamming with open collaboration/i,
  },
  {
    name: "Song Arrangement",
    category: "arrangement",
    max_participants: 6,
    auto_recording: true,
    auto_save_interval: 20,
    default_role: "viewer",
    permissions: {
      editor: ["read", "edit", "comment", "record"],
      commenter: ["read", "comment"],
      viewer: ["read", "comment"],
    },
    description: /collaborative song arrangement work/i,
  },
  {
    name: "Quick Review",
    category: "review",
    max_participants: 4,
    auto_recording: false,
    auto_save_interval: 45,
    default_role: "commenter",
    permissions: { editor: ["read", "comment"], commenter: ["read", "comment"], viewer: ["read", "comment"] },
    description: /quick song reviews and feedback/i,
  },
] as const;

const ALL_PERMISSIONS = [
  "read",
  "edit",
  "comment",
  "invite",
  "manage_participants",
  "manage_session",
  "record",
  "view_private",
];

const sorted = (values: readonly string[]) => [...values].sort();

async function listTemplates(user: TestUser, query = "") {
  const response = await api("GET", `/sessions/templates${query}`, { user });
  expect(response.status).toBe(200);
  return response.body.data.templates as any[];
}

async function templateByName(user: TestUser, name: string) {
  const template = (await listTemplates(user)).find((entry) => entry.name === name);
  expect(template, name).toBeDefined();
  return template;
}

async function createTemplate(user: TestUser, fields: Record<string, unknown> = {}) {
  const response = await api("POST", "/sessions/templates", {
    user,
    body: {
      name: "Choir Warm-up",
      category: "choir",
      permissions: { editor: ["read", "edit"], commenter: ["read", "comment"], viewer: ["read"] },
      ...fields,
    },
  });
  expect(response.status, JSON.stringify(response.body)).toBe(201);
  return response.body.data;
}

/** The permission map and role stored for a session, as projected to D1. */
async function storedSessionConfig(sessionId: string) {
  const row = await env.DB.prepare(
    "SELECT permissions, default_role, max_participants, template_id FROM sessions WHERE id = ?",
  )
    .bind(sessionId)
    .first<{ permissions: string; default_role: string; max_participants: number; template_id: number | null }>();
  expect(row).not.toBeNull();
  return { ...row!, permissions: JSON.parse(row!.permissions) };
}

describe("the five defaults", () => {
  it("are listed with ChordMe's names, categories, limits, roles, recording, auto-save and permissions", async () => {
    const user = await newUser("browser");
    const templates = await listTemplates(user);
    const defaults = templates.filter((template) => template.is_default);
    expect(sorted(defaults.map((template) => template.name))).toEqual([
      "Band Practice",
      "Jam Session",
      "Music Lesson",
      "Quick Review",
      "Song Arrangement",
    ]);
    for (const expected of DEFAULTS) {
      const template = defaults.find((entry) => entry.name === expected.name);
      expect(template, expected.name).toMatchObject({
        name: expected.name,
        category: expected.category,
        max_participants: expected.max_participants,
        auto_recording: expected.auto_recording,
        auto_save_interval: expected.auto_save_interval,
        default_role: expected.default_role,
        is_public: true,
        is_default: true,
        created_by: null,
      });
      expect(template.description, expected.name).toMatch(expected.description);
      expect(sorted(template.permissions.editor), expected.name).toEqual(sorted(expected.permissions.editor));
      expect(sorted(template.permissions.commenter), expected.name).toEqual(sorted(expected.permissions.commenter));
      expect(sorted(template.permissions.viewer), expected.name).toEqual(sorted(expected.permissions.viewer));
      expect(Number.isInteger(template.id)).toBe(true);
      expect(Number.isInteger(template.usage_count)).toBe(true);
      expect(template.created_at).toMatch(ISO_UTC);
      expect(template.updated_at).toMatch(ISO_UTC);
    }
  });

  it("each can be read by id by anyone", async () => {
    const user = await newUser("browser");
    const band = await templateByName(user, "Band Practice");
    const response = await api("GET", `/sessions/templates/${band.id}`, { user: await newUser("other") });
    expect(response.status).toBe(200);
    expect(response.body.data).toMatchObject({ name: "Band Practice", category: "rehearsal", max_participants: 8 });
  });

  it("are read-only, even for an admin (403 on PATCH and DELETE)", async () => {
    const admin = await newUser("admin", { admin: true });
    const lesson = await templateByName(admin, "Music Lesson");
    const patch = await api("PATCH", `/sessions/templates/${lesson.id}`, {
      user: admin,
      body: { max_participants: 50 },
    });
    expect(patch.status).toBe(403);
    expect(errorCode(patch)).toBe("FORBIDDEN");
    const remove = await api("DELETE", `/sessions/templates/${lesson.id}`, { user: admin });
    expect(remove.status).toBe(403);
    expect(errorCode(remove)).toBe("FORBIDDEN");
    const after = await api("GET", `/sessions/templates/${lesson.id}`, { user: admin });
    expect(after.status).toBe(200);
    expect(after.body.data.max_participants).toBe(5);
  });
});

describe("listing", () => {
  it("filters by category", async () => {
    const user = await newUser("browser");
    const lessons = await listTemplates(user, "?category=lesson");
    expect(lessons.map((template) => template.name)).toEqual(["Music Lesson"]);
    const jams = await listTemplates(user, "?category=jamming");
    expect(jams.map((template) => template.name)).toEqual(["Jam Session"]);
    expect(await listTemplates(user, "?category=no-such-category")).toEqual([]);
  });

  it("orders by usage_count desc, then name", async () => {
    const user = await newUser("organiser");
    const category = `order-${crypto.randomUUID().slice(0, 8)}`;
    const zulu = await createTemplate(user, { name: "Zulu", category });
    const alpha = await createTemplate(user, { name: "Alpha", category });
    const mike = await createTemplate(user, { name: "Mike", category });
    const names = async () => (await listTemplates(user, `?category=${category}`)).map((template) => template.name);
    expect(await names()).toEqual(["Alpha", "Mike", "Zulu"]);

    const song = await createSong(user);
    await createSession(user, { song_id: song.id, template_id: mike.id });
    expect(await names()).toEqual(["Mike", "Alpha", "Zulu"]);

    await createSession(user, { song_id: song.id, template_id: zulu.id });
    await createSession(user, { song_id: song.id, template_id: zulu.id });
    expect(await names()).toEqual(["Zulu", "Mike", "Alpha"]);

    await createSession(user, { song_id: song.id, template_id: alpha.id });
    expect(await names()).toEqual(["Zulu", "Alpha", "Mike"]);
  });

  it("a default used more than the others comes first", async () => {
    const user = await newUser("reviewer");
    const before = await listTemplates(user);
    const review = before.find((template) => template.name === "Quick Review")!;
    const highest = Math.max(...before.map((template) => template.usage_count));
    const song = await createSong(user);
    for (let use = review.usage_count; use <= highest; use += 1) {
      await createSession(user, { song_id: song.id, template_id: review.id });
    }
    const after = await listTemplates(user);
    expect(after[0].name).toBe("Quick Review");
    expect(after[0].usage_count).toBe(highest + 1);
    for (let index = 1; index < after.length; index += 1) {
      const [previous, current] = [after[index - 1], after[index]];
      const inOrder =
        previous.usage_count > current.usage_count ||
        (previous.usage_count === current.usage_count && previous.name <= current.name);
      expect(inOrder, `${previous.name} before ${current.name}`).toBe(true);
    }
  });

  it("shows public templates and mine, not others' private ones", async () => {
    const author = await newUser("author");
    const reader = await newUser("reader");
    const category = `vis-${crypto.randomUUID().slice(0, 8)}`;
    await createTemplate(author, { name: "Private one", category, is_public: false });
    await createTemplate(author, { name: "Public one", category, is_public: true });
    expect((await listTemplates(author, `?category=${category}`)).map((template) => template.name)).toEqual([
      "Private one",
      "Public one",
    ]);
    expect((await listTemplates(reader, `?category=${category}`)).map((template) => template.name)).toEqual([
      "Public one",
    ]);
  });
});

describe("custom templates", () => {
  it("the creator creates, reads, patches and deletes a template", async () => {
    const author = await newUser("author");
    const created = await createTemplate(author, {
      name: "  Choir Warm-up  ",
      description: "Scales before the set",
      max_participants: 20,
      auto_recording: true,
      auto_save_interval: 90,
      default_role: "commenter",
      settings: { idle_timeout_minutes: 120, theme: "dark" },
      is_public: true,
    });
    expect(created).toMatchObject({
      name: "Choir Warm-up",
      description: "Scales before the set",
      category: "choir",
      max_participants: 20,
      auto_recording: true,
      auto_save_interval: 90,
      default_role: "commenter",
      permissions: { editor: ["read", "edit"], commenter: ["read", "comment"], viewer: ["read"] },
      settings: { idle_timeout_minutes: 120, theme: "dark" },
      is_public: true,
      is_default: false,
      created_by: author.id,
      usage_count: 0,
    });
    expect(created.created_at).toMatch(ISO_UTC);

    const read = await api("GET", `/sessions/templates/${created.id}`, { user: author });
    expect(read.status).toBe(200);
    expect(read.body.data).toEqual(created);

    const patched = await api("PATCH", `/sessions/templates/${created.id}`, {
      user: author,
      body: { name: "Choir Warm-down", max_participants: 2, is_public: false },
    });
    expect(patched.status).toBe(200);
    expect(patched.body.data).toMatchObject({
      id: created.id,
      name: "Choir Warm-down",
      max_participants: 2,
      is_public: false,
      category: "choir",
      default_role: "commenter",
      created_by: author.id,
    });
    expect(patched.body.data.updated_at >= created.updated_at).toBe(true);

    const removed = await api("DELETE", `/sessions/templates/${created.id}`, { user: author });
    expect(removed.status).toBe(200);
    expect(removed.body.data).toEqual({ id: created.id, deleted: true });
    const gone = await api("GET", `/sessions/templates/${created.id}`, { user: author });
    expect(gone.status).toBe(404);
    expect(errorCode(gone)).toBe("NOT_FOUND");
  });

  it("fills the documented defaults", async () => {
    const author = await newUser("author");
    const created = await createTemplate(author);
    expect(created).toMatchObject({
      description: null,
      max_participants: 10,
      auto_recording: false,
      auto_save_interval: 30,
      default_role: "viewer",
      settings: {},
      is_public: false,
      is_default: false,
      usage_count: 0,
    });
  });

  it("the server decides is_default, created_by and usage_count", async () => {
    const author = await newUser("author");
    const created = await createTemplate(author, {
      is_default: true,
      created_by: null,
      usage_count: 1000,
      id: 1,
    });
    expect(created).toMatchObject({ is_default: false, created_by: author.id, usage_count: 0 });
    expect(created.id).not.toBe(1);
    const patched = await api("PATCH", `/sessions/templates/${created.id}`, {
      user: author,
      body: { name: "Renamed", is_default: true, usage_count: 5, created_by: "someone-else" },
    });
    expect(patched.status).toBe(200);
    expect(patched.body.data).toMatchObject({
      name: "Renamed",
      is_default: false,
      usage_count: 0,
      created_by: author.id,
    });
    // Deleting it is still the creator's right: it did not become a read-only default.
    expect((await api("DELETE", `/sessions/templates/${created.id}`, { user: author })).status).toBe(200);
  });

  it("another user may read my public template but gets 403 on PATCH and DELETE", async () => {
    const author = await newUser("author");
    const other = await newUser("other");
    const created = await createTemplate(author, { is_public: true });
    expect((await api("GET", `/sessions/templates/${created.id}`, { user: other })).status).toBe(200);

    const patch = await api("PATCH", `/sessions/templates/${created.id}`, { user: other, body: { name: "Hijacked" } });
    expect(patch.status).toBe(403);
    expect(errorCode(patch)).toBe("FORBIDDEN");
    const remove = await api("DELETE", `/sessions/templates/${created.id}`, { user: other });
    expect(remove.status).toBe(403);
    expect(errorCode(remove)).toBe("FORBIDDEN");

    const admin = await newUser("admin", { admin: true });
    expect(
      (await api("PATCH", `/sessions/templates/${created.id}`, { user: admin, body: { name: "Hijacked" } })).status,
    ).toBe(403);

    const after = await api("GET", `/sessions/templates/${created.id}`, { user: author });
    expect(after.body.data).toEqual(created);
  });

  it("another user cannot see my private template at all (404)", async () => {
    const author = await newUser("author");
    const other = await newUser("other");
    const created = await createTemplate(author, { is_public: false });
    for (const [method, body] of [
      ["GET", undefined],
      ["PATCH", { name: "Peek" }],
      ["DELETE", undefined],
    ] as const) {
      const response = await api(method, `/sessions/templates/${created.id}`, { user: other, body });
      expect(response.status, method).toBe(404);
      expect(errorCode(response), method).toBe("NOT_FOUND");
    }
    const song = await createSong(other);
    const session = await api("POST", "/sessions", {
      user: other,
      body: { song_id: song.id, name: "Borrowed", template_id: created.id },
    });
    expect(session.status).toBe(404);
    expect(errorCode(session)).toBe("NOT_FOUND");
    expect((await api("GET", `/sessions/templates/${created.id}`, { user: author })).body.data).toEqual(created);
  });

  it.each([
    ["max_participants 1", { max_participants: 1 }, "max_participants"],
    ["max_participants 51", { max_participants: 51 }, "max_participants"],
    ["max_participants 2.5", { max_participants: 2.5 }, "max_participants"],
    ["an empty name", { name: "  " }, "name"],
    ["the owner as default role", { default_role: "owner" }, "default_role"],
    ["an unknown permission", { permissions: { editor: ["fly"], commenter: [], viewer: [] } }, "permissions.editor.0"],
    ["a missing role in the map", { permissions: { editor: [], commenter: [] } }, "permissions.viewer"],
    ["auto_save_interval 0", { auto_save_interval: 0 }, "auto_save_interval"],
    ["a string for auto_recording", { auto_recording: "yes" }, "auto_recording"],
  ])("%s is a 400 on create and on patch", async (_label, fields, path) => {
    const author = await newUser("author");
    const created = await api("POST", "/sessions/templates", {
      user: author,
      body: {
        name: "Checked",
        category: "checks",
        permissions: { editor: ["read"], commenter: ["read"], viewer: ["read"] },
        ...fields,
      },
    });
    expect(created.status).toBe(400);
    expect(errorCode(created)).toBe("VALIDATION_ERROR");
    expect(created.body.error.details.map((issue: any) => issue.path)).toContain(path);

    const template = await createTemplate(author, { category: "checks" });
    const patched = await api("PATCH", `/sessions/templates/${template.id}`, { user: author, body: fields });
    expect(patched.status).toBe(400);
    expect(errorCode(patched)).toBe("VALIDATION_ERROR");
    expect((await api("GET", `/sessions/templates/${template.id}`, { user: author })).body.data).toEqual(template);
  });

  it("an empty PATCH is a 400", async () => {
    const author = await newUser("author");
    const template = await createTemplate(author);
    const response = await api("PATCH", `/sessions/templates/${template.id}`, { user: author, body: {} });
    expect(response.status).toBe(400);
    expect(errorCode(response)).toBe("VALIDATION_ERROR");
  });
});

describe("using a template on session create", () => {
  it("Music Lesson applies its limit, default role, recording, auto-save and permission map", async () => {
    const teacher = await newUser("teacher");
    const lesson = await templateByName(teacher, "Music Lesson");
    const song = await createSong(teacher);
    const response = await api("POST", "/sessions", {
      user: teacher,
      body: { song_id: song.id, name: "Lesson 1", template_id: lesson.id },
    });
    expect(response.status).toBe(201);
    const session = response.body.data;
    expect(session).toMatchObject({
      template_id: lesson.id,
      max_participants: 5,
      default_role: "commenter",
      user_role: "owner",
      is_recording: true,
    });
    expect(session.settings).toMatchObject({ auto_recording: true, auto_save_interval: 60 });
    expect(sorted(session.permissions)).toEqual(sorted(ALL_PERMISSIONS));

    const view = await api("GET", `/sessions/${session.id}`, { user: teacher });
    expect(view.status).toBe(200);
    expect(view.body.data).toMatchObject({ max_participants: 5, is_recording: true, user_role: "owner" });
    expect(view.body.data.settings.auto_recording).toBe(true);

    const stored = await storedSessionConfig(session.id);
    expect(stored.template_id).toBe(lesson.id);
    expect(stored.default_role).toBe("commenter");
    expect(stored.max_participants).toBe(5);
    expect(sorted(stored.permissions.editor)).toEqual(["comment", "read"]);
    expect(sorted(stored.permissions.commenter)).toEqual(["comment", "read"]);
    expect(sorted(stored.permissions.viewer)).toEqual(["read"]);
  });

  it("without a template a session gets the default map, limit 10 and no recording", async () => {
    const owner = await newUser("owner");
    const session = await createSession(owner);
    expect(session).toMatchObject({ template_id: null, max_participants: 10, is_recording: false });
    expect(session.settings.auto_recording).toBe(false);
    const stored = await storedSessionConfig(session.id);
    expect(sorted(stored.permissions.editor)).toEqual(["comment", "edit", "invite", "read", "record"]);
    expect(sorted(stored.permissions.commenter)).toEqual(["comment", "read"]);
    expect(sorted(stored.permissions.viewer)).toEqual(["read"]);
  });

  it("explicit fields in the request override the template", async () => {
    const teacher = await newUser("teacher");
    const lesson = await templateByName(teacher, "Music Lesson");
    const session = await createSession(teacher, {
      template_id: lesson.id,
      max_participants: 3,
      settings: { auto_save_interval: 10 },
    });
    expect(session.max_participants).toBe(3);
    expect(session.settings).toMatchObject({ auto_save_interval: 10, auto_recording: true });

    const big = await createSession(teacher, { template_id: lesson.id, max_participants: 40 });
    expect(big.max_participants).toBe(40);
  });

  it("a custom template's settings and permissions are applied", async () => {
    const author = await newUser("author");
    const template = await createTemplate(author, {
      max_participants: 7,
      default_role: "editor",
      auto_recording: false,
      auto_save_interval: 120,
      settings: { idle_timeout_minutes: 45, theme: "stage" },
      permissions: { editor: ["read", "edit", "invite"], commenter: ["read"], viewer: ["read"] },
    });
    const session = await createSession(author, { template_id: template.id });
    expect(session).toMatchObject({ max_participants: 7, default_role: "editor", is_recording: false });
    expect(session.settings).toMatchObject({
      idle_timeout_minutes: 45,
      theme: "stage",
      auto_save_interval: 120,
      auto_recording: false,
    });
    const stored = await storedSessionConfig(session.id);
    expect(sorted(stored.permissions.editor)).toEqual(["edit", "invite", "read"]);
    expect(stored.permissions.commenter).toEqual(["read"]);
  });

  it("usage_count goes up by exactly one per session created, and not for a refused create", async () => {
    const user = await newUser("counter");
    const category = `usage-${crypto.randomUUID().slice(0, 8)}`;
    const template = await createTemplate(user, { category });
    const song = await createSong(user);
    await createSession(user, { song_id: song.id, template_id: template.id });
    const once = await api("GET", `/sessions/templates/${template.id}`, { user });
    expect(once.body.data.usage_count).toBe(1);

    const refused = await api("POST", "/sessions", {
      user,
      body: { song_id: 987_654_321, name: "No song", template_id: template.id },
    });
    expect(refused.status).toBe(404);
    const invalid = await api("POST", "/sessions", {
      user,
      body: { song_id: song.id, name: "", template_id: template.id },
    });
    expect(invalid.status).toBe(400);
    expect((await api("GET", `/sessions/templates/${template.id}`, { user })).body.data.usage_count).toBe(1);

    await createSession(user, { song_id: song.id, template_id: template.id });
    expect((await api("GET", `/sessions/templates/${template.id}`, { user })).body.data.usage_count).toBe(2);
  });

  it("a default's usage_count goes up by one", async () => {
    const user = await newUser("jammer");
    const before = await templateByName(user, "Jam Session");
    await createSession(user, { template_id: before.id });
    const after = await api("GET", `/sessions/templates/${before.id}`, { user });
    expect(after.body.data.usage_count).toBe(before.usage_count + 1);
  });

  it("an unknown template is a 404", async () => {
    const user = await newUser("owner");
    const song = await createSong(user);
    const response = await api("POST", "/sessions", {
      user,
      body: { song_id: song.id, name: "Ghost", template_id: 987_654 },
    });
    expect(response.status).toBe(404);
    expect(errorCode(response)).toBe("NOT_FOUND");
  });
});
