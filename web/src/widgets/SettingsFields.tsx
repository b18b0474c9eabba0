import { useId } from "react";
import {
  describeMinutes,
  type NumericSetting,
  SETTING_LABELS,
  SETTINGS_BOUNDS,
  type SettingsDraft,
} from "../lib/settings";

interface SettingsFieldsProps {
  draft: SettingsDraft;
  onChange: (draft: SettingsDraft) => void;
  /** Under the auto-recording box: what it does where the fields are shown. */
  recordingHint?: string;
}

const HINTS: Record<NumericSetting, (value: number) => string> = {
  idle_timeout_minutes: (value) => {
    const words = describeMinutes(value);
    return words ? `The session ends by itself after ${words} without activity.` : "";
  },
  archive_after_days: (value) =>
    value === 0 ? "Archived as soon as it ends." : `Archived (read-only, stored away) ${value} days after it ends.`,
  auto_save_interval: () => "How often the live sheet is written back to the song while it changes.",
};

/** The session settings the service acts on: auto-recording, idle end, archiving and auto-save. */
export function SettingsFields({ draft, onChange, recordingHint }: SettingsFieldsProps) {
  const id = useId();
  return (
    <fieldset className="settings-fields">
      <legend>Settings</legend>
      <label className="inline">
        <input
          type="checkbox"
          checked={draft.auto_recording}
          onChange={(event) => onChange({ ...draft, auto_recording: event.target.checked })}
          aria-describedby={recordingHint ? `${id}-recording` : undefined}
        />
        Record automatically when the session starts
      </label>
      {recordingHint ? (
        <p className="muted small hint" id={`${id}-recording`}>
          {recordingHint}
        </p>
      ) : null}
      <div className="three-columns">
        {(Object.keys(SETTING_LABELS) as NumericSetting[]).map((key) => {
          const bounds = SETTINGS_BOUNDS[key];
          const hint = HINTS[key](Number(draft[key]));
          return (
            <div className="field" key={key}>
              <label htmlFor={`${id}-${key}`}>{SETTING_LABELS[key]}</label>
              <input
                id={`${id}-${key}`}
                type="number"
                inputMode="numeric"
                min={bounds.min}
                max={bounds.max}
                step={1}
                value={draft[key]}
                onChange={(event) => onChange({ ...draft, [key]: event.target.value })}
                aria-describedby={`${id}-${key}-hint`}
              />
              <span className="muted small" id={`${id}-${key}-hint`}>
                {hint} ({bounds.min}–{bounds.max})
              </span>
            </div>
          );
        })}
      </div>
    </fieldset>
  );
}
