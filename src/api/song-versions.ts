import { createRoute, z } from "@hono/zod-openapi";
import { database } from "../db/client";
import { writeSongText } from "../db/song-text";
import { getVersion, listVersions } from "../db/song-versions";
import { mayEditSong, songWithAccess } from "../db/songs";
import { SongSchema, SongVersionPageSchema, SongVersionSchema, SongVersionsQuerySchema } from "../domain/song-schemas";
import { summarize } from "../domain/version-summary";
import { ApiError, notFound } from "./errors";
import { responses, security } from "./openapi";
import { createRouter, ok } from "./router";
import { songBusy } from "./songs";

const positiveInt = (name: string) =>
  z.coerce
    .number()
    .int()
    .positive()
    .max(Number.MAX_SAFE_INTEGER)
    .openapi({ param: { name, in: "path" } });

const SongIdParam = z.object({ id: positiveInt("id") });
const VersionParams = z.object({ id: positiveInt("id"), n: positiveInt("n") });

/** A song's versions: read with the song's read permission, restored with its edit permission. */
export const songVersionsRouter = createRouter()
  .openapi(
    createRoute({
      method: "get",
      path: "/songs/{id}/versions",
      tags: ["songs"],
      security,
      request: { params: SongIdParam, query: SongVersionsQuerySchema },
      responses: responses(SongVersionPageSchema, "The song's versions, newest first, without their texts"),
    }),
    async (c) => {
      const db = database(c.env.DB);
      const access = await songWithAccess(db, c.req.valid("param").id, c.get("actor"));
      if (!access) throw notFound("Song");
      const query = c.req.valid("query");
      const before = query.cursor === undefined ? undefined : Number(query.cursor);
      return ok(c, await listVersions(db, access.song.id, { limit: query.limit, before }));
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/songs/{id}/versions/{n}",
      tags: ["songs"],
      security,
      request: { params: VersionParams },
      responses: responses(SongVersionSchema, "One version with its text"),
    }),
    async (c) => {
      const db = database(c.env.DB);
      const { id, n } = c.req.valid("param");
      const access = await songWithAccess(db, id, c.get("actor"));
      if (!access) throw notFound("Song");
      const version = await getVersion(db, access.song.id, n);
      if (!version) throw notFound("Version");
      return ok(c, version);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/songs/{id}/versions/{n}/restore",
      tags: ["songs"],
      security,
      description:
        "Makes the version's text the song's text again, as a new version. Restoring a version that was not " +
        "applied (a refused session write-back) is how it is accepted. Restoring the song's current text changes nothing.",
      request: { params: VersionParams },
      responses: responses(SongSchema, "The song with the restored text"),
    }),
    async (c) => {
      const db = database(c.env.DB);
      const actor = c.get("actor");
      const { id, n } = c.req.valid("param");
      const access = await songWithAccess(db, id, actor);
      if (!access) throw notFound("Song");
      if (!mayEditSong(access.permission))
        throw new ApiError(403, "FORBIDDEN", "You may read this song but not edit it");
      const version = await getVersion(db, access.song.id, n);
      if (!version) throw notFound("Version");
      const written = await writeSongText(db, access.song.id, (current) =>
        current.content === version.content
          ? null
          : {
              content: version.content,
              kind: "restored",
              author_id: actor.userId,
              summary: summarize({
                kind: "restored",
                before: current.content,
                after: version.content,
                restoredFrom: n,
              }),
            },
      );
      if (written.outcome === "missing") throw notFound("Song");
      if (written.outcome === "busy") throw songBusy();
      return ok(c, { ...written.song, permission: access.permission });
    },
  );
