/**
 * WebSocket tickets: short-lived, single-use (the session object remembers used ones), bound to user and session.
 * A ticket opens one socket and nothing else. It is signed with a key of its own, derived from the secret, and
 * carries its own `typ` and audience; bearer verification refuses both explicitly, whatever JWT_AUDIENCE says.
 */
import { errors as joseErrors, jwtVerify, SignJWT } from "jose";
import type { Actor } from "../domain/actor";
import type { Secrets } from "../env";

export const TICKET_TTL_SECONDS = 60;
/** The `typ` header and the audience of every ticket; no sign-in token carries either. */
export const TICKET_TYPE = "chordme-ws-ticket+jwt";
export const TICKET_AUDIENCE = "chordme-sessions:ws";

export class TicketError extends Error {}

/** Ticket keys by secret: HMAC-SHA-256 of a fixed label under the secret, so no sign-in token shares the key. */
const derivedKeys = new Map<string, Promise<Uint8Array>>();

function ticketKey(config: Secrets): Promise<Uint8Array> {
  const secret = config.TICKET_SECRET || config.JWT_SECRET;
  if (!secret) throw new TicketError("Set TICKET_SECRET (or JWT_SECRET) to issue WebSocket tickets");
  let key = derivedKeys.get(secret);
  if (!key) {
    key = deriveKey(secret);
    derivedKeys.set(secret, key);
  }
  return key;
}

async function deriveKey(secret: string): Promise<Uint8Array> {
  const encoder = new TextEncoder();
  const hmac = await crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, [
    "sign",
  ]);
  return new Uint8Array(await crypto.subtle.sign("HMAC", hmac, encoder.encode("chordme-sessions websocket ticket v1")));
}

export interface Ticket {
  ticket: string;
  id: string;
  expiresAt: Date;
}

export async function issueTicket(config: Secrets, sessionId: string, actor: Actor, now = Date.now()): Promise<Ticket> {
  const id = crypto.randomUUID();
  const expiresAt = new Date(now + TICKET_TTL_SECONDS * 1000);
  const ticket = await new SignJWT({
    sid: sessionId,
    ...(actor.email ? { email: actor.email } : {}),
    ...(actor.name ? { name: actor.name } : {}),
    ...(actor.isAdmin ? { adm: true } : {}),
  })
    .setProtectedHeader({ alg: "HS256", typ: TICKET_TYPE })
    .setSubject(actor.userId)
    .setJti(id)
    .setAudience(TICKET_AUDIENCE)
    .setIssuedAt(Math.floor(now / 1000))
    .setExpirationTime(Math.floor(expiresAt.getTime() / 1000))
    .sign(await ticketKey(config));
  return { ticket, id, expiresAt };
}

/** The actor and ticket id, when the ticket is genuine, unexpired and for this session. */
export async function verifyTicket(
  config: Secrets,
  sessionId: string,
  ticket: string,
): Promise<{ actor: Actor; id: string }> {
  try {
    const { payload } = await jwtVerify(ticket, await ticketKey(config), {
      algorithms: ["HS256"],
      audience: TICKET_AUDIENCE,
      typ: TICKET_TYPE,
      requiredClaims: ["exp", "jti", "sub"],
    });
    if (payload.sid !== sessionId || typeof payload.sub !== "string" || typeof payload.jti !== "string") {
      throw new TicketError("This ticket is for another session");
    }
    return {
      id: payload.jti,
      actor: {
        userId: payload.sub,
        email: typeof payload.email === "string" ? payload.email : null,
        name: typeof payload.name === "string" ? payload.name : null,
        isAdmin: payload.adm === true,
      },
    };
  } catch (error) {
    if (error instanceof TicketError) throw error;
    if (error instanceof joseErrors.JWTExpired) throw new TicketError("The ticket has expired; ask for a new one");
    if (error instanceof joseErrors.JOSEError) throw new TicketError("The ticket is not valid");
    throw error;
  }
}
