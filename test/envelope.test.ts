/** The envelope and the errors (CONTRACT §3): every failure is the error envelope with the right status and code. */
import { env, exports } from "cloudflare:workers";
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { app } from "../src/api/app";
import { handleError } from "../src/api/errors";
import { type ApiResponse, api, createSong, errorCode, newUser } from "./helpers";

type Details = { path: string; message: string }[];

function details(response: ApiResponse): Details {
  const value = response.body?.error?.details;
  expect(Array.isArray(value)).toBe(true);
  for (const entry of value as Details) {
    expect(typeof entry.path).toBe("string");
    expect(typeof entry.message).toBe("string");
    expect(entry.message.length).toBeGreaterThan(0);
  }
  return value as Details;
}

function expectValidationError(response: ApiResponse): Details {
  expect(response.status).toBe(400);
  expect(errorCode(response)).toBe("VALIDATION_ERROR");
  return details(response);
}

describe("success envelope", () => {
  it("wraps data as {status: success, data}", async () => {
    const user = await newUser("envelope");
    const response = await api("POST", "/songs", { user, body: { title: "Wonderwall", content: "[Em7]Today" } });
    expect(response.status).toBe(201);
    expect(response.headers.get("Content-Type")).toMatch(/^application\/json/);
    expect(Object.keys(response.body).sort()).toEqual(["data", "status"]);
    expect(response.body.status).toBe("success");
    expect(response.body.data.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(response.body.data.updated_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });
});

describe("unknown routes", () => {
  it("an unknown route under /api/v1 is a 404 NOT_FOUND envelope", async () => {
    const user = await newUser("lost");
    const response = await api("GET", "/no-such-thing", { user });
    expect(response.status).toBe(404);
    expect(errorCode(response)).toBe("NOT_FOUND");
  });

  it("an unknown method on a known path is a 404 envelope", async () => {
    const user = await newUser("lost");
    const response = await api("DELETE", "/songs", { user });
    expect(response.status).toBe(404);
    expect(errorCode(response)).toBe("NOT_FOUND");
  });

  it("a path outside the API is a 404 envelope", async () => {
    const response = await exports.default.fetch("http://sessions.test/api/v2/songs");
    expect(response.status).toBe(404);
    const body = await response.json<any>();
    expect(body.status).toBe("error");
    expect(body.error.code).toBe("NOT_FOUND");
  });

  it("an id that is not an id is simply not found", async () => {
    const user = await newUser("lost");
    for (const path of ["/songs/abc", "/songs/-1", "/songs/0", "/sessions/templates/1.5", "/sessions/not-a-uuid"]) {
      const response = await api("GET", path, { user });
      expect(response.status, path).toBe(404);
      expect(errorCode(response), path).toBe("NOT_FOUND");
    }
  });
});

describe("bodies", () => {
  it("a body that is not JSON is a 400 VALIDATION_ERROR with details", async () => {
    const user = await newUser("sloppy");
    for (const rawBody of ["not json", '{"title": "a",', "", "{'title': 'single quotes'}"]) {
      const response = await api("POST", "/songs", { user, rawBody });
      expect(response.status, rawBody).toBe(400);
      expect(errorCode(response), rawBody).toBe("VALIDATION_ERROR");
      expect(details(response).length, rawBody).toBeGreaterThan(0);
    }
  });

  it("a JSON body without a JSON Content-Type is a 400", async () => {
    const user = await newUser("sloppy");
    const rawBody = JSON.stringify({ title: "No type", content: "" });
    for (const contentType of ["", "text/plain"]) {
      const response = await api("POST", "/songs", { user, rawBody, headers: { "Content-Type": contentType } });
      expect(response.status, contentType).toBe(400);
      expect(errorCode(response), contentType).toBe("VALIDATION_ERROR");
      expect(details(response).length).toBeGreaterThan(0);
    }
    const mine = await api("GET", "/songs", { user });
    expect(mine.body.data.songs).toEqual([]);
  });

  it("a body that is JSON but not an object is a 400 with details", async () => {
    const user = await newUser("sloppy");
    for (const body of [null, [], 42, "a string", true]) {
      const response = await api("POST", "/songs", { user, body });
      expectValidationError(response);
    }
  });

  // Song texts have a larger limit of their own (test/song-text.test.ts); a template stands for every other body.
  const templateBody = (padding: number) =>
    `{"name":"Long","category":"bodies","permissions":{"editor":[],"commenter":[],"viewer":[]}${" ".repeat(padding)}}`;

  it("a body over 64 KiB is a 413 PAYLOAD_TOO_LARGE", async () => {
    const user = await newUser("verbose");
    const response = await api("POST", "/sessions/templates", { user, rawBody: templateBody(70 * 1024) });
    expect(response.status).toBe(413);
    expect(errorCode(response)).toBe("PAYLOAD_TOO_LARGE");
    expect(response.body.error.message).toBe("The body is over 64 KiB");
    const mine = await api("GET", "/sessions/templates?category=bodies", { user });
    expect(mine.body.data.templates).toEqual([]);
  });

  it("a streamed body over 64 KiB (no Content-Length) is a 413 too", async () => {
    const user = await newUser("streamer");
    const encoder = new TextEncoder();
    const body = templateBody(5 * 16 * 1024);
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let offset = 0; offset < body.length; offset += 16 * 1024) {
          controller.enqueue(encoder.encode(body.slice(offset, offset + 16 * 1024)));
        }
        controller.close();
      },
    });
    // Straight into the app, so the request keeps its stream instead of being buffered on the way.
    const request = new Request("http://sessions.test/api/v1/sessions/templates", {
      method: "POST",
      headers: { Authorization: `Bearer ${user.token}`, "Content-Type": "application/json" },
      body: stream,
    });
    expect(request.headers.get("Content-Length")).toBeNull();
    const response = await app.fetch(request, env);
    expect(response.status).toBe(413);
    const answer = await response.json<any>();
    expect(answer.status).toBe("error");
    expect(answer.error.code).toBe("PAYLOAD_TOO_LARGE");
  });

  it("a body just under 64 KiB is accepted", async () => {
    const user = await newUser("verbose");
    const response = await api("POST", "/sessions/templates", { user, rawBody: templateBody(63 * 1024) });
    expect(response.status).toBe(201);
    expect(response.body.data.name).toBe("Long");
  });
});

