import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { database } from "../db/client";
import { adminStats, overdueSessions } from "../db/lifecycle";
import { AdminStatsSchema } from "../domain/schemas";
import type { AppEnv, Bindings } from "../env";
import { sessionGateway } from "../room/gateway";
import { ApiError } from "./errors";
import { jsonBody, responses, security } from "./openapi";
import { createRouter, ok } from "./router";

export interface SweepReport {
  dry_run: boolean;
  sessions_checked: number;
  sessions_ended: number;
  sessions_archived: number;
  errors: { session_id: string; message: string }[];
}

/**
 * The backstop for lost alarms: finds sessions past their deadlines in D1 and asks each object to do its due work.
 * The object decides with its own state, so running the sweep twice does nothing the second time.
 */
export async function sweep(env: Bindings, dryRun: boolean): Promise<SweepReport> {
  const ids = await overdueSessions(database(env.DB), new Date().toISOString());
  const report: SweepReport = {
    dry_run: dryRun,
    sessions_checked: ids.length,
    sessions_ended: 0,
    sessions_archived: 0,
    errors: [],
  };
  for (const id of ids) {
    try {
      // A dry run asks each object what a real run would do, with the same state it would decide with.
      const result = await sessionGateway(env, id).call(null, (room) =>
        dryRun ? room.previewLifecycle() : room.runLifecycle(),
      );
      if (!result.ok) {
        report.errors.push({ session_id: id, message: result.error.message });
        continue;
      }
      if (result.value.ended) report.sessions_ended += 1;
      if (result.value.archived) report.sessions_archived += 1;
    } catch (error) {
      report.errors.push({ session_id: id, message: error instanceof Error ? error.message : String(error) });
    }
  }
  return report;
}

function requireAdmin(c: Context<AppEnv>): void {
  if (!c.get("actor").isAdmin) throw new ApiError(403, "FORBIDDEN", "Only administrators may do this");
}

export const adminRouter = createRouter()
  .openapi(
    createRoute({
      method: "post",
      path: "/sessions/cleanup",
      tags: ["lifecycle"],
      security,
      description:
        "Admin only. Ends idle sessions and archives old ended ones now; dry_run reports without changing anything.",
      request: { body: { ...jsonBody(z.object({ dry_run: z.boolean().default(false) })), required: false } },
      responses: responses(
        z.object({
          dry_run: z.boolean(),
          sessions_checked: z.int(),
          sessions_ended: z.int(),
          sessions_archived: z.int(),
          errors: z.array(z.object({ session_id: z.string(), message: z.string() })),
        }),
        "What the sweep found and did",
      ),
    }),
    async (c) => {
      requireAdmin(c);
      return ok(c, await sweep(c.env, c.req.valid("json").dry_run ?? false));
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/sessions/stats",
      tags: ["statistics"],
      security,
      description: "Admin only.",
      responses: responses(AdminStatsSchema, "Across all sessions"),
    }),
    async (c) => {
      requireAdmin(c);
      return ok(c, await adminStats(database(c.env.DB)));
    },
  );
