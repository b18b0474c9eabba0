/** Identity (CONTRACT §2): who may call, with which tokens, and what a token says about its bearer. */
import { env, exports } from "cloudflare:workers";
import { decodeJwt, exportJWK, generateKeyPair, type JWTPayload, SignJWT } from "jose";
import { afterEach, describe, expect, it, vi } from "vitest";
import { app } from "../src/api/app";
import { issueTicket } from "../src/auth/tickets";
import { api, createSession, errorCode, newUser } from "./helpers";

const encoder = new TextEncoder();

function base64url(value: string): string {
  return btoa(value).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

/** An HS256 token signed with the test secret (or another one), with exactly the claims given. */
async function hsToken(
  claims: JWTPayload,
  options: { secret?: string; alg?: "HS256" | "HS384" | "HS512" } = {},
): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: options.alg ?? "HS256", typ: "JWT" })
    .sign(encoder.encode(options.secret ?? env.JWT_SECRET));
}

function uniqueSub(label: string): string {
  return `${label}-${crypto.randomUUID()}`;
}

/** Calls the app directly with bindings changed for one request, as a differently configured deployment would. */
async function callWith(
  overrides: Record<string, string | undefined>,
  method: string,
  path: string,
  options: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
) {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.Authorization = `Bearer ${options.token}`;
  if (options.body !== undefined) headers["Content-Type"] = "application/json";
  const response = await app.fetch(
    new Request(`http://sessions.test/api/v1${path}`, {
      method,
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    }),
    { ...env, ...overrides },
  );
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : null };
}

describe("requests without an acceptable token", () => {
  it("no Authorization header is a 401 in the error envelope", async () => {
    const response = await api("GET", "/songs");
    expect(response.status).toBe(401);
    expect(errorCode(response)).toBe("UNAUTHORIZED");
  });

  it.each([
    ["a bare scheme", "Bearer"],
    ["another scheme", "Basic dXNlcjpwYXNz"],
    ["two tokens", "Bearer aaa bbb"],
    ["not a JWT", "Bearer not-a-jwt"],
    ["a JWT with a broken header", "Bearer e30x.e30.sig"],
  ])("a malformed header (%s) is a 401", async (_label, header) => {
    const response = await api("GET", "/songs", { headers: { Authorization: header } });
    expect(response.status).toBe(401);
    expect(errorCode(response)).toBe("UNAUTHORIZED");
  });

  it("a token signed with another secret is a 401", async () => {
    const token = await hsToken(
      { sub: uniqueSub("forger"), exp: nowSeconds() + 600 },
      { secret: "some-other-secret-that-is-long-enough-0123456789" },
    );
    const response = await api("GET", "/songs", { token });
    expect(response.status).toBe(401);
    expect(errorCode(response)).toBe("UNAUTHORIZED");
  });

  it("a token whose payload was changed after signing is a 401", async () => {
    const token = await hsToken({ sub: uniqueSub("honest"), exp: nowSeconds() + 600 });
    const [header, , signature] = token.split(".");
    const payload = base64url(JSON.stringify({ sub: "someone-else", exp: nowSeconds() + 600 }));
    const response = await api("GET", "/songs", { token: `${header}.${payload}.${signature}` });
    expect(response.status).toBe(401);
    expect(errorCode(response)).toBe("UNAUTHORIZED");
  });

  it("a token expired beyond the 30 s tolerance is a 401", async () => {
    const token = await hsToken({ sub: uniqueSub("late"), iat: nowSeconds() - 3600, exp: nowSeconds() - 45 });
    const response = await api("GET", "/songs", { token });
    expect(response.status).toBe(401);
    expect(errorCode(response)).toBe("UNAUTHORIZED");
  });

  it("a token without exp is a 401", async () => {
    const token = await hsToken({ sub: uniqueSub("forever"), iat: nowSeconds() });
    const response = await api("GET", "/songs", { token });
    expect(response.status).toBe(401);
    expect(errorCode(response)).toBe("UNAUTHORIZED");
  });

  it("an unsigned token (alg: none) is a 401", async () => {
    const header = base64url(JSON.stringify({ alg: "none", typ: "JWT" }));
    const payload = base64url(JSON.stringify({ sub: uniqueSub("unsigned"), exp: nowSeconds() + 600 }));
    for (const token of [`${header}.${payload}.`, `${header}.${payload}`]) {
      const response = await api("GET", "/songs", { token });
      expect(response.status).toBe(401);
      expect(errorCode(response)).toBe("UNAUTHORIZED");
    }
  });

  it("an algorithm that is not configured (HS512 with the right secret) is a 401", async () => {
    const token = await hsToken({ sub: uniqueSub("hs512"), exp: nowSeconds() + 600 }, { alg: "HS512" });
    const response = await api("GET", "/songs", { token });
    expect(response.status).toBe(401);
    expect(errorCode(response)).toBe("UNAUTHORIZED");
  });

  it("an RS256 token is a 401 when no key set is configured", async () => {
    const { privateKey } = await generateKeyPair("RS256");
    const token = await new SignJWT({ sub: uniqueSub("rsa"), exp: nowSeconds() + 600 })
      .setProtectedHeader({ alg: "RS256", kid: "k1" })
      .sign(privateKey);
    const response = await api("GET", "/songs", { token });
    expect(response.status).toBe(401);
    expect(errorCode(response)).toBe("UNAUTHORIZED");
  });

  it("a token that names no user (no sub, no user_id) is a 401", async () => {
    const token = await hsToken({ email: "nobody@example.test", exp: nowSeconds() + 600 });
    const response = await api("GET", "/songs", { token });
    expect(response.status).toBe(401);
    expect(errorCode(response)).toBe("UNAUTHORIZED");
  });
});

