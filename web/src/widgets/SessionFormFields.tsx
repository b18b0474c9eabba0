/** Fields the new-session dialog, the session settings and the template editor share. */
import type { AccessMode, AssignableRole } from "chordme-sessions/client";
import type { ReactNode } from "react";
import { ACCESS_LABELS, ASSIGNABLE, ROLE_LABELS } from "../lib/words";

const ACCESS_MODES: AccessMode[] = ["invite-only", "link-access", "public"];

/** "Who can join": one radio button per access mode, each with what it means; `children` add notes below. */
export function AccessModeChoice({
  name,
  value,
  onChange,
  children,
}: {
  /** The radio group's name, unique on the page. */
  name: string;
  value: AccessMode;
  onChange: (mode: AccessMode) => void;
  children?: ReactNode;
}) {
  return (
    <fieldset>
      <legend>Who can join</legend>
      {ACCESS_MODES.map((mode) => (
        <label key={mode} className="inline block">
          <input type="radio" name={name} value={mode} checked={value === mode} onChange={() => onChange(mode)} />
          <strong>{ACCESS_LABELS[mode].label}</strong>
          <span className="muted"> — {ACCESS_LABELS[mode].explanation}</span>
        </label>
      ))}
      {children}
    </fieldset>
  );
}

/** The role people joining by link or publicly get. */
export function NewcomerRoleSelect({
  value,
  onChange,
}: {
  value: AssignableRole;
  onChange: (role: AssignableRole) => void;
}) {
  return (
    <label>
      People joining by link or publicly become
      <select value={value} onChange={(e) => onChange(e.target.value as AssignableRole)}>
        {ASSIGNABLE.map((role) => (
          <option key={role} value={role}>
            {ROLE_LABELS[role]}
          </option>
        ))}
      </select>
    </label>
  );
}
