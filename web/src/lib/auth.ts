/** The signed-in user's token, kept in localStorage, and what the page can read from it. */

const TOKEN_KEY = "chordme.sessions.token";

export interface SignedInUser {
  id: string;
  name: string;
  email?: string;
  expiresAt?: number;
  /** The token's `roles` name "admin": the global statistics and the cleanup are theirs (the server checks again). */
  isAdmin: boolean;
}

export function loadToken(): string | null {
  try {
    return localStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

export function saveToken(token: string): void {
  localStorage.setItem(TOKEN_KEY, token);
}

export function clearToken(): void {
  localStorage.removeItem(TOKEN_KEY);
}

/** The token's claims (not verified: the server does that); null when it is not a JWT. */
export function userFromToken(token: string): SignedInUser | null {
  const payload = token.split(".")[1];
  if (!payload) return null;
  try {
    const json = atob(
      payload
        .replaceAll("-", "+")
        .replaceAll("_", "/")
        .padEnd(Math.ceil(payload.length / 4) * 4, "="),
    );
    const claims = JSON.parse(new TextDecoder().decode(Uint8Array.from(json, (char) => char.charCodeAt(0)))) as {
      sub?: unknown;
      user_id?: unknown;
      name?: unknown;
      email?: unknown;
      exp?: unknown;
      roles?: unknown;
    };
    const id = typeof claims.sub === "string" ? claims.sub : claims.user_id != null ? String(claims.user_id) : null;
    if (!id) return null;
    return {
      id,
      name: typeof claims.name === "string" && claims.name ? claims.name : id,
      email: typeof claims.email === "string" ? claims.email : undefined,
      expiresAt: typeof claims.exp === "number" ? claims.exp * 1000 : undefined,
      isAdmin: Array.isArray(claims.roles) && claims.roles.includes("admin"),
    };
  } catch {
    return null;
  }
}

/** Whether the server hands out development tokens: its dev token route answers 404 when it does not. */
export async function devAuthAvailable(): Promise<boolean> {
  try {
    const response = await fetch("/api/v1/dev/token", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ sub: "sign-in-check" }),
    });
    return response.status !== 404;
  } catch {
    return false;
  }
}