describe("validation details", () => {
  it("wrong types name each failing path", async () => {
    const user = await newUser("typist");
    const response = await api("POST", "/songs", { user, body: { title: 42, content: null } });
    const issues = expectValidationError(response);
    expect(issues.map((issue) => issue.path).sort()).toEqual(["content", "title"]);
  });

  it("an unknown enum value names its path", async () => {
    const user = await newUser("typist");
    const song = await createSong(user);
    const response = await api("POST", "/sessions", {
      user,
      body: { song_id: song.id, name: "Gig", access_mode: "secret-club" },
    });
    const issues = expectValidationError(response);
    expect(issues.map((issue) => issue.path)).toEqual(["access_mode"]);
  });

  it("nested paths are joined with dots", async () => {
    const user = await newUser("typist");
    const response = await api("POST", "/sessions/templates", {
      user,
      body: { name: "Nested", category: "test", permissions: { editor: ["read", "fly"], commenter: [], viewer: [] } },
    });
    const issues = expectValidationError(response);
    expect(issues.map((issue) => issue.path)).toContain("permissions.editor.1");
  });

  it("a song share with a permission that does not exist is a 400", async () => {
    const user = await newUser("typist");
    const song = await createSong(user);
    const response = await api("POST", `/songs/${song.id}/share`, {
      user,
      body: { user_id: "someone", permission: "owner" },
    });
    const issues = expectValidationError(response);
    expect(issues.map((issue) => issue.path)).toEqual(["permission"]);
  });
});

