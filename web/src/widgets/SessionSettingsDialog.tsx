import type { AccessMode, AssignableRole, SessionUpdate, SessionView } from "chordme-sessions/client";
import { type FormEvent, useState } from "react";
import { useApp, useErrorSentence } from "../lib/app";
import type { SessionRights } from "../lib/rights";
import { linkProps } from "../lib/router";
import {
  changedSettings,
  LIMIT_BOUNDS,
  parseBounded,
  parseDraft,
  type SettingsDraft,
  type SettingsValues,
  settingsFrom,
  toDraft,
} from "../lib/settings";
import { ErrorNote, FormActions } from "./common";
import { Dialog } from "./Dialog";
import { AccessModeChoice, NewcomerRoleSelect } from "./SessionFormFields";
import { SettingsFields } from "./SettingsFields";

interface SessionSettingsDialogProps {
  session: SessionView;
  rights: SessionRights;
  onClose: () => void;
  /** The session as saved; the page shows it and says so. */
  onSaved: (session: SessionView) => void;
}

/** The leader's settings for a running session (PATCH /sessions/:id), and saving them as a template of their own. */
export function SessionSettingsDialog({ session, rights, onClose, onSaved }: SessionSettingsDialogProps) {
  const { service } = useApp();
  const sentence = useErrorSentence();
  const saved = settingsFrom(session.settings);
  const active = session.participants.filter((participant) => participant.status === "active").length;
  const lowest = Math.max(LIMIT_BOUNDS.min, active);
  const [name, setName] = useState(session.name);
  const [description, setDescription] = useState(session.description ?? "");
  const [accessMode, setAccessMode] = useState<AccessMode>(session.access_mode);
  const [limit, setLimit] = useState(String(session.max_participants));
  const [defaultRole, setDefaultRole] = useState<AssignableRole>(session.default_role);
  const [settings, setSettings] = useState<SettingsDraft>(() => toDraft(saved));
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  /** The form's values, checked; null (with the problem shown) when something is out of bounds. */
  function values(): { limit: number; settings: SettingsValues } | null {
    if (!name.trim()) {
      setError("Give the session a name.");
      return null;
    }
    const parsedLimit = parseBounded(limit, "Participant limit", { min: lowest, max: LIMIT_BOUNDS.max });
    if ("problem" in parsedLimit) {
      setError(
        active > LIMIT_BOUNDS.min && Number(limit) < active
          ? `Participant limit: ${active} people are in the session, so it cannot go below ${active}.`
          : parsedLimit.problem,
      );
      return null;
    }
    const parsed = parseDraft(settings);
    if ("problem" in parsed) {
      setError(parsed.problem);
      return null;
    }
    return { limit: parsedLimit.value, settings: parsed.values };
  }

  async function submit(event: FormEvent) {
    event.preventDefault();
    setError(null);
    const checked = values();
    if (!checked) return;
    const patch: SessionUpdate = {};
    if (name.trim() !== session.name) patch.name = name.trim();
    if ((description.trim() || null) !== session.description) patch.description = description.trim() || null;
    if (accessMode !== session.access_mode) patch.access_mode = accessMode;
    if (checked.limit !== session.max_participants) patch.max_participants = checked.limit;
    if (defaultRole !== session.default_role) patch.default_role = defaultRole;
    const settingsPatch = changedSettings(saved, checked.settings);
    if (Object.keys(settingsPatch).length > 0) patch.settings = settingsPatch;
    if (Object.keys(patch).length === 0) {
      onClose();
      return;
    }
    setBusy(true);
    try {
      onSaved(await service.updateSession(session.id, patch));
    } catch (caught) {
      setError(sentence(caught));
    } finally {
      setBusy(false);
    }
  }

  return (
    <Dialog title="Session settings" onClose={onClose}>
      <form onSubmit={submit} aria-label="Session settings" noValidate>
        <label>
          Session name
          <input value={name} onChange={(e) => setName(e.target.value)} maxLength={255} />
        </label>
        <label>
          Description (optional)
          <input value={description} onChange={(e) => setDescription(e.target.value)} maxLength={2000} />
        </label>
        <AccessModeChoice name="settings-access-mode" value={accessMode} onChange={setAccessMode}>
          {accessMode !== session.access_mode && accessMode === "link-access" ? (
            <p className="muted small">Saving makes a new join link.</p>
          ) : null}
          {accessMode !== session.access_mode && session.access_mode === "link-access" ? (
            <p className="muted small">Saving turns the current join link off for good.</p>
          ) : null}
        </AccessModeChoice>
        <div className="two-columns">
          <div className="field">
            <label htmlFor={`limit-${session.id}`}>Participant limit</label>
            <input
              id={`limit-${session.id}`}
              type="number"
              min={lowest}
              max={LIMIT_BOUNDS.max}
              step={1}
              value={limit}
              onChange={(e) => setLimit(e.target.value)}
              aria-describedby={`limit-${session.id}-hint`}
            />
            <span className="muted small" id={`limit-${session.id}-hint`}>
              {active} {active === 1 ? "person is" : "people are"} in the session now ({lowest}–{LIMIT_BOUNDS.max}).
            </span>
          </div>
          <NewcomerRoleSelect value={defaultRole} onChange={setDefaultRole} />
        </div>
        <SettingsFields
          draft={settings}
          onChange={setSettings}
          recordingHint="A running session only keeps this (and passes it on to a template saved from it): start or stop its recording in the Recording panel."
        />
        <FormActions error={error} busy={busy} submit="Save settings" busyLabel="Saving…" onCancel={onClose} />
      </form>
      <SaveAsTemplate
        session={session}
        rights={rights}
        values={() => {
          setError(null);
          return values();
        }}
        defaultRole={defaultRole}
      />
    </Dialog>
  );
}

