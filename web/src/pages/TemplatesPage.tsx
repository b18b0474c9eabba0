import type { Template } from "chordme-sessions/client";
import { useCallback, useEffect, useState } from "react";
import { useApp, useErrorSentence } from "../lib/app";
import { formatDateTime } from "../lib/format";
import { ErrorNote } from "../widgets/common";
import { TemplateFacts, TemplateSettingsLine } from "../widgets/TemplateCard";
import { TemplateEditor } from "../widgets/TemplateEditor";

/** The templates the user made (from a session's settings): what each gives a session, to edit or delete. */
export function TemplatesPage() {
  const { service, user } = useApp();
  const sentence = useErrorSentence();
  const [templates, setTemplates] = useState<Template[] | null>(null);
  const [editing, setEditing] = useState<number | null>(null);
  const [deleting, setDeleting] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  const load = useCallback(async () => {
    try {
      const list = await service.getTemplates();
      setTemplates(list.templates.filter((template) => template.created_by === user.id));
      setError(null);
    } catch (caught) {
      setError(sentence(caught));
    }
  }, [service, user.id, sentence]);

  useEffect(() => {
    void load();
  }, [load]);

  async function remove(template: Template) {
    setError(null);
    try {
      await service.deleteTemplate(template.id);
      setDeleting(null);
      setNotice(`The template “${template.name}” was deleted. Sessions started from it keep their settings.`);
      await load();
    } catch (caught) {
      setError(sentence(caught));
    }
  }

  return (
    <main className="templates-page">
      <h1>My templates</h1>
      <p className="muted">
        Save a session's settings as a template from its Settings; start new sessions from it in New session.
      </p>
      <ErrorNote message={error} />
      {notice ? (
        <p className="notice" role="status">
          {notice}
        </p>
      ) : null}
      {templates === null && !error ? <p className="muted">Loading your templates…</p> : null}
      {templates?.length === 0 ? (
        <p className="empty">
          No templates of your own yet. Open a session you lead, then Settings → Save as template.
        </p>
      ) : null}
      <ul className="template-list">
        {templates?.map((template) => (
          <li key={template.id} className="card" aria-labelledby={`template-${template.id}`}>
            <header className="section-header">
              <div>
                <h2 id={`template-${template.id}`}>{template.name}</h2>
                <span className="muted small">
                  {template.category} · {template.is_public ? "everyone can use it" : "only you"} · used{" "}
                  {template.usage_count} {template.usage_count === 1 ? "time" : "times"} · changed{" "}
                  {formatDateTime(template.updated_at)}
                </span>
              </div>
              {editing !== template.id ? (
                <div className="actions">
                  <button
                    type="button"
                    onClick={() => {
                      setEditing(template.id);
                      setDeleting(null);
                      setNotice(null);
                    }}
                    aria-label={`Edit ${template.name}`}
                  >
                    Edit
                  </button>
                  <button
                    type="button"
                    className="danger"
                    onClick={() => setDeleting(template.id)}
                    aria-label={`Delete ${template.name}`}
                  >
                    Delete
                  </button>
                </div>
              ) : null}
            </header>
            {deleting === template.id ? (
              <div className="confirm">
                <p id={`delete-${template.id}`} role="alert">
                  Delete “{template.name}”? This cannot be undone.
                </p>
                <div className="actions">
                  <button type="button" className="danger" onClick={() => void remove(template)}>
                    Delete template
                  </button>
                  <button type="button" onClick={() => setDeleting(null)}>
                    Keep it
                  </button>
                </div>
              </div>
            ) : null}
            {editing === template.id ? (
              <TemplateEditor
                template={template}
                onCancel={() => setEditing(null)}
                onSaved={(saved) => {
                  setEditing(null);
                  setNotice(`The template “${saved.name}” was saved.`);
                  setTemplates((current) => current?.map((entry) => (entry.id === saved.id ? saved : entry)) ?? null);
                }}
              />
            ) : (
              <div className="template-details">
                {template.description ? <span className="muted">{template.description}</span> : null}
                <TemplateFacts template={template} />
                <TemplateSettingsLine template={template} />
              </div>
            )}
          </li>
        ))}
      </ul>
    </main>
  );
}
