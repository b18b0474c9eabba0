/** The performance view's hooks: its reader's settings in localStorage, scrolling by hand or by itself, stage mode. */
import { useCallback, useEffect, useRef, useState } from "react";
import { boundSettings, type PerformSettings, readSettings, settingsKey } from "./perform";

function load(sessionId: string): PerformSettings {
  try {
    return readSettings(localStorage.getItem(settingsKey(sessionId)));
  } catch {
    return readSettings(null);
  }
}

/** This reader's settings for this session, kept in localStorage: they never change the song. */
export function usePerformSettings(
  sessionId: string,
): [
  PerformSettings,
  (change: Partial<PerformSettings> | ((current: PerformSettings) => Partial<PerformSettings>)) => void,
] {
  const [settings, setSettings] = useState(() => load(sessionId));
  const update = useCallback(
    (change: Partial<PerformSettings> | ((current: PerformSettings) => Partial<PerformSettings>)) =>
      setSettings((current) => {
        const next = boundSettings({ ...current, ...(typeof change === "function" ? change(current) : change) });
        try {
          localStorage.setItem(settingsKey(sessionId), JSON.stringify(next));
        } catch {
          // Storage full or refused: the settings hold for this visit.
        }
        return next;
      }),
    [sessionId],
  );
  return [settings, update];
}

const SCROLL_KEYS = new Set(["PageUp", "PageDown", "ArrowUp", "ArrowDown", "Home", "End", " "]);

function isControl(target: EventTarget | null): boolean {
  return (
    target instanceof HTMLElement &&
    (target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT", "BUTTON"].includes(target.tagName))
  );
}

/**
 * Calls `onScroll` when the reader scrolls the page themself (wheel, touch, scroll keys, the scrollbar), not when
 * the page scrolls itself.
 */
export function useScrolledByHand(active: boolean, onScroll: () => void): void {
  const callback = useRef(onScroll);
  callback.current = onScroll;
  useEffect(() => {
    if (!active) return;
    const byHand = () => callback.current();
    const onKey = (event: KeyboardEvent) => {
      if (SCROLL_KEYS.has(event.key) && !isControl(event.target)) byHand();
    };
    const onMouseDown = (event: MouseEvent) => {
      // A press beside the page's content is on its scrollbar.
      if (event.clientX >= document.documentElement.clientWidth) byHand();
    };
    const options = { passive: true } as const;
    window.addEventListener("wheel", byHand, options);
    window.addEventListener("touchmove", byHand, options);
    window.addEventListener("keydown", onKey);
    window.addEventListener("mousedown", onMouseDown);
    return () => {
      window.removeEventListener("wheel", byHand);
      window.removeEventListener("touchmove", byHand);
      window.removeEventListener("keydown", onKey);
      window.removeEventListener("mousedown", onMouseDown);
    };
  }, [active]);
}

/**
 * Scrolls the page down by `speed` pixels a second while `running`; the reader may still scroll by hand, and it goes
 * on from there. `onEnd` when it reaches the bottom.
 */
export function useAutoScroll(running: boolean, speed: number, onEnd: () => void): void {
  const end = useRef(onEnd);
  end.current = onEnd;
  const speedRef = useRef(speed);
  speedRef.current = speed;
  useEffect(() => {
    if (!running) return;
    let frame = 0;
    let last: number | null = null;
    let position = window.scrollY;
    const step = (now: number) => {
      // Scrolled by hand since the last frame: go on from where the reader went.
      if (Math.abs(window.scrollY - Math.round(position)) > 2) position = window.scrollY;
      if (last !== null) position += (speedRef.current * (now - last)) / 1000;
      last = now;
      const bottom = document.documentElement.scrollHeight - window.innerHeight;
      window.scrollTo({ top: Math.min(position, bottom), behavior: "instant" });
      if (position >= bottom) {
        end.current();
        return;
      }
      frame = requestAnimationFrame(step);
    };
    frame = requestAnimationFrame(step);
    return () => cancelAnimationFrame(frame);
  }, [running]);
}

/** Light on black for the whole page while `on`: the palette's colours change at the root. */
export function useStageMode(on: boolean): void {
  useEffect(() => {
    if (!on) return;
    const root = document.documentElement;
    root.classList.add("stage-mode");
    return () => root.classList.remove("stage-mode");
  }, [on]);
}
