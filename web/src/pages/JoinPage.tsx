import { useState } from "react";
import { useApp, useErrorSentence } from "../lib/app";
import { navigate } from "../lib/router";
import { ErrorNote } from "../widgets/common";

/** Where a shared link lands: one button to join with the link's invitation code. */
export function JoinPage({ sessionId, code }: { sessionId: string; code: string | null }) {
  const { service, user } = useApp();
  const sentence = useErrorSentence();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function join() {
    setBusy(true);
    setError(null);
    try {
      await service.joinSession(sessionId, code ?? undefined);
      navigate(`/sessions/${sessionId}`, { replace: true });
    } catch (caught) {
      setError(sentence(caught));
    } finally {
      setBusy(false);
    }
  }

  return (
    <main className="join">
      <section className="card">
        <h2>You have been invited to a session</h2>
        <p>
          Join as <strong>{user.name}</strong> to play along and see the chord sheet change live.
        </p>
        <ErrorNote message={error} />
        <div className="actions">
          <button type="button" className="primary" onClick={join} disabled={busy}>
            {busy ? "Joining…" : "Join session"}
          </button>
          <button type="button" onClick={() => navigate("/")}>
            Not now
          </button>
        </div>
      </section>
    </main>
  );
}
