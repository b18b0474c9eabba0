/** Session settings: the keys the service acts on, their defaults and bounds. Unknown keys are kept as given. */

export interface KnownSettings {
  /** Seconds between saves of the live text back to the song while it changes. */
  auto_save_interval: number;
  auto_recording: boolean;
  /** A session with no activity for this long ends by itself. */
  idle_timeout_minutes: number;
  /** An ended session is archived this many days after it ended. */
  archive_after_days: number;
}

export const DEFAULT_SETTINGS: KnownSettings = {
  auto_save_interval: 30,
  auto_recording: false,
  idle_timeout_minutes: 7 * 24 * 60,
  archive_after_days: 30,
};

export const SETTINGS_BOUNDS = {
  auto_save_interval: { min: 5, max: 3600 },
  idle_timeout_minutes: { min: 1, max: 365 * 24 * 60 },
  archive_after_days: { min: 0, max: 3650 },
} as const;

export type SessionSettings = KnownSettings & Record<string, unknown>;

/** Later layers win: defaults, then the template's settings, then what the request says. */
export function mergeSettings(...layers: (Record<string, unknown> | undefined | null)[]): SessionSettings {
  const merged: Record<string, unknown> = { ...DEFAULT_SETTINGS };
  for (const layer of layers) {
    if (!layer) continue;
    for (const [key, value] of Object.entries(layer)) {
      if (value !== undefined) merged[key] = value;
    }
  }
  return merged as SessionSettings;
}

/**
 * Whether the session writes its text back to the song on a timer (ChordMe's `auto_save_enabled`): it does every
 * `auto_save_interval` seconds, so whenever that is a positive number (always, within SETTINGS_BOUNDS).
 */
export function autoSaveEnabled(settings: Record<string, unknown>): boolean {
  const interval = settings.auto_save_interval;
  return typeof interval === "number" && interval > 0;
}

const MINUTE_MS = 60_000;
const DAY_MS = 24 * 60 * MINUTE_MS;

/** When an active or paused session ends for lack of activity. */
export function idleDeadline(lastActivityAt: string, settings: KnownSettings): string {
  return new Date(Date.parse(lastActivityAt) + settings.idle_timeout_minutes * MINUTE_MS).toISOString();
}

/** When an ended session is archived. */
export function archiveDeadline(endedAt: string, settings: KnownSettings): string {
  return new Date(Date.parse(endedAt) + settings.archive_after_days * DAY_MS).toISOString();
}
