/** A small router on the History API: the list, a session and its statistics, a join link, and the other screens. */
import { type MouseEvent, useSyncExternalStore } from "react";

export type Route =
  | { name: "home" }
  | { name: "session"; sessionId: string }
  | { name: "stats"; sessionId: string }
  | { name: "join"; sessionId: string; code: string | null }
  | { name: "public"; songId: number | null }
  | { name: "templates" }
  | { name: "admin" };

const NAVIGATE_EVENT = "chordme:navigate";

function subscribe(onChange: () => void): () => void {
  window.addEventListener("popstate", onChange);
  window.addEventListener(NAVIGATE_EVENT, onChange);
  return () => {
    window.removeEventListener("popstate", onChange);
    window.removeEventListener(NAVIGATE_EVENT, onChange);
  };
}

const currentUrl = () => window.location.pathname + window.location.search;

export function navigate(to: string, options: { replace?: boolean } = {}): void {
  if (to === currentUrl()) return;
  if (options.replace) window.history.replaceState(null, "", to);
  else window.history.pushState(null, "", to);
  window.dispatchEvent(new Event(NAVIGATE_EVENT));
}

export function parseRoute(url: string): Route {
  const { pathname, searchParams } = new URL(url, "http://app.invalid");
  const session = pathname.match(/^\/sessions\/([^/]+)\/?$/);
  if (session) return { name: "session", sessionId: decodeURIComponent(session[1]!) };
  const stats = pathname.match(/^\/sessions\/([^/]+)\/stats\/?$/);
  if (stats) return { name: "stats", sessionId: decodeURIComponent(stats[1]!) };
  const join = pathname.match(/^\/join\/([^/]+)\/?$/);
  if (join) return { name: "join", sessionId: decodeURIComponent(join[1]!), code: searchParams.get("code") };
  if (/^\/public\/?$/.test(pathname)) {
    const song = Number(searchParams.get("song"));
    return { name: "public", songId: Number.isSafeInteger(song) && song > 0 ? song : null };
  }
  if (/^\/templates\/?$/.test(pathname)) return { name: "templates" };
  if (/^\/admin\/?$/.test(pathname)) return { name: "admin" };
  return { name: "home" };
}

export function useRoute(): Route {
  const url = useSyncExternalStore(subscribe, currentUrl);
  return parseRoute(url);
}

/** The link that lets someone join a link-access session. */
export function joinUrl(sessionId: string, invitationCode: string): string {
  return `${window.location.origin}/join/${encodeURIComponent(sessionId)}?code=${encodeURIComponent(invitationCode)}`;
}

/** An in-app link: a real anchor (open in a new tab works) that navigates without reloading the page. */
export function linkProps(to: string): { href: string; onClick: (event: MouseEvent) => void } {
  return {
    href: to,
    onClick: (event) => {
      if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
      event.preventDefault();
      navigate(to);
    },
  };
}
