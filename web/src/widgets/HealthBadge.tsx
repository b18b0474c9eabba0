import type { SessionHealth } from "chordme-sessions/client";
import { useEffect, useState } from "react";
import { useApp } from "../lib/app";

const REFRESH_MS = 30_000;

/** The session's health score; absent when the server does not report one. */
export function HealthBadge({ sessionId }: { sessionId: string }) {
  const { service } = useApp();
  const [health, setHealth] = useState<SessionHealth | null>(null);

  useEffect(() => {
    let cancelled = false;
    const load = () =>
      service.getHealth(sessionId).then(
        (result) => {
          if (!cancelled) setHealth(result);
        },
        () => {
          if (!cancelled) setHealth(null);
        },
      );
    void load();
    const timer = setInterval(load, REFRESH_MS);
    return () => {
      cancelled = true;
      clearInterval(timer);
    };
  }, [service, sessionId]);

  if (!health) return null;
  const details = health.factors.map((factor) => `${factor.name}: ${factor.points} (${factor.detail})`).join("\n");
  return (
    <span className={`badge health-${health.level}`} title={details} data-testid="health">
      Health: {health.level} ({health.score})
    </span>
  );
}
