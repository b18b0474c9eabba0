import { createSessionManagementService, friendlyMessage } from "chordme-sessions/client";
import { type FormEvent, useEffect, useState } from "react";
import { devAuthAvailable, userFromToken } from "../lib/auth";
import { ErrorNote } from "../widgets/common";

interface SignInPageProps {
  onSignedIn: (token: string) => void;
  notice?: string | null;
}

const anonymous = createSessionManagementService({ baseUrl: window.location.origin, getToken: () => null });

/** A development token under DEV_AUTH, otherwise a token pasted from ChordMe. */
export function SignInPage({ onSignedIn, notice }: SignInPageProps) {
  const [devAuth, setDevAuth] = useState<boolean | null>(null);
  const [pasting, setPasting] = useState(false);
  const [name, setName] = useState("");
  const [userId, setUserId] = useState("");
  const [email, setEmail] = useState("");
  const [admin, setAdmin] = useState(false);
  const [token, setToken] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    void devAuthAvailable().then(setDevAuth);
  }, []);

  const suggestedId =
    name
      .trim()
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-|-$/g, "") || "";

  async function signInWithDevToken(event: FormEvent) {
    event.preventDefault();
    const sub = (userId || suggestedId).trim();
    if (!sub) {
      setError("Please enter your name.");
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const result = await anonymous.createDevToken({
        sub,
        name: name.trim() || undefined,
        email: email.trim() || undefined,
        admin: admin || undefined,
      });
      onSignedIn(result.token);
    } catch (caught) {
      setError(friendlyMessage(caught));
    } finally {
      setBusy(false);
    }
  }

  async function signInWithToken(event: FormEvent) {
    event.preventDefault();
    const pasted = token.trim().replace(/^Bearer\s+/i, "");
    if (!userFromToken(pasted)) {
      setError("That does not look like a ChordMe token. Copy the whole token and try again.");
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await createSessionManagementService({ baseUrl: window.location.origin, getToken: () => pasted }).getMySessions({
        limit: 1,
      });
      onSignedIn(pasted);
    } catch (caught) {
      setError(friendlyMessage(caught));
    } finally {
      setBusy(false);
    }
  }

  const showDevForm = devAuth === true && !pasting;

  return (
    <main className="sign-in">
      <h1>ChordMe Sessions</h1>
      <p className="lead">Play and edit chord sheets together, live.</p>
      {notice ? <p className="notice">{notice}</p> : null}
      {devAuth === null ? <p className="muted">Checking how to sign in…</p> : null}
      {showDevForm ? (
        <form onSubmit={signInWithDevToken} className="card" aria-label="Sign in">
          <h2>Sign in</h2>
          <p className="muted">This server runs in development mode: pick any name to try it out.</p>
          <label>
            Your name
            <input value={name} onChange={(e) => setName(e.target.value)} placeholder="Lena Leader" />
          </label>
          <label>
            User id
            <input value={userId} onChange={(e) => setUserId(e.target.value)} placeholder={suggestedId || "lena"} />
          </label>
          <label>
            Email (optional)
            <input type="email" value={email} onChange={(e) => setEmail(e.target.value)} />
          </label>
          <label className="inline">
            <input type="checkbox" checked={admin} onChange={(e) => setAdmin(e.target.checked)} />
            Sign in as an administrator (global statistics and cleanup)
          </label>
          <ErrorNote message={error} />
          <div className="actions">
            <button type="submit" className="primary" disabled={busy}>
              Sign in
            </button>
            <button type="button" className="link" onClick={() => setPasting(true)}>
              Paste a token instead
            </button>
          </div>
        </form>
      ) : null}
      {devAuth === false || pasting ? (
        <form onSubmit={signInWithToken} className="card" aria-label="Sign in with a token">
          <h2>Sign in with your ChordMe token</h2>
          <label>
            Token
            <textarea value={token} onChange={(e) => setToken(e.target.value)} rows={4} spellCheck={false} />
          </label>
          <ErrorNote message={error} />
          <div className="actions">
            <button type="submit" className="primary" disabled={busy}>
              Sign in
            </button>
            {devAuth ? (
              <button type="button" className="link" onClick={() => setPasting(false)}>
                Back
              </button>
            ) : null}
          </div>
        </form>
      ) : null}
    </main>
  );
}
