import type { Template } from "chordme-sessions/client";
import { summarizeSettings, templateSettings } from "../lib/settings";
import { describePermissionMap, ROLE_LABELS } from "../lib/words";

/** What a template gives a session, in words: its limit, recording, newcomers' role and each role's rights. */
export function TemplateFacts({ template }: { template: Template }) {
  return (
    <>
      <span>
        Up to {template.max_participants} people ·{" "}
        {template.auto_recording ? "records automatically" : "records when you start it"} · newcomers join as{" "}
        {ROLE_LABELS[template.default_role].toLowerCase()}s
      </span>
      <span className="template-roles">
        {describePermissionMap(template.permissions).map(({ role, text }) => (
          <span key={role}>
            {ROLE_LABELS[role]}s may {text}.
          </span>
        ))}
      </span>
    </>
  );
}

/** The same, with the session settings it sets, for the templates page. */
export function TemplateSettingsLine({ template }: { template: Template }) {
  return <span className="muted small">{summarizeSettings(templateSettings(template))}</span>;
}

/** One template to pick in the new-session dialog. */
export function TemplateOption({
  template,
  selected,
  onSelect,
}: {
  template: Template | null;
  selected: boolean;
  onSelect: () => void;
}) {
  return (
    <label className={`template ${selected ? "selected" : ""}`}>
      <input type="radio" name="template" checked={selected} onChange={onSelect} />
      <span className="template-name">{template ? template.name : "No template"}</span>
      {template ? (
        <span className="template-details">
          <span className="muted">{template.description}</span>
          <TemplateFacts template={template} />
        </span>
      ) : (
        <span className="template-details muted">
          Up to 10 people · editors may edit, comment, invite and record; commenters comment; viewers follow along.
        </span>
      )}
    </label>
  );
}
