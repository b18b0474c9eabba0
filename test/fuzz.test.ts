/**
 * Seeded fuzz of every mutating route (those the OpenAPI document lists with POST, PUT, PATCH or DELETE, and the
 * WebSocket upgrade), plus the paged listing: whatever arrives, the answer is never a 5xx, a refusal is always the
 * error envelope (or, after an upgrade, a socket announced closed with one of the contract's codes), and a refused
 * request changes nothing.
 */
import { env } from "cloudflare:workers";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { app } from "../src/api/app";
import { type ApiResponse, errorCode, newUser, type TestUser } from "./helpers";

const SEED = 20_261_127;
/** Mutating requests per user before switching to a fresh one; the limiter allows 120 a minute. */
const REQUESTS_PER_USER = 50;

/**
 * Like `api` in helpers.ts, but hands the request to the app in this isolate. In the test runtime every call
 * through the Worker's entrypoint costs a little more than the one before, which a loop of a thousand requests
 * turns into minutes; the app object is the same one the entrypoint serves.
 */
async function api(
  method: string,
  path: string,
  options: { user?: TestUser; body?: unknown; rawBody?: string; contentType?: string | null } = {},
): Promise<ApiResponse> {
  const headers: Record<string, string> = {};
  if (options.user) headers.Authorization = `Bearer ${options.user.token}`;
  const text = options.body !== undefined ? JSON.stringify(options.body) : options.rawBody;
  // Bytes rather than a string, so that no Content-Type is added when the request is to have none.
  const body = text === undefined ? undefined : new TextEncoder().encode(text);
  if (body !== undefined && options.contentType !== null) {
    headers["Content-Type"] = options.contentType ?? "application/json";
  }
  const pending: Promise<unknown>[] = [];
  const context = {
    waitUntil: (promise: Promise<unknown>) => void pending.push(promise),
    passThroughOnException: () => {},
    props: {},
  } as unknown as ExecutionContext;
  const response = await app.fetch(
    new Request(`http://sessions.test/api/v1${path}`, { method, headers, body }),
    env,
    context,
  );
  const answer = await response.text();
  await Promise.allSettled(pending);
  let parsed: unknown = answer;
  try {
    parsed = answer ? JSON.parse(answer) : null;
  } catch {
    // not JSON: keep the text
  }
  return { status: response.status, headers: response.headers, body: parsed };
}

/** The resources the fuzz aims at. */
interface World {
  owner: TestUser;
  songId: number;
  templateId: number;
  sessionId: string;
  /** An editor of the session. */
  member: TestUser;
  /** Someone with a pending invitation to the session. */
  invitee: TestUser;
  invitationId: string;
}

async function createWorld(): Promise<World> {
  const owner = await newUser("fuzz-owner");
  const member = await newUser("fuzz-member");
  const invitee = await newUser("fuzz-invitee");
  const song = await api("POST", "/songs", { user: owner, body: { title: "Fuzz", content: "[C]Fuzzy [G]logic" } });
  expect(song.status).toBe(201);
  const template = await api("POST", "/sessions/templates", {
    user: owner,
    body: {
      name: "Fuzz target",
      category: "fuzz",
      is_public: true,
      permissions: { editor: ["read", "edit", "comment"], commenter: ["read", "comment"], viewer: ["read"] },
    },
  });
  expect(template.status).toBe(201);
  const session = await api("POST", "/sessions", {
    user: owner,
    body: { song_id: song.body.data.id, name: "Fuzz session", access_mode: "invite-only" },
  });
  expect(session.status).toBe(201);
  const sessionId = session.body.data.id;
  const invited = await api("POST", `/sessions/${sessionId}/invite`, {
    user: owner,
    body: {
      users: [
        { user_id: member.id, role: "editor" },
        { user_id: invitee.id, role: "viewer" },
      ],
    },
  });
  expect(invited.status).toBe(200);
  expect((await api("POST", `/sessions/${sessionId}/join`, { user: member })).status).toBe(200);
  const invitations = (await api("GET", "/sessions/my-invitations", { user: invitee })).body.data.invitations;
  expect(invitations).toHaveLength(1);
  return {
    owner,
    songId: song.body.data.id,
    templateId: template.body.data.id,
    sessionId,
    member,
    invitee,
    invitationId: invitations[0].id,
  };
}