describe("accepted tokens", () => {
  it("a token expired 10 s ago is still accepted (30 s clock tolerance)", async () => {
    const token = await hsToken({ sub: uniqueSub("skewed"), exp: nowSeconds() - 10 });
    const response = await api("GET", "/songs", { token });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ status: "success", data: { songs: [] } });
  });

  it("ChordMe's numeric user_id claim names the user, as a string", async () => {
    const legacyId = 700_000_000 + Math.floor(Math.random() * 100_000_000);
    const token = await hsToken({ user_id: legacyId, email: "legacy@example.test", exp: nowSeconds() + 600 });
    const created = await api("POST", "/songs", { token, body: { title: "Old song", content: "[Am]" } });
    expect(created.status).toBe(201);
    expect(created.body.data.owner_id).toBe(String(legacyId));
    expect(typeof created.body.data.owner_id).toBe("string");
    const read = await api("GET", `/songs/${created.body.data.id}`, { token });
    expect(read.status).toBe(200);
    expect(read.body.data.permission).toBe("owner");
  });

  it("sub wins over user_id when a token carries both", async () => {
    const sub = uniqueSub("both");
    const token = await hsToken({ sub, user_id: 12345, exp: nowSeconds() + 600 });
    const created = await api("POST", "/songs", { token, body: { title: "Both", content: "" } });
    expect(created.status).toBe(201);
    expect(created.body.data.owner_id).toBe(sub);
  });

  it('a token with roles: ["admin"] is accepted', async () => {
    const token = await hsToken({ sub: uniqueSub("admin"), roles: ["admin"], exp: nowSeconds() + 600 });
    const response = await api("GET", "/songs", { token });
    expect(response.status).toBe(200);
    expect(response.body.status).toBe("success");
  });
});

