/**
 * The session page as a band relies on it: a saving state that is always shown, edits made offline that go out when
 * the network is back, a warning before leaving with unsent edits; and for keyboards and screen readers, page titles
 * and focus on navigation, a dialog that gives the focus back, a playback slider read out as times; and a page whose
 * code is slow to come, or cannot come, says so and offers a reload; a session the network keeps away says so and
 * tries again.
 */
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { launchChromium, newPage, serviceAs, sheetText, signIn, waitUntilLive } from "./browser";

const baseUrl = inject("baseUrl");
const run = crypto.randomUUID().slice(0, 6);
const SONG = "{title: Blackbird}\n[G]Blackbird singing in the [Am]dead of night";
const ONLINE_LINE = "\n[C]Take these broken wings";
const OFFLINE_LINE = "\n[G]and learn to fly";
const WAIT = { timeout: 30_000 };

let browser: Browser;
const contexts: BrowserContext[] = [];
let leader: Page;
let sessionId = "";

function saveState(page: Page) {
  return page.getByTestId("save-state");
}

async function typeAtEnd(page: Page, text: string): Promise<void> {
  const sheet = page.getByLabel("Chord sheet");
  await sheet.click();
  await page.keyboard.press("Control+End");
  await sheet.pressSequentially(text, { delay: 20 });
}

beforeAll(async () => {
  browser = await launchChromium();
  const api = await serviceAs(baseUrl, `lena-${run}`, "Lena Leader");
  const song = await api.createSong({ title: "Blackbird", content: SONG });
  const session = await api.createSession({
    song_id: song.id,
    name: "Offline drill",
    access_mode: "link-access",
    settings: { auto_recording: true },
  });
  sessionId = session.id;
});

afterAll(async () => {
  for (const context of contexts) await context.close().catch(() => {});
  await browser?.close();
});

