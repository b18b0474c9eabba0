/** Test helpers: tokens, a typed client over the Worker, and fixtures built through the public API. */
import { env, exports } from "cloudflare:workers";
import { signDevToken } from "../src/auth/tokens";

export interface TestUser {
  id: string;
  email: string;
  name: string;
  token: string;
}

let counter = 0;

/** A user with a fresh id, so tests never share state. */
export async function newUser(label = "user", options: { admin?: boolean } = {}): Promise<TestUser> {
  counter += 1;
  const id = `${label}-${counter}-${crypto.randomUUID().slice(0, 8)}`;
  const email = `${id}@example.test`.toLowerCase();
  const name = `${label[0]!.toUpperCase()}${label.slice(1)} ${counter}`;
  const token = await signDevToken({ sub: id, email, name, admin: options.admin }, env.JWT_SECRET);
  return { id, email, name, token };
}

export interface ApiResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

/** Calls the Worker like a client would. */
export async function api<T = any>(
  method: string,
  path: string,
  options: {
    user?: TestUser | null;
    token?: string;
    body?: unknown;
    rawBody?: BodyInit;
    headers?: Record<string, string>;
  } = {},
): Promise<ApiResponse<T>> {
  const headers: Record<string, string> = { ...options.headers };
  const token = options.token ?? options.user?.token;
  if (token) headers.Authorization = `Bearer ${token}`;
  let body: BodyInit | undefined = options.rawBody;
  if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers["Content-Type"] ??= "application/json";
  } else if (options.rawBody !== undefined) {
    headers["Content-Type"] ??= "application/json";
  }
  const response = await exports.default.fetch(`http://sessions.test/api/v1${path}`, {
    method,
    headers,
    body,
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    // not JSON: keep the text
  }
  return { status: response.status, headers: response.headers, body: parsed as T };
}

export async function createSong(user: TestUser, content = "[C]Let it [G]be") {
  const response = await api("POST", "/songs", { user, body: { title: "Let It Be", content } });
  if (response.status !== 201) throw new Error(`song: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body.data as { id: number; title: string; content: string };
}

export async function createSession(user: TestUser, fields: Record<string, unknown> = {}) {
  const songId = (fields.song_id as number | undefined) ?? (await createSong(user)).id;
  const response = await api("POST", "/sessions", {
    user,
    body: { song_id: songId, name: "Rehearsal", ...fields },
  });
  if (response.status !== 201) throw new Error(`session: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body.data;
}

/**
 * The code of the contract's error envelope `{status: "error", error: {code, message, details?}}`,
 * or null when the body is anything else (a success, a bare string, a missing message).
 */
export function errorCode(response: ApiResponse): string | null {
  const body = response.body as { status?: unknown; error?: { code?: unknown; message?: unknown } } | null;
  if (!body || typeof body !== "object" || body.status !== "error") return null;
  const error = body.error;
  if (!error || typeof error !== "object") return null;
  if (typeof error.code !== "string" || !/^[A-Z][A-Z0-9_]*$/.test(error.code)) return null;
  if (typeof error.message !== "string" || error.message.length === 0) return null;
  return error.code;
}