// ---------------------------------------------------------------- requests

type IdChoice = { kind: "world" } | { kind: "other"; value: string };

interface FuzzRequest {
  route: number;
  id: IdChoice;
  query: string;
  body: { kind: "none" } | { kind: "json"; value: unknown } | { kind: "raw"; text: string };
  contentType: string | null;
}

type IdOf = (kind: "song" | "template" | "session" | "invitation" | "member") => string;

interface Route {
  /** The route as the OpenAPI document names it. */
  name: string;
  method: string;
  path: (id: IdOf) => string;
  /** A valid body for it, which the fuzz then bends. */
  valid: (world: World) => Record<string, unknown>;
}

const route = (name: string, valid: Route["valid"] = () => ({})): Route => {
  const [method, template] = name.split(" ") as [string, string];
  const kinds: Record<string, Parameters<IdOf>[0]> = { userId: "member", invitationId: "invitation" };
  return {
    name,
    method,
    // "{id}" is the song's under /songs, the template's under /sessions/templates, else the session's.
    path: (id) =>
      template.replace(/\{(\w+)\}/g, (_whole, param: string) => {
        if (param === "n") return "1";
        if (param !== "id") return id(kinds[param]!);
        if (template.startsWith("/songs")) return id("song");
        return id(template.startsWith("/sessions/templates") ? "template" : "session");
      }),
    valid,
  };
};

/** The WebSocket upgrade: not a REST route, but it changes who is online and is served before any middleware. */
const UPGRADE = "GET /sessions/{id}/ws";

/**
 * Every mutating route: each POST, PUT, PATCH and DELETE of the OpenAPI document (the ticket among them), and the
 * WebSocket upgrade. A test below holds this list to the document.
 */
const MUTATING_ROUTES: Route[] = [
  route("POST /dev/token", () => ({ sub: "fuzz-dev", name: "Fuzz" })),
  route("POST /songs", () => ({ title: "Fuzzed", content: "[Am]" })),
  route("PUT /songs/{id}", () => ({ title: "Renamed by fuzz" })),
  route("POST /songs/{id}/share", () => ({ user_id: "fuzz-friend", permission: "read" })),
  route("POST /songs/{id}/versions/{n}/restore"),
  route("POST /sessions/templates", () => ({
    name: "Fuzzed template",
    category: "fuzz",
    permissions: { editor: [], commenter: [], viewer: [] },
  })),
  route("PATCH /sessions/templates/{id}", () => ({ name: "Patched" })),
  route("DELETE /sessions/templates/{id}"),
  route("POST /sessions/cleanup", () => ({ dry_run: true })),
  route("POST /sessions", (world) => ({
    song_id: world.songId,
    name: "Fuzzed session",
    template_id: world.templateId,
  })),
  route("PATCH /sessions/{id}", () => ({ name: "Patched session" })),
  route("POST /sessions/{id}/pause"),
  route("POST /sessions/{id}/resume"),
  route("POST /sessions/{id}/end"),
  route("POST /sessions/{id}/invitation-code/rotate"),
  route("POST /sessions/{id}/join", () => ({ invitation_code: "AAAAAAAAAAA" })),
  route("POST /sessions/{id}/leave"),
  route("POST /sessions/{id}/invite", () => ({ users: [{ email: "fuzz-guest@example.test", role: "viewer" }] })),
  route("DELETE /sessions/{id}/invitations/{invitationId}"),
  route("POST /sessions/my-invitations/{invitationId}/decline"),
  route("PATCH /users/me", () => ({ notifications_enabled: false })),
  route("PATCH /sessions/{id}/participants/{userId}", () => ({ role: "commenter" })),
  route("DELETE /sessions/{id}/participants/{userId}"),
  route("POST /sessions/{id}/transfer", (world) => ({ user_id: world.member.id })),
  route("POST /sessions/{id}/ticket"),
  route("POST /sessions/{id}/recording/start"),
  route("POST /sessions/{id}/recording/stop"),
  route(UPGRADE),
];

