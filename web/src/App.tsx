import { createSessionManagementService } from "chordme-sessions/client";
import { useCallback, useMemo, useState } from "react";
import { AppContext, type AppContextValue } from "./lib/app";
import { clearToken, loadToken, saveToken, userFromToken } from "./lib/auth";
import { navigate, useRoute } from "./lib/router";
import { HomePage } from "./pages/HomePage";
import { JoinPage } from "./pages/JoinPage";
import { SessionPage } from "./pages/SessionPage";
import { SignInPage } from "./pages/SignInPage";

const service = createSessionManagementService({ baseUrl: window.location.origin, getToken: loadToken });

export function App() {
  const [token, setToken] = useState(loadToken);
  const [notice, setNotice] = useState<string | null>(null);
  const route = useRoute();
  const user = useMemo(() => (token ? userFromToken(token) : null), [token]);
  const expired = user?.expiresAt !== undefined && user.expiresAt < Date.now();

  const signOut = useCallback((reason?: string) => {
    clearToken();
    setToken(null);
    setNotice(reason ?? null);
  }, []);

  const context = useMemo<AppContextValue | null>(() => (user ? { service, user, signOut } : null), [user, signOut]);

  if (!token || !context || expired) {
    return (
      <SignInPage
        notice={expired ? "Your sign-in expired. Please sign in again." : notice}
        onSignedIn={(fresh) => {
          saveToken(fresh);
          setToken(fresh);
          setNotice(null);
        }}
      />
    );
  }

  return (
    <AppContext.Provider value={context}>
      <nav className="top-bar">
        <a
          href="/"
          className="brand"
          onClick={(event) => {
            event.preventDefault();
            navigate("/");
          }}
        >
          ChordMe Sessions
        </a>
        <span className="signed-in">
          {context.user.name}
          <button type="button" className="link" onClick={() => signOut()}>
            Sign out
          </button>
        </span>
      </nav>
      {route.name === "session" ? <SessionPage key={route.sessionId} sessionId={route.sessionId} /> : null}
      {route.name === "join" ? <JoinPage sessionId={route.sessionId} code={route.code} /> : null}
      {route.name === "home" ? <HomePage /> : null}
    </AppContext.Provider>
  );
}
