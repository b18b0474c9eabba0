/** Bearer token verification (CONTRACT §2) and the development token. */
import {
  createRemoteJWKSet,
  decodeProtectedHeader,
  type JWTPayload,
  type JWTVerifyGetKey,
  errors as joseErrors,
  jwtVerify,
  SignJWT,
} from "jose";
import type { Actor } from "../domain/actor";
import type { Secrets } from "../env";
import { TICKET_AUDIENCE, TICKET_TYPE } from "./tickets";

const CLOCK_TOLERANCE_SECONDS = 30;
const ASYMMETRIC_ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "EdDSA"];
export const DEV_TOKEN_TTL_SECONDS = 24 * 60 * 60;

export class TokenError extends Error {}

const TICKET_REFUSAL = "A WebSocket ticket opens one socket and is not a sign-in token";

/** One remote key set per URL for the life of the isolate: jose caches the keys and refetches on rotation. */
const remoteKeySets = new Map<string, JWTVerifyGetKey>();
function remoteKeySet(url: string): JWTVerifyGetKey {
  let keySet = remoteKeySets.get(url);
  if (!keySet) {
    keySet = createRemoteJWKSet(new URL(url), { cacheMaxAge: 10 * 60_000, cooldownDuration: 30_000 });
    remoteKeySets.set(url, keySet);
  }
  return keySet;
}

const encoder = new TextEncoder();

/**
 * Tokens verified recently by this isolate, with who they name: a client sends the same token on every request,
 * and checking its signature each time is most of a small request's work. An entry lives at most a minute and
 * never past the token's own expiry; the key includes the verification settings.
 */
const verified = new Map<string, { actor: Actor; until: number }>();
const VERIFIED_TTL_MS = 60_000;
const VERIFIED_LIMIT = 10_000;

/** Verifies a bearer token and returns who it names; throws TokenError for anything not acceptable. */
export async function verifyToken(token: string, config: Secrets): Promise<Actor> {
  const key = [token, config.JWT_SECRET, config.JWT_JWKS_URL, config.JWT_ISSUER, config.JWT_AUDIENCE].join("\u0000");
  const now = Date.now();
  const known = verified.get(key);
  if (known && known.until > now) return known.actor;
  const { actor, expiresAt } = await verifySignature(token, config);
  if (verified.size >= VERIFIED_LIMIT) verified.clear();
  verified.set(key, { actor, until: Math.min(now + VERIFIED_TTL_MS, expiresAt) });
  return actor;
}

async function verifySignature(token: string, config: Secrets): Promise<{ actor: Actor; expiresAt: number }> {
  let algorithm: string | undefined;
  try {
    const header = decodeProtectedHeader(token);
    algorithm = header.alg;
    if (header.typ === TICKET_TYPE) throw new TokenError(TICKET_REFUSAL);
  } catch (error) {
    if (error instanceof TokenError) throw error;
    throw new TokenError("The token is not a JWT");
  }
  const options = {
    issuer: config.JWT_ISSUER || undefined,
    audience: config.JWT_AUDIENCE || undefined,
    requiredClaims: ["exp"],
    clockTolerance: CLOCK_TOLERANCE_SECONDS,
  };
  let payload: JWTPayload;
  try {
    if (algorithm === "HS256" && config.JWT_SECRET) {
      ({ payload } = await jwtVerify(token, encoder.encode(config.JWT_SECRET), {
        ...options,
        algorithms: ["HS256"],
      }));
    } else if (algorithm && ASYMMETRIC_ALGORITHMS.includes(algorithm) && config.JWT_JWKS_URL) {
      ({ payload } = await jwtVerify(token, remoteKeySet(config.JWT_JWKS_URL), {
        ...options,
        algorithms: ASYMMETRIC_ALGORITHMS,
      }));
    } else {
      throw new TokenError(`Tokens signed with '${algorithm ?? "none"}' are not accepted`);
    }
  } catch (error) {
    if (error instanceof TokenError) throw error;
    if (error instanceof joseErrors.JWTExpired) throw new TokenError("The token has expired");
    if (error instanceof joseErrors.JOSEError) throw new TokenError("The token is invalid");
    throw error;
  }
  // Checked whatever JWT_AUDIENCE says: a token meant for a socket never signs anyone in.
  const audiences = typeof payload.aud === "string" ? [payload.aud] : (payload.aud ?? []);
  if (audiences.includes(TICKET_AUDIENCE)) throw new TokenError(TICKET_REFUSAL);
  return { actor: actorFromClaims(payload), expiresAt: (payload.exp ?? 0) * 1000 };
}

/** `sub`, or ChordMe's numeric `user_id`, names the user; `roles` containing "admin" makes an admin. */
export function actorFromClaims(payload: JWTPayload): Actor {
  const legacyId = payload.user_id;
  const userId =
    typeof payload.sub === "string" && payload.sub.length > 0
      ? payload.sub
      : typeof legacyId === "number" && Number.isSafeInteger(legacyId)
        ? String(legacyId)
        : typeof legacyId === "string" && legacyId.length > 0
          ? legacyId
          : null;
  if (!userId || userId.length > 255) throw new TokenError("The token names no user (sub or user_id)");
  // An address the identity provider says is unverified is not used: shares and invitations follow the address.
  const email =
    typeof payload.email === "string" && payload.email.length <= 320 && payload.email_verified !== false
      ? payload.email.toLowerCase()
      : null;
  const name = typeof payload.name === "string" ? payload.name.slice(0, 100) : null;
  const roles = payload.roles;
  const isAdmin = Array.isArray(roles) && roles.includes("admin");
  return { userId, email, name, isAdmin };
}

export interface DevTokenClaims {
  sub: string;
  email?: string;
  name?: string;
  admin?: boolean;
}

/** Signs an HS256 token like the ones a production identity provider would issue. */
export async function signDevToken(claims: DevTokenClaims, secret: string, issuer?: string, audience?: string) {
  let jwt = new SignJWT({
    ...(claims.email ? { email: claims.email } : {}),
    ...(claims.name ? { name: claims.name } : {}),
    ...(claims.admin ? { roles: ["admin"] } : {}),
  })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setSubject(claims.sub)
    .setIssuedAt()
    .setExpirationTime(`${DEV_TOKEN_TTL_SECONDS}s`);
  if (issuer) jwt = jwt.setIssuer(issuer);
  if (audience) jwt = jwt.setAudience(audience);
  return jwt.sign(encoder.encode(secret));
}