describe("saving, going offline and finding one's way", () => {
  it("names the tab after the session and says Saved once typing has settled", async () => {
    leader = await newPage(browser, baseUrl, contexts);
    await leader.goto(`/sessions/${sessionId}`);
    await signIn(leader, "Lena Leader", `lena-${run}`);
    await waitUntilLive(leader);
    await expect.poll(() => leader.title(), WAIT).toBe("Offline drill — ChordMe Sessions");
    expect(await saveState(leader).getAttribute("role")).toBe("status");
    expect(await leader.getByTestId("connection").getAttribute("role")).toBe("status");

    await typeAtEnd(leader, ONLINE_LINE);
    await saveState(leader)
      .filter({ hasText: /^Saved$/ })
      .waitFor(WAIT);
  });

  it("keeps edits made offline, warns before leaving with them, and sends them when the network is back", async () => {
    await leader.context().setOffline(true);
    await saveState(leader)
      .filter({ hasText: /^Offline$/ })
      .waitFor(WAIT);
    await typeAtEnd(leader, OFFLINE_LINE);
    await saveState(leader).filter({ hasText: "Offline — your edits will be sent" }).waitFor(WAIT);

    // Leaving now asks first; staying keeps the page and its edits.
    const asked = new Promise<string>((resolve) => {
      leader.once("dialog", (dialog) => {
        resolve(dialog.type());
        void dialog.dismiss();
      });
    });
    await leader.close({ runBeforeUnload: true });
    expect(await asked).toBe("beforeunload");
    expect(leader.isClosed()).toBe(false);

    await leader.context().setOffline(false);
    // Back online, the page reconnects at once rather than after the backoff.
    await saveState(leader)
      .filter({ hasText: /^Saved$/ })
      .waitFor({ timeout: 10_000 });
    await leader.reload();
    await waitUntilLive(leader);
    await expect.poll(() => sheetText(leader), WAIT).toContain(OFFLINE_LINE.trim());
    expect(await sheetText(leader)).toContain(ONLINE_LINE.trim());
  });

  it("reads the playback slider's position out as times", async () => {
    const panel = leader.getByRole("region", { name: "Recording" });
    await panel.getByRole("button", { name: "Stop recording" }).click(WAIT);
    await panel.getByRole("button", { name: "Start recording" }).waitFor(WAIT);
    await panel.getByRole("button", { name: "Play back" }).first().click();
    const slider = panel.getByLabel("Time in the recording");
    await slider.waitFor(WAIT);
    await slider.focus();
    await slider.press("Home");
    await expect.poll(() => slider.getAttribute("aria-valuetext"), WAIT).toMatch(/^0:00 of \d+:\d\d$/);
  });

  it("moves the focus to the new page's heading and renames the tab on navigation", async () => {
    await leader.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "My sessions" }).click();
    // The page loads its own code first ("Loading…"), then names the tab after its heading.
    await expect.poll(() => leader.title(), WAIT).toMatch(/^(?!Offline drill).* — ChordMe Sessions$/);
    await expect.poll(() => leader.evaluate(() => document.activeElement?.tagName ?? ""), WAIT).toMatch(/^H[12]$/);
  });

  it("keeps the focus in the new-session dialog and gives it back to its opener after Escape", async () => {
    const opener = leader.getByRole("button", { name: "New session" });
    await opener.click(WAIT);
    const dialog = leader.getByRole("dialog", { name: "New session" });
    await dialog.waitFor(WAIT);
    expect(await leader.evaluate(() => document.querySelector("dialog")?.matches(":modal") ?? false)).toBe(true);
    expect(await leader.evaluate(() => document.activeElement?.closest("dialog") !== null)).toBe(true);
    await leader.keyboard.press("Escape");
    await dialog.waitFor({ state: "detached", ...WAIT });
    await expect
      .poll(() => leader.evaluate(() => document.activeElement?.textContent?.trim() ?? ""), WAIT)
      .toBe("New session");
  });

  it("offers a reload when a page's code is slow to come, and says so when it cannot come", async () => {
    const page = await newPage(browser, baseUrl, contexts);
    const statsCode = "**/assets/StatsPage-*.js";
    await page.route(statsCode, () => {
      // never answered
    });
    await page.goto(`/sessions/${sessionId}/stats`);
    await signIn(page, "Lena Leader", `lena-${run}`);
    const loading = page.getByRole("status").filter({ hasText: "Loading…" });
    await loading.waitFor(WAIT);
    await loading.getByText("This is taking longer than it should.").waitFor(WAIT);

    // The latest route comes first: the code now fails at once.
    await page.route(statsCode, (route) => route.abort("connectionfailed"));
    await loading.getByRole("button", { name: "Reload" }).click();
    const failure = page.getByRole("alert").filter({ hasText: "This part of the page could not be loaded or shown." });
    await failure.waitFor(WAIT);

    await page.unrouteAll({ behavior: "ignoreErrors" });
    await failure.getByRole("button", { name: "Reload" }).click();
    await page.getByRole("heading", { level: 1 }).filter({ hasText: "Offline drill" }).waitFor(WAIT);
  });

  it("says a session that could not be reached could not be loaded, not that it is closed, and tries again", async () => {
    const page = await newPage(browser, baseUrl, contexts);
    const sessionRead = (url: URL) => url.pathname === `/api/v1/sessions/${sessionId}`;
    await page.route(sessionRead, (route) =>
      route.request().method() === "GET" ? route.abort("internetdisconnected") : route.fallback(),
    );
    await page.goto(`/sessions/${sessionId}`);
    await signIn(page, "Lena Leader", `lena-${run}`);
    await page.getByRole("heading", { name: "The session could not be loaded" }).waitFor(WAIT);
    await page.getByText("We cannot reach the server. Check your connection and try again.").waitFor(WAIT);
    expect(await page.getByText("This session is not open to you").count()).toBe(0);

    await page.unroute(sessionRead);
    await page.getByRole("button", { name: "Try again" }).click();
    await waitUntilLive(page);
    await page.getByRole("heading", { level: 1, name: "Offline drill" }).waitFor(WAIT);
  });
});
