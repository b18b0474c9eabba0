import { z } from "@hono/zod-openapi";
import { bodyLimit } from "hono/body-limit";
import { cors } from "hono/cors";
import { requestId } from "hono/request-id";
import { secureHeaders } from "hono/secure-headers";
import { limitMutations, requireAuth } from "../auth/middleware";
import { adminRouter } from "./admin";
import { ApiError, errorBody, handleError } from "./errors";
import { membershipRouter } from "./membership";
import { publicRouter } from "./public";
import { ticketRouter, upgradeToWebSocket } from "./realtime";
import { recordingsRouter } from "./recordings";
import { createRouter } from "./router";
import { sessionsRouter } from "./sessions";
import { songsRouter } from "./songs";
import { templatesRouter } from "./templates";

export const MAX_BODY_BYTES = 64 * 1024;

/** Routes that need a token; order matters where paths overlap (templates before /sessions/{id}). */
const protectedApi = createRouter()
  .use(requireAuth, limitMutations)
  .route("/", templatesRouter)
  .route("/", adminRouter)
  .route("/", songsRouter)
  .route("/", membershipRouter)
  .route("/", ticketRouter)
  .route("/", recordingsRouter)
  .route("/", sessionsRouter);

const api = createRouter();
api.use(
  cors({
    origin: (origin, c) => {
      const allowed = (c.env.CORS_ORIGINS ?? "").split(",").map((entry: string) => entry.trim());
      return allowed.includes(origin) ? origin : null;
    },
    allowHeaders: ["Authorization", "Content-Type"],
    allowMethods: ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
    exposeHeaders: ["X-Request-Id", "Retry-After"],
    maxAge: 600,
  }),
  secureHeaders(),
  bodyLimit({
    maxSize: MAX_BODY_BYTES,
    onError: () => {
      throw new ApiError(413, "PAYLOAD_TOO_LARGE", `The body is over ${MAX_BODY_BYTES / 1024} KiB`);
    },
  }),
);
api.route("/", publicRouter);
api.doc31("/openapi.json", {
  openapi: "3.1.0",
  info: {
    title: "ChordMe Sessions",
    version: "1.0.0",
    description:
      "Live collaborative chord-sheet sessions. Every route but health, this document and the dev token needs a bearer token.",
  },
  servers: [{ url: "/api/v1" }],
});
api.openAPIRegistry.registerComponent("securitySchemes", "bearerAuth", {
  type: "http",
  scheme: "bearer",
  bearerFormat: "JWT",
});
// The upgrade is served before the middleware (see upgradeToWebSocket); it is described here with the rest.
api.openAPIRegistry.registerPath({
  method: "get",
  path: "/sessions/{id}/ws",
  tags: ["realtime"],
  description:
    "WebSocket upgrade. Authenticate with ?ticket= (from POST /sessions/{id}/ticket) or Authorization: Bearer. " +
    "Query: client_id (1-64 of [A-Za-z0-9_-]), since_rev (to receive missed ops). Protocol: CONTRACT.md §6.",
  request: {
    params: z.object({ id: z.uuid() }),
    query: z.object({
      ticket: z.string().optional(),
      client_id: z.string().optional(),
      since_rev: z.string().optional(),
    }),
  },
  responses: {
    101: { description: "Switching protocols" },
    401: { description: "Missing, invalid or expired ticket or token" },
    404: { description: "Not a session id" },
    426: { description: "Not a WebSocket upgrade" },
  },
});
api.route("/", protectedApi);

export const app = createRouter();
app.get("/api/v1/sessions/:id/ws", upgradeToWebSocket);
app.use(requestId());
app.route("/api/v1", api);
app.notFound((c) => c.json(errorBody("NOT_FOUND", `No route for ${c.req.method} ${c.req.path}`), 404));
app.onError(handleError);
