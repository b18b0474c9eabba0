import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { issueTicket, TicketError, verifyTicket } from "../auth/tickets";
import type { Actor } from "../domain/actor";
import type { AppEnv } from "../env";
import { sessionGateway } from "../room/gateway";
import { authenticate } from "./auth";
import { ApiError, errorBody, notFound } from "./errors";
import { responses, security } from "./openapi";
import { SessionIdParam } from "./params";
import { createRouter, ok, unwrap } from "./router";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const CLIENT_ID = /^[A-Za-z0-9_-]{1,64}$/;

export const ticketRouter = createRouter().openapi(
  createRoute({
    method: "post",
    path: "/sessions/{id}/ticket",
    tags: ["realtime"],
    security,
    description: "A single-use ticket for the session's WebSocket, valid 60 s, bound to the caller and the session.",
    request: { params: SessionIdParam },
    responses: responses(
      z.object({ ticket: z.string(), expires_at: z.string(), ws_url: z.string() }),
      "Connect to ws_url (append &client_id=…) within 60 s",
    ),
  }),
  async (c) => {
    const { id } = c.req.valid("param");
    const actor = c.get("actor");
    unwrap(await sessionGateway(c.env, id).call(actor, (room) => room.connectionCheck(actor)));
    let ticket: Awaited<ReturnType<typeof issueTicket>>;
    try {
      ticket = await issueTicket(c.env, id, actor);
    } catch (error) {
      if (error instanceof TicketError) throw new ApiError(409, "NOT_CONFIGURED", error.message);
      throw error;
    }
    const url = new URL(c.req.url);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    url.pathname = `/api/v1/sessions/${id}/ws`;
    url.search = `?ticket=${encodeURIComponent(ticket.ticket)}`;
    return ok(c, { ticket: ticket.ticket, expires_at: ticket.expiresAt.toISOString(), ws_url: url.toString() });
  },
);

/**
 * The WebSocket upgrade. It runs before the header middleware (a 101 response's headers cannot change).
 * Refusals found here are JSON errors; the session object refuses the rest with close codes, which browsers can read.
 */
export async function upgradeToWebSocket(c: Context<AppEnv>): Promise<Response> {
  try {
    const sessionId = c.req.param("id") ?? "";
    if (!UUID.test(sessionId)) throw notFound("Session");
    if (c.req.header("Upgrade")?.toLowerCase() !== "websocket") {
      throw new ApiError(426, "UPGRADE_REQUIRED", "Connect with a WebSocket (Upgrade: websocket)");
    }
    const ticket = c.req.query("ticket");
    let actor: Actor;
    let ticketId = "";
    if (ticket) {
      try {
        ({ actor, id: ticketId } = await verifyTicket(c.env, sessionId, ticket));
      } catch (error) {
        if (error instanceof TicketError) throw new ApiError(401, "UNAUTHORIZED", error.message);
        throw error;
      }
    } else {
      actor = await authenticate(c.req.header("Authorization"), c.env);
    }
    const { success } = await c.env.UPGRADE_LIMITER.limit({ key: actor.userId });
    if (!success) {
      throw new ApiError(429, "RATE_LIMITED", "Too many connection attempts; wait a minute and try again", undefined, {
        "Retry-After": "60",
      });
    }
    const clientId = c.req.query("client_id") ?? crypto.randomUUID();
    if (!CLIENT_ID.test(clientId)) {
      throw new ApiError(400, "VALIDATION_ERROR", "client_id: 1 to 64 letters, digits, '-' or '_'", [
        { path: "client_id", message: "1 to 64 letters, digits, '-' or '_'" },
      ]);
    }
    const sinceRev = c.req.query("since_rev");
    if (sinceRev !== undefined && !/^\d{1,12}$/.test(sinceRev)) {
      throw new ApiError(400, "VALIDATION_ERROR", "since_rev: a revision number", [
        { path: "since_rev", message: "a revision number" },
      ]);
    }
    return await sessionGateway(c.env, sessionId).upgrade({
      actor,
      clientId,
      ticketId,
      sinceRev: sinceRev === undefined ? null : Number(sinceRev),
    });
  } catch (error) {
    if (error instanceof ApiError) {
      return new Response(JSON.stringify(errorBody(error.code, error.message, error.details)), {
        status: error.status,
        headers: { "Content-Type": "application/json", ...error.headers },
      });
    }
    throw error;
  }
}
