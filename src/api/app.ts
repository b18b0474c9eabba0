import { z } from "@hono/zod-openapi";
import { bodyLimit } from "hono/body-limit";
import { cors } from "hono/cors";
import { requestId } from "hono/request-id";
import { secureHeaders } from "hono/secure-headers";
import { MAX_DOCUMENT_CHARS } from "../domain/text";
import { adminRouter } from "./admin";
import { limitMutations, requireAuth } from "./auth";
import { ApiError, errorBody, handleError } from "./errors";
import { invitationsRouter } from "./invitations";
import { membershipRouter } from "./membership";
import { publicRouter } from "./public";
import { ticketRouter, upgradeToWebSocket } from "./realtime";
import { recordingsRouter } from "./recordings";
import { createRouter } from "./router";
import { sessionsRouter } from "./sessions";
import { songVersionsRouter } from "./song-versions";
import { songsRouter } from "./songs";
import { templatesRouter } from "./templates";
import { usersRouter } from "./users";
import { requireUtf8Body } from "./utf8-body";

export const MAX_BODY_BYTES = 64 * 1024;
/**
 * A song's text may be MAX_DOCUMENT_CHARS code points; JSON may write each as two \uXXXX escapes (12 bytes, as
 * encoders that escape everything outside ASCII do), plus room for the title and the rest of the body.
 */
export const MAX_SONG_BODY_BYTES = MAX_DOCUMENT_CHARS * 12 + MAX_BODY_BYTES;
/** The routes whose body carries a song's text (POST /songs, PUT /songs/{id}); every other body stays small. */
const SONG_TEXT_PATH = /^\/api\/v1\/songs(?:\/[^/]+)?$/;

function limitBodies(maxSize: number) {
  return bodyLimit({
    maxSize,
    onError: () => {
      throw new ApiError(413, "PAYLOAD_TOO_LARGE", `The body is over ${formatBytes(maxSize)}`);
    },
  });
}

function formatBytes(bytes: number): string {
  return bytes < 1024 * 1024 ? `${bytes / 1024} KiB` : `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

const limitSongBody = limitBodies(MAX_SONG_BODY_BYTES);
const limitBody = limitBodies(MAX_BODY_BYTES);

/** Routes that need a token; order matters where paths overlap (templates before /sessions/{id}). */
const protectedApi = createRouter()
  .use(requireAuth, limitMutations)
  .route("/", templatesRouter)
  .route("/", adminRouter)
  .route("/", songsRouter)
  .route("/", songVersionsRouter)
  .route("/", membershipRouter)
  .route("/", invitationsRouter)
  .route("/", usersRouter)
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
  (c, next) => (SONG_TEXT_PATH.test(c.req.path) ? limitSongBody : limitBody)(c, next),
  requireUtf8Body,
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
