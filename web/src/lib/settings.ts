/**
 * Session settings as the service defines them (src/domain/settings.ts and CONTRACT §4): their names, defaults and
 * bounds, the form's draft of them, and durations in words.
 */
import type { Template } from "chordme-sessions/client";

/** A type, not an interface: it goes into the API's open settings record as it is. */
export type SettingsValues = {
  auto_recording: boolean;
  /** A session with no activity for this long ends by itself. */
  idle_timeout_minutes: number;
  /** An ended session is archived this many days after it ended. */
  archive_after_days: number;
  /** Seconds between saves of the live text back to the song. */
  auto_save_interval: number;
};

export type NumericSetting = "idle_timeout_minutes" | "archive_after_days" | "auto_save_interval";

export const DEFAULT_SETTINGS: SettingsValues = {
  auto_recording: false,
  idle_timeout_minutes: 7 * 24 * 60,
  archive_after_days: 30,
  auto_save_interval: 30,
};

export const SETTINGS_BOUNDS: Record<NumericSetting, { min: number; max: number }> = {
  idle_timeout_minutes: { min: 1, max: 365 * 24 * 60 },
  archive_after_days: { min: 0, max: 3650 },
  auto_save_interval: { min: 5, max: 3600 },
};

export const SETTING_LABELS: Record<NumericSetting, string> = {
  idle_timeout_minutes: "End after inactivity (minutes)",
  archive_after_days: "Archive after ending (days)",
  auto_save_interval: "Save to the song every (seconds)",
};

/** The participant limit's bounds (CONTRACT: 2..50). */
export const LIMIT_BOUNDS = { min: 2, max: 50 };

/** What a form holds: numbers as typed, so a field can be empty while someone edits it. */
export type SettingsDraft = { auto_recording: boolean } & Record<NumericSetting, string>;

const NUMERIC: NumericSetting[] = ["idle_timeout_minutes", "archive_after_days", "auto_save_interval"];

/** A session's or template's settings object, with the defaults for whatever it leaves out. */
export function settingsFrom(settings: Record<string, unknown> | null | undefined): SettingsValues {
  const values = { ...DEFAULT_SETTINGS };
  if (typeof settings?.auto_recording === "boolean") values.auto_recording = settings.auto_recording;
  for (const key of NUMERIC) {
    const value = settings?.[key];
    if (typeof value === "number" && Number.isInteger(value)) values[key] = value;
  }
  return values;
}

/** What a template gives a new session: its settings, with its own auto-recording and auto-save columns on top. */
export function templateSettings(template: Template): SettingsValues {
  return {
    ...settingsFrom(template.settings),
    auto_recording: template.auto_recording,
    auto_save_interval: template.auto_save_interval,
  };
}

export function toDraft(values: SettingsValues): SettingsDraft {
  return {
    auto_recording: values.auto_recording,
    idle_timeout_minutes: String(values.idle_timeout_minutes),
    archive_after_days: String(values.archive_after_days),
    auto_save_interval: String(values.auto_save_interval),
  };
}

/** A whole number within bounds, or the sentence that says what is wrong with it. */
export function parseBounded(
  text: string,
  label: string,
  bounds: { min: number; max: number },
): { value: number } | { problem: string } {
  const value = Number(text.trim());
  if (text.trim() === "" || !Number.isInteger(value)) return { problem: `${label}: enter a whole number.` };
  if (value < bounds.min || value > bounds.max) {
    return { problem: `${label}: choose between ${bounds.min} and ${bounds.max}.` };
  }
  return { value };
}

export function parseDraft(draft: SettingsDraft): { values: SettingsValues } | { problem: string } {
  const values: SettingsValues = { ...DEFAULT_SETTINGS, auto_recording: draft.auto_recording };
  for (const key of NUMERIC) {
    const parsed = parseBounded(draft[key], SETTING_LABELS[key].replace(/ \(.*\)$/, ""), SETTINGS_BOUNDS[key]);
    if ("problem" in parsed) return parsed;
    values[key] = parsed.value;
  }
  return { values };
}

/** The settings that differ from `before`: what a PATCH needs to send. */
export function changedSettings(before: SettingsValues, after: SettingsValues): Partial<SettingsValues> {
  const changed: Partial<SettingsValues> = {};
  if (before.auto_recording !== after.auto_recording) changed.auto_recording = after.auto_recording;
  for (const key of NUMERIC) if (before[key] !== after[key]) changed[key] = after[key];
  return changed;
}

const plural = (count: number, unit: string) => `${count} ${unit}${count === 1 ? "" : "s"}`;

/** 10080 → "7 days", 90 → "1 hour 30 minutes". */
export function describeMinutes(minutes: number): string {
  if (!Number.isFinite(minutes) || minutes <= 0) return "";
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  const rest = minutes % 60;
  return [days ? plural(days, "day") : "", hours ? plural(hours, "hour") : "", rest ? plural(rest, "minute") : ""]
    .filter(Boolean)
    .join(" ");
}

/** A duration in seconds as "2 h 05 min", "4 min 10 s" or "12 s". */
export function describeSeconds(seconds: number): string {
  const total = Math.max(0, Math.round(seconds));
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const rest = total % 60;
  if (hours) return `${hours} h ${String(minutes).padStart(2, "0")} min`;
  if (minutes) return `${minutes} min ${rest} s`;
  return `${rest} s`;
}

/** One line saying what a set of settings does. */
export function summarizeSettings(values: SettingsValues): string {
  return [
    values.auto_recording ? "records automatically" : "records when you start it",
    `ends after ${describeMinutes(values.idle_timeout_minutes)} without activity`,
    values.archive_after_days === 0
      ? "archived as soon as it ends"
      : `archived ${plural(values.archive_after_days, "day")} after it ends`,
    `saves to the song every ${plural(values.auto_save_interval, "second")}`,
  ].join(" · ");
}
