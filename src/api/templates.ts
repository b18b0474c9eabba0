import { createRoute, z } from "@hono/zod-openapi";
import { eq } from "drizzle-orm";
import type { Database } from "../db/client";
import { database } from "../db/client";
import { sessionTemplates } from "../db/schema";
import { findTemplate, listTemplates, templateOut } from "../db/templates";
import type { Actor } from "../domain/actor";
import { TemplateCreateSchema, TemplateSchema, TemplateUpdateSchema } from "../domain/schemas";
import { ApiError, notFound } from "./errors";
import { jsonBody, responses, security } from "./openapi";
import { createRouter, ok } from "./router";

const TemplateIdParam = z.object({
  id: z.coerce
    .number()
    .int()
    .positive()
    .openapi({ param: { name: "id", in: "path" } }),
});

/** The template, when the actor created it; the defaults belong to no one and stay as shipped. */
async function ownTemplate(db: Database, actor: Actor, id: number) {
  const template = await findTemplate(db, actor.userId, id);
  if (!template) throw notFound("Template");
  if (template.is_default) throw new ApiError(403, "FORBIDDEN", "The default templates are read-only");
  if (template.created_by !== actor.userId)
    throw new ApiError(403, "FORBIDDEN", "Only the template's creator may change it");
  return template;
}

export const templatesRouter = createRouter()
  .openapi(
    createRoute({
      method: "get",
      path: "/sessions/templates",
      tags: ["templates"],
      security,
      request: { query: z.object({ category: z.string().trim().min(1).max(50).optional() }) },
      responses: responses(
        z.object({ templates: z.array(TemplateSchema) }),
        "Public templates and mine, most used first",
      ),
    }),
    async (c) => {
      const { category } = c.req.valid("query");
      return ok(c, { templates: await listTemplates(database(c.env.DB), c.get("actor").userId, category) });
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/sessions/templates/{id}",
      tags: ["templates"],
      security,
      request: { params: TemplateIdParam },
      responses: responses(TemplateSchema, "The template"),
    }),
    async (c) => {
      const template = await findTemplate(database(c.env.DB), c.get("actor").userId, c.req.valid("param").id);
      if (!template) throw notFound("Template");
      return ok(c, template);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/sessions/templates",
      tags: ["templates"],
      security,
      request: { body: jsonBody(TemplateCreateSchema) },
      responses: responses(TemplateSchema, "The new template", 201),
    }),
    async (c) => {
      const body = c.req.valid("json");
      const row = await database(c.env.DB)
        .insert(sessionTemplates)
        .values({
          ...body,
          description: body.description ?? null,
          created_by: c.get("actor").userId,
          is_default: false,
        })
        .returning()
        .get();
      return ok(c, templateOut(row), 201);
    },
  )
  .openapi(
    createRoute({
      method: "patch",
      path: "/sessions/templates/{id}",
      tags: ["templates"],
      security,
      request: { params: TemplateIdParam, body: jsonBody(TemplateUpdateSchema) },
      responses: responses(TemplateSchema, "The updated template"),
    }),
    async (c) => {
      const db = database(c.env.DB);
      const template = await ownTemplate(db, c.get("actor"), c.req.valid("param").id);
      const row = await db
        .update(sessionTemplates)
        .set({ ...c.req.valid("json"), updated_at: new Date().toISOString() })
        .where(eq(sessionTemplates.id, template.id))
        .returning()
        .get();
      return ok(c, templateOut(row!));
    },
  )
  .openapi(
    createRoute({
      method: "delete",
      path: "/sessions/templates/{id}",
      tags: ["templates"],
      security,
      request: { params: TemplateIdParam },
      responses: responses(z.object({ id: z.int(), deleted: z.literal(true) }), "Deleted"),
    }),
    async (c) => {
      const db = database(c.env.DB);
      const template = await ownTemplate(db, c.get("actor"), c.req.valid("param").id);
      await db.delete(sessionTemplates).where(eq(sessionTemplates.id, template.id));
      return ok(c, { id: template.id, deleted: true as const });
    },
  );
