import { createSessionManagementService } from "chordme-sessions/client";
import { lazy, useCallback, useMemo, useState } from "react";
import { AppContext, type AppContextValue } from "./lib/app";
import { clearToken, loadToken, saveToken, userFromToken } from "./lib/auth";
import { usePageFocus } from "./lib/page-focus";
import { linkProps, type Route, useRoute } from "./lib/router";
import { SignInPage } from "./pages/SignInPage";
import { LazyPart } from "./widgets/LazyPart";

// Each page is its own chunk, so a page loads only its own code (the session page's editor is the largest part).
const AdminPage = lazy(() => import("./pages/AdminPage").then((module) => ({ default: module.AdminPage })));
const HomePage = lazy(() => import("./pages/HomePage").then((module) => ({ default: module.HomePage })));
const JoinPage = lazy(() => import("./pages/JoinPage").then((module) => ({ default: module.JoinPage })));
const PublicSessionsPage = lazy(() =>
  import("./pages/PublicSessionsPage").then((module) => ({ default: module.PublicSessionsPage })),
);
const SessionPage = lazy(() => import("./pages/SessionPage").then((module) => ({ default: module.SessionPage })));
const StatsPage = lazy(() => import("./pages/StatsPage").then((module) => ({ default: module.StatsPage })));
const TemplatesPage = lazy(() => import("./pages/TemplatesPage").then((module) => ({ default: module.TemplatesPage })));

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
      {/* Keyed by page: after a page that failed to load, the next one is tried afresh. */}
      <LazyPart key={route.name} label="Loading…" page>
        {route.name === "session" ? (
          <SessionPage key={route.sessionId} sessionId={route.sessionId} perform={route.perform === true} />
        ) : null}
        {route.name === "stats" ? <StatsPage key={route.sessionId} sessionId={route.sessionId} /> : null}
        {route.name === "join" ? <JoinPage sessionId={route.sessionId} code={route.code} /> : null}
        {route.name === "public" ? <PublicSessionsPage songId={route.songId} /> : null}
        {route.name === "templates" ? <TemplatesPage /> : null}
        {route.name === "admin" ? <AdminPage /> : null}
        {route.name === "home" ? <HomePage /> : null}
      </LazyPart>
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
