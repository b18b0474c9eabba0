/**
 * The chord sheet editor with two people in it: undo and redo take back only your own edits (the other person's,
 * typed after yours and on the same line, stay), an emoji is one character to the server, ChordPro is highlighted,
 * and each sees the other's caret, name and selection; a huge paste goes as several ops, one past the sheet's limit
 * is refused whole. At desktop and phone width.
 */
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { launchChromium, newPage, screenshot, serviceAs, sheetText, signIn, waitUntilLive } from "./browser";

const baseUrl = inject("baseUrl");
const run = crypto.randomUUID().slice(0, 6);
const SONG = `{title: Let It Be}
# count in: four
{start_of_chorus}
[C]Let it be, let it [G]be
{end_of_chorus}
[Am]Whisper words of [F]wisdom`;
const WAIT = { timeout: 30_000 };

let browser: Browser;
const contexts: BrowserContext[] = [];
let lena: Page;
let max: Page;
let sessionId = "";

/** Puts the caret just after the first `text` in the page's sheet. */
async function caretAfter(page: Page, text: string): Promise<void> {
  const sheet = page.getByLabel("Chord sheet");
  await sheet.click();
  await page.keyboard.press("Control+Home");
  const before = (await sheetText(page)).indexOf(text) + text.length;
  // Arrow keys count what the user sees: an emoji is one press.
  for (const _ of Array.from(before === 0 ? "" : (await sheetText(page)).slice(0, before))) {
    await page.keyboard.press("ArrowRight");
  }
}

async function both(expected: string): Promise<void> {
  await expect.poll(() => sheetText(lena), WAIT).toBe(expected);
  await expect.poll(() => sheetText(max), WAIT).toBe(expected);
}

beforeAll(async () => {
  browser = await launchChromium();
  const leader = await serviceAs(baseUrl, `lena-${run}`, "Lena Leader");
  const song = await leader.createSong({ title: "Let It Be", content: SONG });
  const session = await leader.createSession({ song_id: song.id, name: "Undo drill", access_mode: "link-access" });
  sessionId = session.id;
  const member = await serviceAs(baseUrl, `max-${run}`, "Max Member");
  await member.joinSession(sessionId, session.invitation_code);
  await leader.changeRole(sessionId, `max-${run}`, "editor");
});

afterAll(async () => {
  for (const context of contexts) await context.close().catch(() => {});
  await browser?.close();
});

