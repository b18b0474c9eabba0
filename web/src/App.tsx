import { createSessionManagementService } from "chordme-sessions/client";
import { useCallback, useMemo, useState } from "react";
import { AppContext, type AppContextValue } from "./lib/app";
import { clearToken, loadToken, saveToken, userFromToken } from "./lib/auth";
import { usePageFocus } from "./lib/page-focus";
import { linkProps, type Route, useRoute } from "./lib/router";
import { AdminPage } from "./pages/AdminPage";
import { HomePage } from "./pages/HomePage";
import { JoinPage } from "./pages/JoinPage";
import { PublicSessionsPage } from "./pages/PublicSessionsPage";
import { SessionPage } from "./pages/SessionPage";
import { SignInPage } from "./pages/SignInPage";
import { StatsPage } from "./pages/StatsPage";
import { TemplatesPage } from "./pages/TemplatesPage";

const service = createSessionManagementService({ baseUrl: window.location.origin, getToken: loadToken });

export function App() {
  const [token, setToken] = useState(loadToken);
  const [notice, setNotice] = useState<string | null>(null);
  const route = useRoute();
  usePageFocus(`${window.location.pathname}${window.location.search}`);
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
      <nav className="top-bar" aria-label="Main">
        <div className="nav-links">
          <a className="brand" {...linkProps("/")}>
            ChordMe Sessions
          </a>
          <NavLink to="/" route={route} name="home">
            My sessions
          </NavLink>
          <NavLink to="/public" route={route} name="public">
            Public sessions
          </NavLink>
          <NavLink to="/templates" route={route} name="templates">
            My templates
          </NavLink>
          {context.user.isAdmin ? (
            <NavLink to="/admin" route={route} name="admin">
              Admin
            </NavLink>
          ) : null}
        </div>
        <span className="signed-in">
          {context.user.name}
          <button type="button" className="link" onClick={() => signOut()}>
            Sign out
          </button>
        </span>
      </nav>
      {route.name === "session" ? (
        <SessionPage key={route.sessionId} sessionId={route.sessionId} perform={route.perform === true} />
      ) : null}
      {route.name === "stats" ? <StatsPage key={route.sessionId} sessionId={route.sessionId} /> : null}
      {route.name === "join" ? <JoinPage sessionId={route.sessionId} code={route.code} /> : null}
      {route.name === "public" ? <PublicSessionsPage songId={route.songId} /> : null}
      {route.name === "templates" ? <TemplatesPage /> : null}
      {route.name === "admin" ? <AdminPage /> : null}
      {route.name === "home" ? <HomePage /> : null}
    </AppContext.Provider>
  );
}

function NavLink({ to, route, name, children }: { to: string; route: Route; name: Route["name"]; children: string }) {
  return (
    <a className="nav-link" {...linkProps(to)} aria-current={route.name === name ? "page" : undefined}>
      {children}
    </a>
  );
}
