import type { AssignableRole, Permission, PermissionMap, Template, TemplateUpdate } from "chordme-sessions/client";
import { type FormEvent, useState } from "react";
import { useApp, useErrorSentence } from "../lib/app";
import {
  changedSettings,
  LIMIT_BOUNDS,
  parseBounded,
  parseDraft,
  type SettingsDraft,
  templateSettings,
  toDraft,
} from "../lib/settings";
import { ASSIGNABLE, PERMISSION_LABELS, ROLE_LABELS } from "../lib/words";
import { FormActions } from "./common";
import { NewcomerRoleSelect } from "./SessionFormFields";
import { SettingsFields } from "./SettingsFields";

/** Permissions a template may give a role; `read` is in every role that may open the session at all. */
const PERMISSIONS = Object.keys(PERMISSION_LABELS) as Permission[];

interface TemplateEditorProps {
  template: Template;
  onSaved: (template: Template) => void;
  onCancel: () => void;
}

/** Changes one of the user's own templates: its name and category, the session defaults and each role's rights. */
export function TemplateEditor({ template, onSaved, onCancel }: TemplateEditorProps) {
  const { service } = useApp();
  const sentence = useErrorSentence();
  const [name, setName] = useState(template.name);
  const [description, setDescription] = useState(template.description ?? "");
  const [category, setCategory] = useState(template.category);
  const [limit, setLimit] = useState(String(template.max_participants));
  const [defaultRole, setDefaultRole] = useState<AssignableRole>(template.default_role);
  const [isPublic, setIsPublic] = useState(template.is_public);
  const [permissions, setPermissions] = useState<PermissionMap>(template.permissions);
  const [settings, setSettings] = useState<SettingsDraft>(() => toDraft(templateSettings(template)));
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  function toggle(role: AssignableRole, permission: Permission, on: boolean) {
    setPermissions((current) => ({
      ...current,
      [role]: on
        ? PERMISSIONS.filter((each) => each === permission || current[role].includes(each))
        : current[role].filter((each) => each !== permission),
    }));
  }

  async function submit(event: FormEvent) {
    event.preventDefault();
    setError(null);
    if (!name.trim() || !category.trim()) {
      setError(name.trim() ? "Give the template a category." : "Give the template a name.");
      return;
    }
    const parsedLimit = parseBounded(limit, "Participant limit", LIMIT_BOUNDS);
    const parsed = parseDraft(settings);
    if ("problem" in parsedLimit || "problem" in parsed) {
      setError("problem" in parsedLimit ? parsedLimit.problem : "problem" in parsed ? parsed.problem : null);
      return;
    }
    const before = templateSettings(template);
    const after = parsed.values;
    const patch: TemplateUpdate = {};
    if (name.trim() !== template.name) patch.name = name.trim();
    if ((description.trim() || null) !== template.description) patch.description = description.trim() || null;
    if (category.trim() !== template.category) patch.category = category.trim();
    if (parsedLimit.value !== template.max_participants) patch.max_participants = parsedLimit.value;
    if (defaultRole !== template.default_role) patch.default_role = defaultRole;
    if (isPublic !== template.is_public) patch.is_public = isPublic;
    if (JSON.stringify(permissions) !== JSON.stringify(template.permissions)) patch.permissions = permissions;
    if (after.auto_recording !== before.auto_recording) patch.auto_recording = after.auto_recording;
    if (after.auto_save_interval !== before.auto_save_interval) patch.auto_save_interval = after.auto_save_interval;
    const { auto_recording: _recording, auto_save_interval: _interval, ...rest } = changedSettings(before, after);
    if (Object.keys(rest).length > 0) patch.settings = { ...template.settings, ...rest };
    if (Object.keys(patch).length === 0) {
      onCancel();
      return;
    }
    setBusy(true);
    try {
      onSaved(await service.updateTemplate(template.id, patch));
    } catch (caught) {
      setError(sentence(caught));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form onSubmit={submit} className="template-editor" aria-label={`Edit ${template.name}`} noValidate>
      <div className="two-columns">
        <label>
          Template name
          <input value={name} onChange={(e) => setName(e.target.value)} maxLength={100} />
        </label>
        <label>
          Category
          <input value={category} onChange={(e) => setCategory(e.target.value)} maxLength={50} />
        </label>
      </div>
      <label>
        Description (optional)
        <input value={description} onChange={(e) => setDescription(e.target.value)} maxLength={1000} />
      </label>
      <div className="two-columns">
        <label>
          Participant limit
          <input
            type="number"
            min={LIMIT_BOUNDS.min}
            max={LIMIT_BOUNDS.max}
            step={1}
            value={limit}
            onChange={(e) => setLimit(e.target.value)}
          />
        </label>
        <NewcomerRoleSelect value={defaultRole} onChange={setDefaultRole} />
      </div>
      <SettingsFields draft={settings} onChange={setSettings} />
      <fieldset className="rights-grid">
        <legend>What each role may do</legend>
        <table>
          <thead>
            <tr>
              <th scope="col">Right</th>
              {ASSIGNABLE.map((role) => (
                <th scope="col" key={role}>
                  {ROLE_LABELS[role]}s
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {PERMISSIONS.map((permission) => (
              <tr key={permission}>
                <th scope="row">{PERMISSION_LABELS[permission]}</th>
                {ASSIGNABLE.map((role) => (
                  <td key={role}>
                    <input
                      type="checkbox"
                      checked={permissions[role].includes(permission)}
                      onChange={(e) => toggle(role, permission, e.target.checked)}
                      aria-label={`${ROLE_LABELS[role]}s may ${PERMISSION_LABELS[permission]}`}
                    />
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </fieldset>
      <label className="inline">
        <input type="checkbox" checked={isPublic} onChange={(e) => setIsPublic(e.target.checked)} />
        Everyone can use this template
      </label>
      <FormActions error={error} busy={busy} submit="Save template" busyLabel="Saving…" onCancel={onCancel} />
    </form>
  );
}
