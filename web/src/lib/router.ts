/** A small router on the History API: the list, a session and its statistics, a join link, and the other screens. */
import { type MouseEvent, useSyncExternalStore } from "react";
import { parseRoute, type Route } from "./routes";

export { parseRoute, type Route };

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
