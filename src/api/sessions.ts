import { createRoute, z } from "@hono/zod-openapi";
import { database } from "../db/client";
import { decodeCursor, mySessions, publicSessions } from "../db/sessions";
import { mayEditSong, songWithAccess } from "../db/songs";
import { countTemplateUse, findTemplate } from "../db/templates";
import {
  MySessionsQuerySchema,
  SessionCreateSchema,
  SessionSummarySchema,
  SessionUpdateSchema,
  SessionViewSchema,
} from "../domain/schemas";
import { resolveSessionConfig } from "../domain/templates";
import { sessionGateway } from "../room/gateway";
import { ApiError, invalidCursor, notFound } from "./errors";
import { jsonBody, responses, security } from "./openapi";
import { SessionIdParam } from "./params";
import { createRouter, ok, unwrap } from "./router";

const statusRoute = (action: "pause" | "resume" | "end", description: string) =>
  createRoute({
    method: "post",
    path: `/sessions/{id}/${action}`,
    tags: ["sessions"],
    security,
    request: { params: SessionIdParam },
    responses: responses(SessionViewSchema, description),
  });

export const sessionsRouter = createRouter()
  .openapi(
    createRoute({
      method: "get",
      path: "/sessions/my-sessions",
      tags: ["sessions"],
      security,
      request: { query: MySessionsQuerySchema },
      responses: responses(
        z.object({ sessions: z.array(SessionSummarySchema), next_cursor: z.string().nullable() }),
        "Sessions I take part in, most recently active first",
      ),
    }),
    async (c) => {
      const query = c.req.valid("query");
      const cursor = query.cursor ? decodeCursor(query.cursor) : null;
      if (query.cursor && !cursor) throw invalidCursor();
      return ok(c, await mySessions(database(c.env.DB), c.get("actor").userId, { ...query, cursor }));
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/sessions/public",
      tags: ["sessions"],
      security,
      request: { query: z.object({ song_id: z.coerce.number().int().positive().optional() }) },
      responses: responses(z.object({ sessions: z.array(SessionSummarySchema) }), "Active public sessions"),
    }),
    async (c) =>
      ok(c, {
        sessions: await publicSessions(database(c.env.DB), c.get("actor").userId, c.req.valid("query").song_id),
      }),
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/sessions",
      tags: ["sessions"],
      security,
      request: { body: jsonBody(SessionCreateSchema) },
      responses: responses(SessionViewSchema, "The new session; the creator is its owner", 201),
    }),
    async (c) => {
      const body = c.req.valid("json");
      const actor = c.get("actor");
      const db = database(c.env.DB);
      const access = await songWithAccess(db, body.song_id, actor);
      if (!access) throw notFound("Song");
      if (!mayEditSong(access.permission)) {
        throw new ApiError(403, "FORBIDDEN", "Starting a session needs the song's owner or an edit share");
      }
      const template = body.template_id ? await findTemplate(db, actor.userId, body.template_id) : null;
      if (body.template_id && !template) throw notFound("Template");
      const config = resolveSessionConfig(template, body);
      const id = crypto.randomUUID();
      const view = unwrap(
        await sessionGateway(c.env, id).call(actor, (room) =>
          room.create(
            {
              id,
              song_id: access.song.id,
              song_content: access.song.content,
              template_id: template?.id ?? null,
              name: body.name,
              description: body.description ?? null,
              access_mode: body.access_mode,
              config,
            },
            actor,
          ),
        ),
      );
      if (template) await countTemplateUse(db, template.id);
      return ok(c, view, 201);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/sessions/{id}",
      tags: ["sessions"],
      security,
      request: { params: SessionIdParam },
      responses: responses(SessionViewSchema, "The session as the caller may see it"),
    }),
    async (c) =>
      ok(c, unwrap(await sessionGateway(c.env, c.req.valid("param").id).read((reader) => reader.view(c.get("actor"))))),
  )
  .openapi(
    createRoute({
      method: "patch",
      path: "/sessions/{id}",
      tags: ["sessions"],
      security,
      request: { params: SessionIdParam, body: jsonBody(SessionUpdateSchema) },
      responses: responses(SessionViewSchema, "The updated session"),
    }),
    async (c) =>
      ok(
        c,
        unwrap(
          await sessionGateway(c.env, c.req.valid("param").id).call(c.get("actor"), (room) =>
            room.update(c.get("actor"), c.req.valid("json")),
          ),
        ),
      ),
  )
  .openapi(statusRoute("pause", "Paused: viewers stay, edits wait"), async (c) =>
    ok(
      c,
      unwrap(
        await sessionGateway(c.env, c.req.valid("param").id).call(c.get("actor"), (room) =>
          room.transition(c.get("actor"), "pause"),
        ),
      ),
    ),
  )
  .openapi(statusRoute("resume", "Active again"), async (c) =>
    ok(
      c,
      unwrap(
        await sessionGateway(c.env, c.req.valid("param").id).call(c.get("actor"), (room) =>
          room.transition(c.get("actor"), "resume"),
        ),
      ),
    ),
  )
  .openapi(statusRoute("end", "Ended: read-only from now on"), async (c) =>
    ok(
      c,
      unwrap(
        await sessionGateway(c.env, c.req.valid("param").id).call(c.get("actor"), (room) =>
          room.transition(c.get("actor"), "end"),
        ),
      ),
    ),
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/sessions/{id}/invitation-code/rotate",
      tags: ["membership"],
      security,
      request: { params: SessionIdParam },
      responses: responses(z.object({ invitation_code: z.string() }), "The new code; the old one no longer works"),
    }),
    async (c) =>
      ok(
        c,
        unwrap(
          await sessionGateway(c.env, c.req.valid("param").id).call(c.get("actor"), (room) =>
            room.rotateInvitationCode(c.get("actor")),
          ),
        ),
      ),
  );