/** Read routes fuzzed along with them: a song's versions and the paged listings. */
const ROUTES: Route[] = [
  ...MUTATING_ROUTES,
  route("GET /songs/{id}/versions"),
  route("GET /sessions/my-sessions"),
  route("GET /sessions/{id}/invitations"),
];

const FIELD_NAMES = [
  "users",
  "role",
  "invitation_code",
  "message",
  "dry_run",
  "sub",
  "admin",
  "title",
  "content",
  "user_id",
  "email",
  "permission",
  "name",
  "description",
  "category",
  "max_participants",
  "auto_recording",
  "auto_save_interval",
  "default_role",
  "permissions",
  "settings",
  "is_public",
  "is_default",
  "song_id",
  "template_id",
  "access_mode",
  "idle_timeout_minutes",
  "archive_after_days",
  "notifications_enabled",
  "editor",
  "commenter",
  "viewer",
  "__proto__",
  "constructor",
];

const scalar = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: "grapheme", maxLength: 20 }),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.constantFrom("read", "edit", "admin", "owner", "editor", "viewer", "commenter", "manage_session"),
  fc.constantFrom("public", "link-access", "invite-only", "active", "", "   ", "a@b.c", "not-an-email"),
  fc.constantFrom(0, 1, 2, 5, 50, 51, -1, 3600, 1e308, -0, Number.MAX_SAFE_INTEGER + 2, 2 ** 53),
);

const { value: jsonish } = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    scalar,
    fc.array(tie("value"), { maxLength: 5 }),
    fc.dictionary(fc.oneof(fc.constantFrom(...FIELD_NAMES), fc.string({ maxLength: 8 })), tie("value"), {
      maxKeys: 6,
    }),
  ),
}));

/** A value nested thousands of levels deep, still under 64 KiB as JSON. */
const deepValue = fc
  .tuple(fc.integer({ min: 50, max: 9_000 }), fc.boolean())
  .map(([depth, arrays]) => ({ depth, arrays }));

const hugeString = fc
  .tuple(fc.integer({ min: 1_000, max: 62_000 }), fc.constantFrom("x", "é", "🎸", "\u0000", '"', "\\", " "))
  .map(([length, char]) => char.repeat(length));

/** Sets an own property, even one named `__proto__`, without touching any prototype. */
function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** Builds JSON text for a body holding a deep value at `path`; JSON.stringify itself cannot nest that far. */
function deepJson(base: Record<string, unknown>, path: string[], deep: { depth: number; arrays: boolean }): string {
  const open = deep.arrays ? "[" : '{"a":';
  const close = deep.arrays ? "]" : "}";
  const nested = `${open.repeat(deep.depth)}1${close.repeat(deep.depth)}`;
  const marker = "__DEEP_VALUE__";
  let target = base;
  for (const key of path.slice(0, -1)) {
    const next = Object.hasOwn(target, key) ? target[key] : undefined;
    const child = next && typeof next === "object" && !Array.isArray(next) ? (next as Record<string, unknown>) : {};
    setOwn(target, key, child);
    target = child;
  }
  setOwn(target, path[path.length - 1]!, marker);
  return JSON.stringify(base).replace(JSON.stringify(marker), nested);
}

