/** WebSocket tickets: short-lived, single-use (the session object remembers used ones), bound to user and session. */
import { errors as joseErrors, jwtVerify, SignJWT } from "jose";
import type { Actor, Secrets } from "../env";

export const TICKET_TTL_SECONDS = 60;
const AUDIENCE = "chordme-sessions:ws";

export class TicketError extends Error {}

function ticketKey(config: Secrets): Uint8Array {
  const secret = config.TICKET_SECRET || config.JWT_SECRET;
  if (!secret) throw new TicketError("Set TICKET_SECRET (or JWT_SECRET) to issue WebSocket tickets");
  return new TextEncoder().encode(secret);
}

export interface Ticket {
  ticket: string;
  id: string;
  expiresAt: Date;
}

export async function issueTicket(config: Secrets, sessionId: string, actor: Actor): Promise<Ticket> {
  const id = crypto.randomUUID();
  const expiresAt = new Date(Date.now() + TICKET_TTL_SECONDS * 1000);
  const ticket = await new SignJWT({
    sid: sessionId,
    ...(actor.email ? { email: actor.email } : {}),
    ...(actor.name ? { name: actor.name } : {}),
    ...(actor.isAdmin ? { adm: true } : {}),
  })
    .setProtectedHeader({ alg: "HS256" })
    .setSubject(actor.userId)
    .setJti(id)
    .setAudience(AUDIENCE)
    .setExpirationTime(Math.floor(expiresAt.getTime() / 1000))
    .sign(ticketKey(config));
  return { ticket, id, expiresAt };
}

/** The actor and ticket id, when the ticket is genuine, unexpired and for this session. */
export async function verifyTicket(
  config: Secrets,
  sessionId: string,
  ticket: string,
): Promise<{ actor: Actor; id: string }> {
  try {
    const { payload } = await jwtVerify(ticket, ticketKey(config), { algorithms: ["HS256"], audience: AUDIENCE });
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