describe("list limits", () => {
  it.each(["abc", "-1", "0", "1000", "101", "2.5"])("limit=%s on /sessions/my-sessions is a 400", async (limit) => {
    const user = await newUser("pager");
    const response = await api("GET", `/sessions/my-sessions?limit=${limit}`, { user });
    const issues = expectValidationError(response);
    expect(issues.map((issue) => issue.path)).toEqual(["limit"]);
  });

  it("limit 1 and 100 are accepted", async () => {
    const user = await newUser("pager");
    for (const limit of ["1", "100"]) {
      const response = await api("GET", `/sessions/my-sessions?limit=${limit}`, { user });
      expect(response.status).toBe(200);
      expect(response.body.data).toEqual({ sessions: [], next_cursor: null });
    }
  });

  it("an unknown status or role filter is a 400", async () => {
    const user = await newUser("pager");
    for (const query of ["status=sleeping", "role=king"]) {
      const response = await api("GET", `/sessions/my-sessions?${query}`, { user });
      expectValidationError(response);
    }
  });

  it("a cursor that is not one of ours is a 400", async () => {
    const user = await newUser("pager");
    const response = await api("GET", "/sessions/my-sessions?cursor=definitely-not-a-cursor", { user });
    const issues = expectValidationError(response);
    expect(issues.map((issue) => issue.path)).toEqual(["cursor"]);
  });
});

describe("request ids", () => {
  it("every response carries an X-Request-Id, different for each request", async () => {
    const user = await newUser("traced");
    const responses = [
      await api("GET", "/health"),
      await api("GET", "/songs", { user }),
      await api("GET", "/songs"),
      await api("GET", "/nowhere", { user }),
      await api("POST", "/songs", { user, rawBody: "{" }),
    ];
    const ids = responses.map((response) => response.headers.get("X-Request-Id"));
    for (const id of ids) expect(id).toMatch(/^\S{8,}$/);
    expect(new Set(ids).size).toBe(ids.length);
  });
});

describe("rate limit", () => {
  it("past 120 changes a minute a user gets 429 RATE_LIMITED with Retry-After; others are unaffected", async () => {
    const busy = await newUser("busy");
    const calm = await newUser("calm");
    const statuses: number[] = [];
    let limited: ApiResponse | null = null;
    // The binding counts per minute window: the loop may start late in one, so it goes on into the next if need
    // be (up to two windows' worth), and only what the contract promises is asserted.
    for (let attempt = 0; attempt < 250 && !limited; attempt += 1) {
      const response = await api("POST", "/songs", { user: busy, body: { title: `Take ${attempt}`, content: "" } });
      statuses.push(response.status);
      if (response.status === 429) limited = response;
    }
    expect(limited).not.toBeNull();
    // Everything before the first refusal got through, and at least the 120 a minute allows.
    const accepted = statuses.slice(0, -1);
    expect(accepted.every((status) => status === 201)).toBe(true);
    expect(accepted.length).toBeGreaterThanOrEqual(120);
    expect(errorCode(limited!)).toBe("RATE_LIMITED");
    const retryAfter = Number(limited!.headers.get("Retry-After"));
    expect(Number.isInteger(retryAfter)).toBe(true);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);

    const again = await api("PUT", "/songs/1", { user: busy, body: { title: "Still busy" } });
    expect(again.status).toBe(429);
    expect(errorCode(again)).toBe("RATE_LIMITED");

    const other = await api("POST", "/songs", { user: calm, body: { title: "Calm", content: "" } });
    expect(other.status).toBe(201);
    const reading = await api("GET", "/songs", { user: busy });
    expect(reading.status).toBe(200);
  });
});

describe("a busy session object", () => {
  it("answers 503 SERVICE_BUSY with Retry-After, not a 500", async () => {
    const busy = new Hono()
      .get("/busy", () => {
        throw Object.assign(new Error("Durable Object is overloaded"), { overloaded: true });
      })
      .onError(handleError);
    const response = await busy.request("/busy");
    expect(response.status).toBe(503);
    expect(response.headers.get("Retry-After")).toBe("1");
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe("SERVICE_BUSY");
  });
});