describe("routes that need no token", () => {
  it("health answers without a token", async () => {
    const response = await api("GET", "/health");
    expect(response.status).toBe(200);
    expect(response.body.status).toBe("success");
    expect(response.body.data.ok).toBe(true);
    expect(response.body.data.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
  });

  it("openapi.json is an OpenAPI 3.1 document of the routes, served without a token", async () => {
    const response = await api("GET", "/openapi.json");
    expect(response.status).toBe(200);
    expect(response.body.openapi).toMatch(/^3\.1\./);
    const paths = Object.keys(response.body.paths ?? {});
    for (const path of [
      "/health",
      "/songs",
      "/songs/{id}",
      "/songs/{id}/share",
      "/sessions",
      "/sessions/{id}",
      "/sessions/my-sessions",
      "/sessions/templates",
      "/sessions/templates/{id}",
    ]) {
      expect(paths).toContain(path);
    }
    expect(response.body.components?.securitySchemes?.bearerAuth).toMatchObject({ type: "http", scheme: "bearer" });
  });

  it("POST /dev/token issues a 24 h token that works", async () => {
    const sub = uniqueSub("dev");
    const issued = await api("POST", "/dev/token", {
      body: { sub, email: "Dev.User@Example.test", name: "Dev User" },
    });
    expect(issued.status).toBe(200);
    const token: string = issued.body.data.token;
    const claims = decodeJwt(token);
    expect(claims.sub).toBe(sub);
    expect((claims.exp ?? 0) - (claims.iat ?? 0)).toBe(86_400);
    const created = await api("POST", "/songs", { token, body: { title: "Dev song", content: "[G]" } });
    expect(created.status).toBe(201);
    expect(created.body.data.owner_id).toBe(sub);
  });

  it("POST /dev/token with admin: true gives a token with the admin role", async () => {
    const issued = await api("POST", "/dev/token", { body: { sub: uniqueSub("dev-admin"), admin: true } });
    expect(issued.status).toBe(200);
    expect(decodeJwt(issued.body.data.token).roles).toEqual(["admin"]);
  });

  it("POST /dev/token validates its body", async () => {
    const response = await api("POST", "/dev/token", { body: { sub: "" } });
    expect(response.status).toBe(400);
    expect(errorCode(response)).toBe("VALIDATION_ERROR");
  });

  it('POST /dev/token does not exist unless DEV_AUTH is "true", whatever the body', async () => {
    for (const DEV_AUTH of ["false", undefined, "TRUE", "1"]) {
      for (const body of [{ sub: "anyone" }, {}, { sub: "" }]) {
        const response = await callWith({ DEV_AUTH }, "POST", "/dev/token", { body });
        expect(response.status, `${DEV_AUTH} ${JSON.stringify(body)}`).toBe(404);
        expect(errorCode(response)).toBe("NOT_FOUND");
      }
    }
  });

  it("a CORS preflight from an allowed origin needs no token", async () => {
    const response = await callWith({ CORS_ORIGINS: "https://app.example.test" }, "OPTIONS", "/songs", {
      headers: {
        Origin: "https://app.example.test",
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type",
      },
    });
    expect(response.status).toBe(204);
    expect(response.headers.get("Access-Control-Allow-Origin")).toBe("https://app.example.test");
    expect(response.headers.get("Access-Control-Allow-Headers")?.toLowerCase()).toContain("authorization");
  });
});

describe("issuer and audience", () => {
  const config = { JWT_ISSUER: "https://idp.example.test/", JWT_AUDIENCE: "chordme-sessions" };

  it("are checked when configured", async () => {
    const sub = uniqueSub("iss");
    const exp = nowSeconds() + 600;
    const good = await hsToken({ sub, exp, iss: config.JWT_ISSUER, aud: config.JWT_AUDIENCE });
    expect((await callWith(config, "GET", "/songs", { token: good })).status).toBe(200);

    for (const claims of [
      { sub, exp },
      { sub, exp, iss: "https://elsewhere.example.test/", aud: config.JWT_AUDIENCE },
      { sub, exp, iss: config.JWT_ISSUER, aud: "another-service" },
    ]) {
      const response = await callWith(config, "GET", "/songs", { token: await hsToken(claims) });
      expect(response.status).toBe(401);
      expect(errorCode(response)).toBe("UNAUTHORIZED");
    }
  });
});

describe("asymmetric keys from JWT_JWKS_URL", () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  /** Serves a key set at a fresh URL by intercepting the Worker's outgoing fetch; counts the fetches. */
  async function serveKeySet() {
    const url = `https://idp.example.test/${crypto.randomUUID()}/.well-known/jwks.json`;
    const { publicKey, privateKey } = await generateKeyPair("RS256", { extractable: true });
    const jwk = { ...(await exportJWK(publicKey)), kid: "key-1", alg: "RS256", use: "sig" };
    const realFetch = globalThis.fetch;
    const fetched: string[] = [];
    vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
      const target = input instanceof Request ? input.url : String(input);
      if (target !== url) return realFetch(input, init);
      fetched.push(target);
      return new Response(JSON.stringify({ keys: [jwk] }), { headers: { "Content-Type": "application/json" } });
    });
    return { url, privateKey, fetched };
  }

  it("an RS256 token signed by a key in the set is accepted; the set is fetched once and cached", async () => {
    const { url, privateKey, fetched } = await serveKeySet();
    const sub = uniqueSub("oidc");
    const token = await new SignJWT({ sub, exp: nowSeconds() + 600 })
      .setProtectedHeader({ alg: "RS256", kid: "key-1" })
      .sign(privateKey);

    const created = await callWith({ JWT_JWKS_URL: url }, "POST", "/songs", {
      token,
      body: { title: "Signed elsewhere", content: "[D]" },
    });
    expect(created.status).toBe(201);
    expect(created.body.data.owner_id).toBe(sub);
    const again = await callWith({ JWT_JWKS_URL: url }, "GET", "/songs", { token });
    expect(again.status).toBe(200);
    expect(again.body.data.songs).toHaveLength(1);
    expect(fetched).toEqual([url]);
  });

  it("an RS256 token signed by a key outside the set is a 401", async () => {
    const { url } = await serveKeySet();
    const { privateKey: stranger } = await generateKeyPair("RS256");
    const token = await new SignJWT({ sub: uniqueSub("impostor"), exp: nowSeconds() + 600 })
      .setProtectedHeader({ alg: "RS256", kid: "key-1" })
      .sign(stranger);
    const response = await callWith({ JWT_JWKS_URL: url }, "GET", "/songs", { token });
    expect(response.status).toBe(401);
    expect(errorCode(response)).toBe("UNAUTHORIZED");
  });

  it("an expired RS256 token is a 401", async () => {
    const { url, privateKey } = await serveKeySet();
    const token = await new SignJWT({ sub: uniqueSub("old-oidc"), exp: nowSeconds() - 120 })
      .setProtectedHeader({ alg: "RS256", kid: "key-1" })
      .sign(privateKey);
    const response = await callWith({ JWT_JWKS_URL: url }, "GET", "/songs", { token });
    expect(response.status).toBe(401);
    expect(errorCode(response)).toBe("UNAUTHORIZED");
  });

  it("HS256 tokens keep working next to the key set", async () => {
    const { url } = await serveKeySet();
    const user = await newUser("both-configs");
    const response = await callWith({ JWT_JWKS_URL: url }, "GET", "/songs", { token: user.token });
    expect(response.status).toBe(200);
  });
});

