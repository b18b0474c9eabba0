import { and, asc, desc, eq, or, sql } from "drizzle-orm";
import type { PermissionMap } from "../domain/permissions";
import type { Template } from "../domain/schemas";
import type { Database } from "./client";
import { sessionTemplates } from "./schema";

type TemplateRecord = typeof sessionTemplates.$inferSelect;

export function templateOut(row: TemplateRecord): Template {
  return {
    ...row,
    permissions: row.permissions as PermissionMap,
    settings: row.settings as Record<string, unknown>,
  };
}

/** Templates a user may see and use: the public ones and their own. */
function visibleTo(userId: string) {
  return or(eq(sessionTemplates.is_public, true), eq(sessionTemplates.created_by, userId));
}

export async function listTemplates(db: Database, userId: string, category?: string): Promise<Template[]> {
  const rows = await db
    .select()
    .from(sessionTemplates)
    .where(category ? and(visibleTo(userId), eq(sessionTemplates.category, category)) : visibleTo(userId))
    .orderBy(desc(sessionTemplates.usage_count), asc(sessionTemplates.name), asc(sessionTemplates.id))
    .limit(500)
    .all();
  return rows.map(templateOut);
}

export async function findTemplate(db: Database, userId: string, id: number): Promise<Template | null> {
  const row = await db
    .select()
    .from(sessionTemplates)
    .where(and(eq(sessionTemplates.id, id), visibleTo(userId)))
    .get();
  return row ? templateOut(row) : null;
}

export async function countTemplateUse(db: Database, id: number): Promise<void> {
  await db
    .update(sessionTemplates)
    .set({ usage_count: sql`${sessionTemplates.usage_count} + 1` })
    .where(eq(sessionTemplates.id, id));
}
