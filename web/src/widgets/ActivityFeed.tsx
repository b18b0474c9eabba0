import type { Activity } from "chordme-sessions/client";
import { useCallback, useEffect, useState } from "react";
import { useApp, useErrorSentence } from "../lib/app";
import { formatDateTime, formatRelative } from "../lib/format";
import { ErrorNote } from "./common";

const REFRESH_MS = 15_000;
const PAGE = 15;

/** What happened in the session, newest first. `refreshKey` changes when something happened live. */
export function ActivityFeed({ sessionId, refreshKey }: { sessionId: string; refreshKey: number }) {
  const { service } = useApp();
  const sentence = useErrorSentence();
  const [activities, setActivities] = useState<Activity[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  const loadLatest = useCallback(async () => {
    try {
      const page = await service.getActivities(sessionId, { limit: PAGE });
      setActivities((current) => {
        // Keep older pages already loaded below the fresh first page.
        const fresh = new Set(page.activities.map((activity) => activity.id));
        const oldestFresh = page.activities[page.activities.length - 1]?.id ?? Number.POSITIVE_INFINITY;
        return [...page.activities, ...current.filter((entry) => !fresh.has(entry.id) && entry.id < oldestFresh)];
      });
      setCursor((current) => current ?? page.next_cursor);
      setError(null);
    } catch (caught) {
      setError(sentence(caught));
    }
  }, [service, sessionId, sentence]);

  useEffect(() => {
    const timer = setTimeout(loadLatest, refreshKey === 0 ? 0 : 400);
    return () => clearTimeout(timer);
  }, [loadLatest, refreshKey]);

  useEffect(() => {
    const timer = setInterval(loadLatest, REFRESH_MS);
    return () => clearInterval(timer);
  }, [loadLatest]);

  async function loadOlder() {
    if (!cursor) return;
    try {
      const page = await service.getActivities(sessionId, { limit: PAGE, cursor });
      setActivities((current) => [...current, ...page.activities.filter((a) => !current.some((c) => c.id === a.id))]);
      setCursor(page.next_cursor);
    } catch (caught) {
      setError(sentence(caught));
    }
  }

  return (
    <section className="activity" aria-label="Activity">
      <h3>Activity</h3>
      <ErrorNote message={error} />
      {activities.length === 0 && !error ? <p className="muted small">Nothing yet.</p> : null}
      <ol>
        {activities.map((activity) => (
          <li key={activity.id} className={activity.is_private ? "private" : undefined}>
            <span>{activity.description}</span>
            <time dateTime={activity.created_at} title={formatDateTime(activity.created_at)}>
              {formatRelative(activity.created_at)}
            </time>
          </li>
        ))}
      </ol>
      {cursor ? (
        <button type="button" className="link" onClick={loadOlder}>
          Older activity
        </button>
      ) : null}
    </section>
  );
}
