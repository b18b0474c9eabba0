import { and, avg, count, eq, inArray, isNotNull, lte, or, sql, sum } from "drizzle-orm";
import type { Database } from "./client";
import { sessions } from "./schema";

/** Sessions whose idle end or archive is due by D1's projection: the sweep asks their objects to act. */
export async function overdueSessions(db: Database, now: string, limit = 500): Promise<string[]> {
  const rows = await db
    .select({ id: sessions.id })
    .from(sessions)
    .where(
      or(
        and(inArray(sessions.status, ["active", "paused"]), lte(sessions.idle_deadline_at, now)),
        and(eq(sessions.status, "ended"), lte(sessions.archive_due_at, now)),
      ),
    )
    .limit(limit)
    .all();
  return rows.map((row) => row.id);
}

export async function adminStats(db: Database) {
  const byStatus = await db
    .select({ status: sessions.status, n: count() })
    .from(sessions)
    .groupBy(sessions.status)
    .all();
  const totals = await db
    .select({ sessions: count(), activities: sum(sessions.activity_count) })
    .from(sessions)
    .get();
  const duration = await db
    .select({
      hours: avg(sql<number>`(julianday(${sessions.ended_at}) - julianday(${sessions.started_at})) * 24`),
    })
    .from(sessions)
    .where(isNotNull(sessions.ended_at))
    .get();
  const statusCount = (status: string) => byStatus.find((row) => row.status === status)?.n ?? 0;
  return {
    total_sessions: totals?.sessions ?? 0,
    by_status: {
      active: statusCount("active"),
      paused: statusCount("paused"),
      ended: statusCount("ended"),
      archived: statusCount("archived"),
    },
    total_activities: Number(totals?.activities ?? 0),
    average_session_duration_hours: Math.round(Number(duration?.hours ?? 0) * 100) / 100,
  };
}
