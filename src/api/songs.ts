import { createRoute, z } from "@hono/zod-openapi";
import { eq } from "drizzle-orm";
import { database } from "../db/client";
import { songShares, songs } from "../db/schema";
import { createSong, writeSongText } from "../db/song-text";
import { listSongs, mayEditSong, type SongPermission, type SongRecord, songWithAccess } from "../db/songs";
import { SongCreateSchema, SongSchema, SongShareSchema, SongUpdateSchema } from "../domain/song-schemas";
import { MAX_SONGS_PER_USER } from "../domain/songs";
import { summarize } from "../domain/version-summary";
import { ApiError, notFound } from "./errors";
import { jsonBody, responses, security } from "./openapi";
import { createRouter, ok } from "./router";

const SongIdParam = z.object({
  id: z.coerce
    .number()
    .int()
    .positive()
    .openapi({ param: { name: "id", in: "path" } }),
});

function songOut(song: SongRecord, permission: SongPermission) {
  return { ...song, permission };
}

export const songBusy = () =>
  new ApiError(409, "CONFLICT", "The song was changed by others many times at once; try again");

export const songsRouter = createRouter()
  .openapi(
    createRoute({
      method: "post",
      path: "/songs",
      tags: ["songs"],
      security,
      request: { body: jsonBody(SongCreateSchema) },
      responses: responses(SongSchema, "The new song", 201),
    }),
    async (c) => {
      const body = c.req.valid("json");
      const song = await createSong(database(c.env.DB), {
        title: body.title,
        content: body.content,
        owner_id: c.get("actor").userId,
        summary: summarize({ kind: "created", before: "", after: body.content }),
      });
      if (!song) {
        throw new ApiError(
          409,
          "SONG_LIMIT_REACHED",
          `You own ${MAX_SONGS_PER_USER} songs, the most one may; delete or give away one to create another`,
        );
      }
      return ok(c, songOut(song, "owner"), 201);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/songs",
      tags: ["songs"],
      security,
      responses: responses(z.object({ songs: z.array(SongSchema) }), "My songs and songs shared with me"),
    }),
    async (c) => ok(c, { songs: await listSongs(database(c.env.DB), c.get("actor")) }),
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/songs/{id}",
      tags: ["songs"],
      security,
      request: { params: SongIdParam },
      responses: responses(SongSchema, "The song"),
    }),
    async (c) => {
      const access = await songWithAccess(database(c.env.DB), c.req.valid("param").id, c.get("actor"));
      if (!access) throw notFound("Song");
      return ok(c, songOut(access.song, access.permission));
    },
  )
  .openapi(
    createRoute({
      method: "put",
      path: "/songs/{id}",
      tags: ["songs"],
      security,
      request: { params: SongIdParam, body: jsonBody(SongUpdateSchema) },
      responses: responses(SongSchema, "The updated song"),
    }),
    async (c) => {
      const db = database(c.env.DB);
      const access = await songWithAccess(db, c.req.valid("param").id, c.get("actor"));
      if (!access) throw notFound("Song");
      if (!mayEditSong(access.permission))
        throw new ApiError(403, "FORBIDDEN", "You may read this song but not edit it");
      const body = c.req.valid("json");
      const actor = c.get("actor");
      let song = access.song;
      // A new text is a new version (with the title, when one is given); the same text again is none.
      if (body.content !== undefined) {
        const content = body.content;
        const written = await writeSongText(db, song.id, (current) =>
          current.content === content
            ? null
            : {
                content,
                title: body.title,
                kind: "edited",
                author_id: actor.userId,
                summary: summarize({ kind: "edited", before: current.content, after: content }),
              },
        );
        if (written.outcome === "missing") throw notFound("Song");
        if (written.outcome === "busy") throw songBusy();
        song = written.song;
      }
      if (body.title !== undefined && body.title !== song.title) {
        song =
          (await db
            .update(songs)
            .set({ title: body.title, updated_at: new Date().toISOString() })
            .where(eq(songs.id, song.id))
            .returning()
            .get()) ?? song;
      }
      return ok(c, songOut(song, access.permission));
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/songs/{id}/share",
      tags: ["songs"],
      security,
      request: { params: SongIdParam, body: jsonBody(SongShareSchema) },
      responses: responses(
        z.object({
          song_id: z.int(),
          user_id: z.string().nullable(),
          email: z.string().nullable(),
          permission: z.string(),
        }),
        "The share",
      ),
    }),
    async (c) => {
      const db = database(c.env.DB);
      const actor = c.get("actor");
      const access = await songWithAccess(db, c.req.valid("param").id, actor);
      if (!access) throw notFound("Song");
      if (access.permission !== "owner" && access.permission !== "admin") {
        throw new ApiError(403, "FORBIDDEN", "Only the owner or an admin of the song may share it");
      }
      const body = c.req.valid("json");
      // A share by email belongs to whoever holds that email when they use it (their token's email); it is never
      // turned into a share for the account that holds it today, and the answer does not say whether anyone does.
      const email = body.email?.toLowerCase() ?? null;
      const userId = body.user_id ?? null;
      if (userId === access.song.owner_id)
        throw new ApiError(409, "CONFLICT", "The owner already has every permission");
      const values = {
        song_id: access.song.id,
        user_id: userId,
        email: userId ? null : email,
        permission: body.permission,
        created_by: actor.userId,
      };
      // Sharing again with the same user id or email replaces the permission, so it can also lower it.
      await db
        .insert(songShares)
        .values(values)
        .onConflictDoUpdate({
          target: userId ? [songShares.song_id, songShares.user_id] : [songShares.song_id, songShares.email],
          set: { permission: body.permission },
        });
      return ok(c, {
        song_id: values.song_id,
        user_id: values.user_id,
        email: values.email,
        permission: values.permission,
      });
    },
  );