type BodyPlan =
  | { kind: "none" }
  | { kind: "valid" }
  | { kind: "set"; key: string; value: unknown }
  | { kind: "drop"; key: string }
  | { kind: "any"; value: unknown }
  | { kind: "huge"; key: string; value: string }
  | { kind: "deep"; path: string[]; deep: { depth: number; arrays: boolean } }
  | { kind: "text"; text: string };

const bodyPlan: fc.Arbitrary<BodyPlan> = fc.oneof(
  { weight: 1, arbitrary: fc.constant<BodyPlan>({ kind: "none" }) },
  { weight: 2, arbitrary: fc.constant<BodyPlan>({ kind: "valid" }) },
  {
    weight: 4,
    arbitrary: fc.record({ kind: fc.constant("set" as const), key: fc.constantFrom(...FIELD_NAMES), value: jsonish }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("drop" as const), key: fc.constantFrom(...FIELD_NAMES) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("any" as const), value: jsonish }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("huge" as const),
      key: fc.constantFrom(...FIELD_NAMES),
      value: hugeString,
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("deep" as const),
      path: fc.oneof(
        fc.constantFrom("settings.x", "settings", "permissions.editor", "title", "name").map((path) => path.split(".")),
        fc.array(fc.constantFrom(...FIELD_NAMES), { minLength: 1, maxLength: 3 }),
      ),
      deep: deepValue,
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("text" as const),
      text: fc.oneof(
        fc.string({ maxLength: 60 }),
        fc.constantFrom("{", "[1,2", "nul", "{'a':1}", '{"title":"x",}', "\u0000", "undefined", "NaN", "--"),
      ),
    }),
  },
);

const queryString = fc.oneof(
  fc.constant(""),
  fc
    .dictionary(
      fc.oneof(
        fc.constantFrom(
          "limit",
          "cursor",
          "status",
          "role",
          "category",
          "song_id",
          "dry_run",
          "ticket",
          "client_id",
          "since_rev",
        ),
        fc.string({ maxLength: 8 }),
      ),
      fc.oneof(
        fc.string({ maxLength: 30 }),
        fc.integer().map(String),
        fc.constantFrom("abc", "-1", "0", "1000", "1e3", "0x10", "active", "owner", "declined", "[]", "%", "null", ""),
      ),
      { maxKeys: 4 },
    )
    .map((entries) => `?${new URLSearchParams(entries).toString()}`),
  fc.constantFrom("?limit=%", "?limit=%E0%A4%A", "?a=%zz&limit=5", "?limit[]=1", "?&&&", "?limit=1&limit=2", "?=x"),
);

const idChoice: fc.Arbitrary<IdChoice> = fc.oneof(
  { weight: 4, arbitrary: fc.constant<IdChoice>({ kind: "world" }) },
  {
    weight: 1,
    arbitrary: fc
      .oneof(
        fc.constantFrom("0", "-1", "abc", "1e3", "99999999999999999999", "1.0", "%20", "null", "..", "5"),
        fc.uuid(),
        fc.string({ minLength: 1, maxLength: 12 }).map(encodeURIComponent),
      )
      .map((value): IdChoice => ({ kind: "other", value })),
  },
);

const contentType = fc.oneof(
  { weight: 6, arbitrary: fc.constant("application/json") },
  {
    weight: 1,
    arbitrary: fc.constantFrom<string | null>(
      null,
      "",
      "text/plain",
      "application/json; charset=utf-8",
      "multipart/form-data",
    ),
  },
);

const fuzzRequest = fc.record({
  route: fc.integer({ min: 0, max: ROUTES.length - 1 }),
  id: idChoice,
  query: queryString,
  plan: bodyPlan,
  contentType,
});

type PlannedRequest = typeof fuzzRequest extends fc.Arbitrary<infer T> ? T : never;