describe("the chord sheet editor", () => {
  it("opens for both with the song, highlighted", async () => {
    lena = await newPage(browser, baseUrl, contexts);
    await lena.goto(`/sessions/${sessionId}`);
    await signIn(lena, "Lena Leader", `lena-${run}`);
    max = await newPage(browser, baseUrl, contexts);
    await max.goto(`/sessions/${sessionId}`);
    await signIn(max, "Max Member", `max-${run}`);
    await waitUntilLive(lena);
    await waitUntilLive(max);
    await both(SONG);

    const sheet = lena.locator(".chord-sheet");
    expect(await sheet.locator(".cp-chord").allTextContents()).toEqual(["[C]", "[G]", "[Am]", "[F]"]);
    expect(await sheet.locator(".cp-directive").allTextContents()).toEqual([
      "{title: Let It Be}",
      "{start_of_chorus}",
      "{end_of_chorus}",
    ]);
    expect(await sheet.locator(".cp-section").count()).toBe(2);
    expect(await sheet.locator(".cp-comment").allTextContents()).toEqual(["# count in: four"]);
    // The chorus, its directives included, has the bar beside it.
    expect(await sheet.locator(".cm-line.cp-chorus").count()).toBe(3);
  });

  it("undoes only Lena's edit when Max typed after her, on the same line", async () => {
    await caretAfter(lena, "[G]be");
    await lena.keyboard.type(" yeah", { delay: 20 });
    const afterLena = SONG.replace("[G]be", "[G]be yeah");
    await both(afterLena);

    // Max writes after Lena, before her words on the same line: undo on Lena's side must leave his.
    await caretAfter(max, "[C]Let it be");
    await max.keyboard.type(" 🎸", { delay: 20 });
    const afterMax = afterLena.replace("[C]Let it be", "[C]Let it be 🎸");
    await both(afterMax);

    await lena.getByLabel("Chord sheet").focus();
    await lena.keyboard.press("Control+z");
    const undone = SONG.replace("[C]Let it be", "[C]Let it be 🎸");
    await both(undone);
    // Nothing more of Lena's to take back: Max's text stays whatever she presses.
    await lena.keyboard.press("Control+z");
    await lena.waitForTimeout(300);
    await both(undone);

    await lena.keyboard.press("Control+Shift+z");
    await both(afterMax);
  });

  it("undoes only Max's edit on his side, an emoji as one character", async () => {
    await max.getByLabel("Chord sheet").focus();
    await max.keyboard.press("Control+z");
    const lenaOnly = SONG.replace("[G]be", "[G]be yeah");
    await both(lenaOnly);
    await max.keyboard.press("Control+y");
    const afterMax = lenaOnly.replace("[C]Let it be", "[C]Let it be 🎸");
    await both(afterMax);

    // One Backspace takes the whole emoji (two UTF-16 units, one code point for the server).
    await caretAfter(max, "🎸");
    await max.keyboard.press("Backspace");
    const erased = lenaOnly.replace("[C]Let it be", "[C]Let it be ");
    await both(erased);

    // What the server holds is what both show.
    await max.reload();
    await waitUntilLive(max);
    await expect.poll(() => sheetText(max), WAIT).toBe(erased);
  });

  it("shows each the other's caret, name while typing, and selection", async () => {
    await caretAfter(max, "[Am]Whisper");
    await max.keyboard.type(" soft", { delay: 20 });
    const caret = lena.locator(`.remote-caret[data-user="max-${run}"]`);
    await caret.waitFor();
    await expect.poll(() => caret.getAttribute("class"), WAIT).toContain("typing");
    expect(await caret.locator(".remote-caret-label").textContent()).toBe("Max Member");
    // Colour from the participant list, the same as in the people panel.
    expect(await caret.evaluate((element) => getComputedStyle(element).borderLeftColor)).not.toBe("rgba(0, 0, 0, 0)");
    await screenshot(lena, "editor");

    // Max selects "soft": Lena sees it tinted in his colour.
    for (let step = 0; step < 4; step++) await max.keyboard.press("Shift+ArrowLeft");
    await expect.poll(() => lena.locator(".remote-selection").textContent(), WAIT).toBe("soft");
    // After typing stops, the name steps aside so it never hides the chords above.
    await expect.poll(() => caret.getAttribute("class"), WAIT).toBe("remote-caret");
  });

  it("fits a phone", async () => {
    await max.setViewportSize({ width: 390, height: 844 });
    await max.getByLabel("Chord sheet").click();
    await max.keyboard.press("Control+End");
    await max.keyboard.type("\n[G]Let it be", { delay: 20 });
    await expect.poll(() => sheetText(lena), WAIT).toContain("\n[G]Let it be");
    const width = await max.locator(".chord-sheet .cm-editor").evaluate((element) => element.clientWidth);
    expect(width).toBeLessThanOrEqual(390);
    // Long lines wrap: nothing scrolls sideways.
    expect(
      await max.locator(".chord-sheet .cm-scroller").evaluate((element) => element.scrollWidth <= element.clientWidth),
    ).toBe(true);
    await screenshot(max, "editor-phone");
  });

  it("takes a paste too big for one message in several, and refuses one past the sheet's limit whole", async () => {
    await max.setViewportSize({ width: 1280, height: 860 });
    const before = await sheetText(max);
    const sheet = max.getByLabel("Chord sheet");
    await sheet.click();
    await max.keyboard.press("Control+End");
    // 30,000 characters, 20,000 of them emoji: more than one op may carry, so it goes as several.
    const paste = `\n${"[D]la 🎸🎸 ".repeat(3_000)}`;
    await max.keyboard.insertText(paste);
    await both(before + paste);
    await max.reload();
    await waitUntilLive(max);
    await expect.poll(() => sheetText(max), WAIT).toBe(before + paste);

    // Past the 100,000 characters a sheet holds: none of it is taken, and the page says why.
    await max.getByLabel("Chord sheet").click();
    await max.keyboard.press("Control+End");
    await max.keyboard.insertText("x".repeat(100_000));
    await max.getByRole("alert").filter({ hasText: "The chord sheet has reached its maximum length." }).waitFor();
    expect(await sheetText(max)).toBe(before + paste);
    await max.waitForTimeout(500);
    await both(before + paste);
  });
});