/** Keeps what the form shows as a template of the leader's own, to start the next session from. */
function SaveAsTemplate({
  session,
  rights,
  values,
  defaultRole,
}: {
  session: SessionView;
  rights: SessionRights;
  values: () => { limit: number; settings: SettingsValues } | null;
  defaultRole: AssignableRole;
}) {
  const { service } = useApp();
  const sentence = useErrorSentence();
  const [name, setName] = useState(`${session.name} settings`);
  const [error, setError] = useState<string | null>(null);
  const [savedAs, setSavedAs] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function save(event: FormEvent) {
    event.preventDefault();
    setSavedAs(null);
    setError(null);
    const checked = values();
    if (!checked) return;
    if (!name.trim()) {
      setError("Give the template a name.");
      return;
    }
    setBusy(true);
    try {
      const { auto_recording, auto_save_interval, ...rest } = checked.settings;
      const template = await service.createTemplate({
        name: name.trim(),
        description: (session.description ?? `Saved from the session “${session.name}”`).slice(0, 1000),
        category: "custom",
        max_participants: checked.limit,
        auto_recording,
        auto_save_interval,
        default_role: defaultRole,
        permissions: rights.map,
        settings: rest,
        is_public: false,
      });
      setSavedAs(template.name);
    } catch (caught) {
      setError(sentence(caught));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form onSubmit={save} className="save-template" aria-label="Save as template">
      <h3>Save as a template</h3>
      <p className="muted small">
        Start later sessions with the settings above and this session's roles
        {rights.templateName ? ` (from ${rights.templateName})` : ""}. Only you see it.
      </p>
      <div className="row">
        <label className="grow">
          Template name
          <input value={name} onChange={(e) => setName(e.target.value)} maxLength={100} />
        </label>
        <button type="submit" disabled={busy}>
          {busy ? "Saving…" : "Save as template"}
        </button>
      </div>
      <ErrorNote message={error} />
      {savedAs ? (
        <p className="notice small" role="status">
          Saved as the template “{savedAs}”. <a {...linkProps("/templates")}>Manage your templates</a>
        </p>
      ) : null}
    </form>
  );
}