function materialise(request: PlannedRequest, world: World): FuzzRequest {
  const base = ROUTES[request.route]!.valid(world);
  const plan = request.plan;
  let body: FuzzRequest["body"];
  switch (plan.kind) {
    case "none":
      body = { kind: "none" };
      break;
    case "valid":
      body = { kind: "json", value: base };
      break;
    case "set":
      body = { kind: "json", value: { ...base, [plan.key]: plan.value } };
      break;
    case "drop": {
      const { [plan.key]: _dropped, ...rest } = base;
      body = { kind: "json", value: rest };
      break;
    }
    case "any":
      body = { kind: "json", value: plan.value };
      break;
    case "huge":
      body = { kind: "json", value: { ...base, [plan.key]: plan.value } };
      break;
    case "deep":
      body = { kind: "raw", text: deepJson(structuredClone(base), plan.path, plan.deep) };
      break;
    case "text":
      body = { kind: "raw", text: plan.text };
      break;
  }
  return { route: request.route, id: request.id, query: request.query, body, contentType: request.contentType };
}

function pathOf(request: FuzzRequest, world: World): string {
  const id: IdOf = (kind) => {
    if (request.id.kind === "other") return request.id.value;
    const ids = {
      song: world.songId,
      template: world.templateId,
      session: world.sessionId,
      invitation: world.invitationId,
      member: world.member.id,
    };
    return String(ids[kind]);
  };
  return `${ROUTES[request.route]!.path(id)}${request.query}`;
}

const isMutating = (request: { route: number }) => request.route < MUTATING_ROUTES.length;

function bodyText(request: FuzzRequest): string | undefined {
  if (request.body.kind === "none") return undefined;
  if (request.body.kind === "raw") return request.body.text;
  // JSON.stringify gives undefined for a bare undefined; an empty body stands for it.
  return JSON.stringify(request.body.value) ?? "";
}

/** The contract's close codes (CONTRACT.md §6), any of which a socket refused after its upgrade may announce. */
const CLOSE_CODES = [4401, 4403, 4404, 4409, 4410, 4429, 1009];

/**
 * The WebSocket upgrade, handed to the app like `api`, with the user's sign-in token. A 101 is answered as status
 * 101 with the socket's first message as the body: a `welcome`, or the `closing` of a socket refused after the
 * upgrade. A welcomed socket is closed again, and the call returns once the session no longer counts its user
 * online, so that what the socket changed has settled before the state is read.
 */
async function upgrade(path: string, user: TestUser, world: World): Promise<ApiResponse> {
  const pending: Promise<unknown>[] = [];
  const context = {
    waitUntil: (promise: Promise<unknown>) => void pending.push(promise),
    passThroughOnException: () => {},
    props: {},
  } as unknown as ExecutionContext;
  const response = await app.fetch(
    new Request(`http://sessions.test/api/v1${path}`, {
      headers: { Upgrade: "websocket", Authorization: `Bearer ${user.token}` },
    }),
    env,
    context,
  );
  if (response.status !== 101 || !response.webSocket) {
    const answer = await response.text();
    await Promise.allSettled(pending);
    let parsed: unknown = answer;
    try {
      parsed = answer ? JSON.parse(answer) : null;
    } catch {
      // not JSON: keep the text
    }
    return { status: response.status, headers: response.headers, body: parsed };
  }
  const socket = response.webSocket;
  const first = new Promise<{ type: string; code?: number }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`nothing arrived after the upgrade of ${path}`)), 20_000);
    socket.addEventListener("message", (event) => {
      clearTimeout(timer);
      resolve(JSON.parse(event.data as string));
    });
    socket.addEventListener("close", (event) => {
      clearTimeout(timer);
      resolve({ type: "close", code: event.code });
    });
  });
  socket.accept();
  const message = await first;
  socket.close(1000, "fuzz");
  await Promise.allSettled(pending);
  if (message.type === "welcome") {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const view = await api("GET", `/sessions/${world.sessionId}`, { user });
      if (view.status !== 200 || view.body.data.online_count === 0) break;
      if (Date.now() > deadline) throw new Error("the session still counts a closed socket online");
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }
  return { status: 101, headers: response.headers, body: message };
}

