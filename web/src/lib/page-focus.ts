/** On every route change: the page's main heading names the tab and, after a navigation, takes the focus. */
import { useEffect, useRef } from "react";

const APP_NAME = "ChordMe Sessions";
/** How long to wait for a page's heading to appear (a session page shows its name once it has loaded). */
const WAIT_MS = 10_000;

/** The page's main heading, among those shown: the page that was left may still be in the document, hidden. */
function mainHeading(): HTMLElement | null {
  const shown = (heading: HTMLElement) => heading.getClientRects().length > 0;
  for (const selector of ["main h1", "main h2"]) {
    const heading = [...document.querySelectorAll<HTMLElement>(selector)].find(shown);
    if (heading) return heading;
  }
  return null;
}

/**
 * Keeps `document.title` as "<main heading> — ChordMe Sessions" while the page at `url` is shown, and moves the
 * focus to that heading when `url` changes (not on the first load), so screen readers announce the new page.
 */
export function usePageFocus(url: string): void {
  const first = useRef(true);

  // biome-ignore lint/correctness/useExhaustiveDependencies: each new url is a new page to name and focus.
  useEffect(() => {
    const moveFocus = !first.current;
    first.current = false;
    let focused = false;
    const update = () => {
      const heading = mainHeading();
      const name = heading?.textContent?.trim();
      const title = name ? `${name} — ${APP_NAME}` : APP_NAME;
      if (document.title !== title) document.title = title;
      if (heading && moveFocus && !focused) {
        focused = true;
        if (!heading.hasAttribute("tabindex")) heading.setAttribute("tabindex", "-1");
        heading.focus();
      }
    };
    update();
    const observer = new MutationObserver(update);
    observer.observe(document.body, { childList: true, subtree: true, characterData: true });
    // The focus is moved only while the page is settling; the title follows the heading for as long as it is shown.
    const stopFocus = setTimeout(() => {
      focused = true;
    }, WAIT_MS);
    return () => {
      observer.disconnect();
      clearTimeout(stopFocus);
    };
  }, [url]);
}