describe("a WebSocket ticket opens one socket and nothing else", () => {
  async function ticketFor(user: Awaited<ReturnType<typeof newUser>>, sessionId: string) {
    const response = await api("POST", `/sessions/${sessionId}/ticket`, { user });
    expect(response.status).toBe(200);
    return response.body.data.ticket as string;
  }
  const upgrade = (sessionId: string, headers: Record<string, string>, query = "") =>
    exports.default.fetch(`http://sessions.test/api/v1/sessions/${sessionId}/ws?client_id=c1${query}`, {
      headers: { Upgrade: "websocket", ...headers },
    });

  it("is refused as a bearer token by every REST route, the ticket route included", async () => {
    const owner = await newUser("owner");
    const session = await createSession(owner);
    const ticket = await ticketFor(owner, session.id);
    expect((await api("GET", "/songs", { token: ticket })).status).toBe(401);
    const created = await api("POST", "/songs", { token: ticket, body: { title: "Mine now", content: "x" } });
    expect(created.status).toBe(401);
    expect(errorCode(created)).toBe("UNAUTHORIZED");
    // A leaked ticket cannot renew itself.
    expect((await api("POST", `/sessions/${session.id}/ticket`, { token: ticket })).status).toBe(401);
    // Whatever JWT_AUDIENCE says.
    const configured = await callWith({ JWT_AUDIENCE: "chordme-sessions:ws" }, "GET", "/songs", { token: ticket });
    expect(configured.status).toBe(401);
  });

  it("is refused as a bearer token on an upgrade, for its own session and for any other", async () => {
    const owner = await newUser("owner");
    const session = await createSession(owner);
    const other = await createSession(owner);
    const ticket = await ticketFor(owner, session.id);
    for (const id of [session.id, other.id]) {
      const response = await upgrade(id, { Authorization: `Bearer ${ticket}` });
      expect(response.status).toBe(401);
    }
    // Used once in ?ticket=, it opens its socket; a second use is refused by the session.
    const first = await upgrade(session.id, {}, `&ticket=${encodeURIComponent(ticket)}`);
    expect(first.status).toBe(101);
    first.webSocket!.accept();
    const again = await upgrade(session.id, {}, `&ticket=${encodeURIComponent(ticket)}`);
    const closed = new Promise<number>((resolve) => again.webSocket!.addEventListener("close", (e) => resolve(e.code)));
    again.webSocket!.accept();
    expect(await closed).toBe(4401);
    // For another session it is refused before the upgrade.
    expect((await upgrade(other.id, {}, `&ticket=${encodeURIComponent(ticket)}`)).status).toBe(401);
    first.webSocket!.close();
  });

  it("is refused once expired, and a token signed with the sign-in secret is no ticket", async () => {
    const owner = await newUser("owner");
    const session = await createSession(owner);
    const actor = { userId: owner.id, email: owner.email, name: owner.name, isAdmin: false };
    const expired = await issueTicket(env, session.id, actor, Date.now() - 120_000);
    expect((await upgrade(session.id, {}, `&ticket=${encodeURIComponent(expired.ticket)}`)).status).toBe(401);
    // A ticket-shaped token signed with JWT_SECRET, as tickets once were: not a ticket, and not a sign-in either.
    const lookalike = await new SignJWT({ sid: session.id })
      .setProtectedHeader({ alg: "HS256" })
      .setSubject(owner.id)
      .setJti(crypto.randomUUID())
      .setAudience("chordme-sessions:ws")
      .setExpirationTime("1m")
      .sign(encoder.encode(env.JWT_SECRET));
    expect((await upgrade(session.id, {}, `&ticket=${encodeURIComponent(lookalike)}`)).status).toBe(401);
    expect((await api("GET", "/songs", { token: lookalike })).status).toBe(401);
  });
});

describe("email_verified", () => {
  it("an address the provider calls unverified is not the user's", async () => {
    const sub = uniqueSub("unverified");
    const token = await hsToken({ sub, email: "Band@Example.test", email_verified: false, exp: nowSeconds() + 600 });
    const verified = await hsToken({ sub, email: "Band@Example.test", email_verified: true, exp: nowSeconds() + 600 });
    const { actorFromClaims } = await import("../src/auth/tokens");
    expect(actorFromClaims(decodeJwt(token)).email).toBeNull();
    expect(actorFromClaims(decodeJwt(verified)).email).toBe("band@example.test");
  });
});