async function send(request: FuzzRequest, world: World, user: TestUser): Promise<ApiResponse> {
  const route = ROUTES[request.route]!;
  if (route.name === UPGRADE) return upgrade(pathOf(request, world), user, world);
  const method = route.method;
  const rawBody = method === "GET" ? undefined : bodyText(request);
  if (rawBody === undefined) return api(method, pathOf(request, world), { user });
  return api(method, pathOf(request, world), { user, rawBody, contentType: request.contentType });
}

function describeRequest(request: FuzzRequest, world: World): string {
  const body = bodyText(request) ?? "(no body)";
  return `${ROUTES[request.route]!.method} ${pathOf(request, world)} [${request.contentType}] ${body.slice(0, 300)}`;
}

/** A refusal: an error status, or a socket announced closed right after its upgrade. */
const isRefusal = (response: ApiResponse) => response.status >= 400 || response.body?.type === "closing";

/**
 * Never a 5xx; a refusal is the error envelope; a success is the success envelope; an upgrade is welcomed or its
 * socket announced closed with one of the contract's codes.
 */
function expectWellFormed(response: ApiResponse, label: string): void {
  if (response.status === 101) {
    if (response.body.type === "closing") expect(CLOSE_CODES, label).toContain(response.body.code);
    else expect(response.body.type, label).toBe("welcome");
    return;
  }
  expect(response.status, label).toBeLessThan(500);
  if (response.status >= 400) {
    expect(errorCode(response), `${label} → ${response.status} ${JSON.stringify(response.body)}`).not.toBeNull();
  } else {
    expect(response.body?.status, label).toBe("success");
    expect(response.body, label).toHaveProperty("data");
  }
}

// ---------------------------------------------------------------- state

async function readState(world: World, options: { templateUsage: boolean }) {
  const read = async (path: string, user = world.owner) => {
    const response = await api("GET", path, { user });
    return { status: response.status, body: response.body };
  };
  const template = await read(`/sessions/templates/${world.templateId}`);
  // Outsiders may start sessions of their own with a public template: that counts a use, it changes nothing else.
  if (!options.templateUsage && template.body?.data) delete template.body.data.usage_count;
  // A running recording's duration grows by itself.
  const recording = await read(`/sessions/${world.sessionId}/recording/status`);
  if (recording.body?.data?.is_recording) delete recording.body.data.duration_ms;
  const recordings = await read(`/sessions/${world.sessionId}/recordings`);
  for (const manifest of recordings.body?.data?.recordings ?? []) {
    if (manifest.status === "recording") delete manifest.duration_ms;
  }
  const songs = await read("/songs");
  const sessions = await read("/sessions/my-sessions?limit=100");
  return {
    song: await read(`/songs/${world.songId}`),
    template,
    session: await read(`/sessions/${world.sessionId}`),
    recording,
    recordings,
    invitations: await read("/sessions/my-invitations", world.invitee),
    songIds: songs.body.data.songs.map((song: { id: number }) => song.id),
    sessionIds: sessions.body.data.sessions.map((session: { id: string }) => session.id),
  };
}

// ---------------------------------------------------------------- properties

