import type { UserSettings } from "chordme-sessions/client";
import { useEffect, useState } from "react";
import { useApp, useErrorSentence } from "../lib/app";
import { ErrorNote } from "./common";

/** Whether the service emails me new invitations (`notifications_enabled` of GET and PATCH /users/me). */
export function EmailSetting() {
  const { service } = useApp();
  const sentence = useErrorSentence();
  const [me, setMe] = useState<UserSettings | null>(null);
  const [saving, setSaving] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    service.getMe().then(setMe, (caught) => setError(sentence(caught)));
  }, [service, sentence]);

  async function change(enabled: boolean) {
    const before = me;
    // The box shows the choice at once; it goes back if the service refuses it.
    setMe((current) => current && { ...current, notifications_enabled: enabled });
    setSaving(true);
    setError(null);
    setNotice(null);
    try {
      setMe(await service.updateMe({ notifications_enabled: enabled }));
      setNotice(
        enabled
          ? "New invitations will be emailed to you."
          : "No more invitation emails; your invitations still appear here.",
      );
    } catch (caught) {
      setMe(before);
      setError(sentence(caught));
    } finally {
      setSaving(false);
    }
  }

  return (
    <section className="email-setting" aria-labelledby="email-setting-heading">
      <h2 id="email-setting-heading" className="visually-hidden">
        Email
      </h2>
      <label className="inline">
        <input
          type="checkbox"
          checked={me?.notifications_enabled ?? false}
          disabled={me === null || saving}
          onChange={(e) => void change(e.target.checked)}
          aria-describedby="email-setting-hint"
        />
        Email me invitations
      </label>
      <p id="email-setting-hint" className="muted small">
        {me === null
          ? "Reading your settings…"
          : me.email
            ? `Sent to ${me.email} when someone invites you to a session.`
            : "We have no email address for you yet: sign in with one to receive them."}
      </p>
      <p className="notice small" role="status">
        {notice}
      </p>
      <ErrorNote message={error} />
    </section>
  );
}