describe("fuzz", () => {
  it("covers every mutating route: each POST, PUT, PATCH and DELETE of the OpenAPI document, and the upgrade", async () => {
    const document = await api("GET", "/openapi.json");
    expect(document.status).toBe(200);
    const documented = Object.entries(document.body.paths as Record<string, Record<string, unknown>>).flatMap(
      ([path, operations]) =>
        Object.keys(operations)
          .filter((method) => ["post", "put", "patch", "delete"].includes(method))
          .map((method) => `${method.toUpperCase()} ${path}`),
    );
    const fuzzed = MUTATING_ROUTES.map((route) => route.name);
    // 27 REST routes and the WebSocket upgrade: a route added to the service must be added here.
    expect(fuzzed).toHaveLength(28);
    expect(new Set(fuzzed).size).toBe(fuzzed.length);
    expect(documented).toContain("POST /sessions/{id}/ticket");
    expect([...fuzzed].sort()).toEqual([...documented, UPGRADE].sort());
  });

  it("outsiders: nothing they send breaks the service or changes another user's song, template or session", async () => {
    const world = await createWorld();
    const before = await readState(world, { templateUsage: false });
    expect(before.song.status).toBe(200);
    expect(before.session.status).toBe(200);

    let actor: TestUser | null = null;
    let sent = 0;
    let rotations = 0;
    const nextActor = async () => {
      rotations += 1;
      const user = await newUser(rotations % 2 === 0 ? "fuzz-reader" : "fuzz-stranger");
      if (rotations % 2 === 0) {
        // Half of them may read the song, so they get past "not found" to "not allowed".
        const shared = await api("POST", `/songs/${world.songId}/share`, {
          user: world.owner,
          body: { user_id: user.id, permission: "read" },
        });
        expect(shared.status).toBe(200);
      }
      return user;
    };

    await fc.assert(
      fc.asyncProperty(fuzzRequest, async (planned) => {
        if (!actor || sent >= REQUESTS_PER_USER) {
          actor = await nextActor();
          sent = 0;
        }
        const request = materialise(planned, world);
        if (isMutating(request)) sent += 1;
        const response = await send(request, world, actor);
        expectWellFormed(response, describeRequest(request, world));
      }),
      { seed: SEED, numRuns: 300, endOnFailure: true },
    );

    const after = await readState(world, { templateUsage: false });
    expect(after).toEqual(before);
  }, 180_000);

  it("the owner: a refused request changes nothing", async () => {
    let world = await createWorld();
    let sent = 0;
    let state = await readState(world, { templateUsage: true });
    let accepted = 0;
    let refused = 0;

    await fc.assert(
      fc.asyncProperty(fuzzRequest, async (planned) => {
        if (sent >= REQUESTS_PER_USER) {
          world = await createWorld();
          state = await readState(world, { templateUsage: true });
          sent = 0;
        }
        const request = materialise(planned, world);
        if (isMutating(request)) sent += 1;
        const response = await send(request, world, world.owner);
        const label = describeRequest(request, world);
        expectWellFormed(response, label);
        const next = await readState(world, { templateUsage: true });
        if (isRefusal(response)) {
          refused += 1;
          expect(next, `${label} → ${response.status} changed the state`).toEqual(state);
        } else {
          accepted += 1;
        }
        state = next;
      }),
      { seed: SEED + 1, numRuns: 200, endOnFailure: true },
    );
    // The fuzz reached both sides: some requests went through, most were refused.
    expect(accepted).toBeGreaterThan(10);
    expect(refused).toBeGreaterThan(50);
  }, 300_000);

  it("deeply nested free-form settings are refused or accepted, never a 500", async () => {
    const world = await createWorld();
    const deep = `{"x":${"[".repeat(5_000)}1${"]".repeat(5_000)}}`;
    const requests: [string, string, string][] = [
      [
        "POST",
        "/sessions/templates",
        `{"name":"Deep","category":"deep","permissions":{"editor":[],"commenter":[],"viewer":[]},"settings":${deep}}`,
      ],
      ["PATCH", `/sessions/templates/${world.templateId}`, `{"settings":${deep}}`],
      ["POST", "/sessions", `{"song_id":${world.songId},"name":"Deep","settings":${deep}}`],
      ["PATCH", `/sessions/${world.sessionId}`, `{"settings":${deep}}`],
    ];
    for (const [method, path, rawBody] of requests) {
      const response = await api(method, path, { user: world.owner, rawBody });
      expectWellFormed(response, `${method} ${path}`);
    }
  });
});
