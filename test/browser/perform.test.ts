/**
 * The performance view: a real-size song read as a chord sheet (all of it, directives and non-ASCII lyrics too), each
 * reader transposing and setting a capo without changing the song, following the leader's caret from line to line
 * (within a second), scrolling by hand and resuming, the lead handed to a band member and taken back, auto-scroll, a
 * phone, a dark stage and paper.
 */
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { launchChromium, newPage, screenshot, serviceAs, sheetText, signIn, waitUntilLive } from "./browser";

const baseUrl = inject("baseUrl");
const run = crypto.randomUUID().slice(0, 6);
const SONG = `{title: Harbour Lights}
{subtitle: A rehearsal song}
{artist: The Köln Quartet}
{key: D}
{capo: 2}
{tempo: 96}

{start_of_verse: Verse 1}
[D]Down by the harbour the [G]lights are low
[D]Boats come home where the [A]cold winds blow
[Bm]Sing it slow, [F#m]sing it sweet
[G]Over the stones of the [A]market [D]street
{end_of_verse}

{start_of_chorus}
[G]Oh, the harbour [D]lights
[A]Shine on through the [Bm]night
[G]Bring me home, bring me [D]home a[A]gain ♪
{end_of_chorus}

{start_of_verse: Verse 2}
[D]Café au lait and a [G]crêpe or two
[D]Naïve old songs that the [A]sailors knew
[Bm]Grüße aus Köln, [F#m]中文 and 😀
[G]Every tongue in the [A]harbour [D]row
{end_of_verse}

{chorus}

{start_of_bridge}
[Em]Ça ira, ça ira, [G]over the sea
[Em]Señora, [A7]sing it with me
{end_of_bridge}

{c: Last verse, slower}
[D]Down by the harbour the [G]lights go out
[D]Nobody knows what the [A]song's about
[Bm]Hold it long, [F#m]let it ring
[G]Everyone here has a [A]song to [D]sing`;

const TEXT_LINES = SONG.split("\n");
/** Every lyric line: its index in the text and its chords. */
const LYRIC_LINES = TEXT_LINES.flatMap((line, index) =>
  line.trim() === "" || line.startsWith("{")
    ? []
    : [{ index, chords: [...line.matchAll(/\[([^\]]+)\]/g)].map((match) => match[1]!) }],
);
const lineOf = (start: string) => TEXT_LINES.findIndex((line) => line.startsWith(start));
const FIRST_VERSE_LINE = lineOf("[D]Down by the harbour the [G]lights are low");
const F_SHARP_LINE = lineOf("[Bm]Sing it slow");
const CHORUS_LINE = lineOf("[G]Oh, the harbour");
const LAST_LINE = TEXT_LINES.length - 1;

let browser: Browser;
const contexts: BrowserContext[] = [];
let member: Page;
let leader: Page;
let sessionId = "";

/** The chords a reader sees on text line `line`. */
function chordsOn(page: Page, line: number): Promise<string[]> {
  return page
    .locator(`.sheet-line[data-line="${line}"] .chord:not(.none)`)
    .evaluateAll((chords) => chords.map((chord) => chord.textContent!));
}

/** The text line the page lights up as the leader's, or null. */
function leaderLine(page: Page): Promise<number | null> {
  return page.evaluate(() => {
    const line = document.querySelector(".leader-line")?.getAttribute("data-line");
    return line == null ? null : Number(line);
  });
}

function inView(page: Page, line: number): Promise<boolean> {
  return page.locator(`.sheet-line[data-line="${line}"]`).evaluate((element) => {
    const box = element.getBoundingClientRect();
    return box.top >= 0 && box.bottom <= window.innerHeight;
  });
}

/** The page's scroll position once it has stopped moving (two frames alike). */
function settledScroll(page: Page): Promise<number> {
  return page.evaluate(
    () =>
      new Promise<number>((resolve) => {
        let last = Number.NaN;
        const check = () => {
          if (window.scrollY === last) resolve(last);
          else {
            last = window.scrollY;
            requestAnimationFrame(() => requestAnimationFrame(check));
          }
        };
        check();
      }),
  );
}

beforeAll(async () => {
  browser = await launchChromium();
  const leaderApi = await serviceAs(baseUrl, `lena-${run}`, "Lena Leader");
  const song = await leaderApi.createSong({ title: "Harbour Lights", content: SONG });
  const session = await leaderApi.createSession({ song_id: song.id, name: "Gig night", access_mode: "link-access" });
  sessionId = session.id;
  const max = await serviceAs(baseUrl, `max-${run}`, "Max Member");
  await max.joinSession(sessionId, session.invitation_code);
});

afterAll(async () => {
  for (const context of contexts) await context.close().catch(() => {});
  await browser?.close();
});

describe("the performance view", () => {
  it("shows all of a real-size song: title, artist, key, capo, every section, line and chord", async () => {
    member = await newPage(browser, baseUrl, contexts);
    await member.goto(`/sessions/${sessionId}/perform`);
    await signIn(member, "Max Member", `max-${run}`);
    await waitUntilLive(member);
    const view = member.getByRole("article", { name: "Harbour Lights" });
    await view.waitFor();
    expect(await view.locator(".perform-byline").textContent()).toBe("The Köln Quartet · A rehearsal song");
    expect(await member.getByTestId("perform-key").textContent()).toBe("D");
    expect(await view.locator(".perform-meta").textContent()).toContain("Capo2");
    expect(await view.locator(".perform-meta").textContent()).toContain("Tempo96");

    const labels = await view.locator(".section-label").allTextContents();
    expect(labels).toEqual(["Verse 1", "Chorus", "Verse 2", "Bridge"]);
    expect(await view.locator(".sheet-section.chorus").count()).toBe(1);
    expect(await view.locator(".sheet-line.comment").allTextContents()).toEqual(["Chorus", "Last verse, slower"]);
    expect(await view.locator(".sheet-line.lyrics").count()).toBe(LYRIC_LINES.length);
    for (const { index, chords } of LYRIC_LINES) expect(await chordsOn(member, index)).toEqual(chords);
    const verse2 = await view.locator(`.sheet-line[data-line="${lineOf("[Bm]Grüße")}"] .lyric`).allTextContents();
    expect(verse2.join("")).toBe("Grüße aus Köln, 中文 and 😀");
    const bridge = await view.locator(`.sheet-line[data-line="${lineOf("[Em]Ça ira")}"] .lyric`).allTextContents();
    expect(bridge.join("")).toBe("Ça ira, ça ira, over the sea");
    // Screen readers hear each chord in words before its text.
    expect(await member.locator(`.sheet-line[data-line="${F_SHARP_LINE}"]`).textContent()).toContain(
      "chord F sharp minor, sing",
    );
    // The one the reader follows is the owner; the reader follows by default.
    expect(await member.getByLabel("Follow the leader").isChecked()).toBe(true);
  });

  it("transposes and shows capo shapes for this reader only, announced, and kept for the next visit", async () => {
    const transpose = member.getByRole("group", { name: "Transpose" });
    await member.getByRole("button", { name: "Transpose up a semitone" }).click();
    await member.getByRole("button", { name: "Transpose up a semitone" }).click();
    await expect.poll(() => chordsOn(member, FIRST_VERSE_LINE)).toEqual(["E", "A"]); // [G] up two is A
    expect(await transpose.getByRole("status").textContent()).toContain("Transposed +2 semitones, key of E");
    expect(await member.getByTestId("perform-key").textContent()).toBe("E (written D)");

    for (let step = 0; step < 3; step++)
      await member.getByRole("button", { name: "Transpose down a semitone" }).click();
    // Down one from D is D♭, a flat key: [F#m] is Fm and [Bm] is B♭m.
    await expect.poll(() => chordsOn(member, F_SHARP_LINE)).toEqual(["Bbm", "Fm"]);
    expect(await transpose.getByRole("status").textContent()).toContain("Transposed −1 semitone, key of Db");

    await member.reload();
    await waitUntilLive(member);
    await expect.poll(() => chordsOn(member, F_SHARP_LINE)).toEqual(["Bbm", "Fm"]);

    await member.getByRole("button", { name: "As written" }).click();
    const capo = member.getByRole("group", { name: "Capo" });
    await member.getByRole("button", { name: "Capo up a fret" }).click();
    await member.getByRole("button", { name: "Capo up a fret" }).click();
    // A song in D with the capo on 2 is played with C shapes.
    await expect.poll(() => chordsOn(member, FIRST_VERSE_LINE)).toEqual(["C", "F"]);
    expect(await capo.getByRole("status").textContent()).toContain("Capo on fret 2, playing C shapes");
    await member.getByRole("button", { name: "As written" }).click();
    await expect.poll(() => chordsOn(member, FIRST_VERSE_LINE)).toEqual(["D", "G"]);
  });

  it("follows the leader's caret to another line within a second, and lets the reader scroll away", async () => {
    leader = await newPage(browser, baseUrl, contexts);
    await leader.goto(`/sessions/${sessionId}`);
    await signIn(leader, "Lena Leader", `lena-${run}`);
    await waitUntilLive(leader);
    // The song itself was never changed by anyone's transposing.
    await expect.poll(() => sheetText(leader)).toBe(SONG);

    const sheet = leader.getByLabel("Chord sheet");
    await sheet.click();
    await leader.keyboard.press("Control+Home"); // the title's line: its nearest shown line is the first of the verse
    await expect.poll(() => leaderLine(member)).toBe(FIRST_VERSE_LINE);
    await expect.poll(() => inView(member, FIRST_VERSE_LINE)).toBe(true);

    await member.evaluate((line) => {
      const seen = () => document.querySelector(`.leader-line[data-line="${line}"]`) !== null;
      const observer = new MutationObserver(() => {
        if (!seen()) return;
        (window as any).leaderSeenAt = Date.now();
        observer.disconnect();
      });
      observer.observe(document.body, { subtree: true, childList: true, attributes: true });
    }, LAST_LINE);
    const movedAt = Date.now();
    await leader.keyboard.press("Control+End");
    await expect.poll(() => member.evaluate(() => (window as any).leaderSeenAt as number | undefined)).toBeDefined();
    const seenAt: number = await member.evaluate(() => (window as any).leaderSeenAt);
    expect(seenAt - movedAt).toBeLessThan(1_000);
    await expect.poll(() => inView(member, LAST_LINE)).toBe(true);
    expect(await member.getByRole("status").filter({ hasText: "Lena Leader is on line" }).textContent()).toBe(
      `Lena Leader is on line ${LAST_LINE + 1}.`,
    );

    // Scrolling by hand pauses following; the highlight still moves, the page stays where the reader took it.
    await member.mouse.move(400, 400);
    await expect
      .poll(async () => {
        await member.mouse.wheel(0, -2_000);
        return member.evaluate(() => window.scrollY);
      })
      .toBe(0);
    const resume = member.getByRole("button", { name: "Resume following" });
    await resume.waitFor();
    await leader.keyboard.press("ArrowUp");
    await expect.poll(() => leaderLine(member)).toBe(LAST_LINE - 1);
    expect(await settledScroll(member)).toBe(0);
    expect(await inView(member, LAST_LINE - 1)).toBe(false);
    await resume.click();
    await expect.poll(() => inView(member, LAST_LINE - 1)).toBe(true);
    await resume.waitFor({ state: "detached" });
  });

  it("the leader sees the line they share, and shares another from the performance view", async () => {
    await leader.getByRole("link", { name: "Perform" }).click();
    await leader.waitForURL(`${baseUrl}/sessions/${sessionId}/perform`);
    await leader
      .getByRole("status")
      .filter({ hasText: `You are sharing line ${LAST_LINE}` })
      .waitFor();
    expect(await leaderLine(leader)).toBe(LAST_LINE - 1);
    // The leader has no one to follow.
    expect(await leader.getByLabel("Follow the leader").count()).toBe(0);

    await leader.locator(`button.sheet-line[data-line="${CHORUS_LINE}"]`).click();
    await expect.poll(() => leaderLine(leader)).toBe(CHORUS_LINE);
    await expect.poll(() => leaderLine(member)).toBe(CHORUS_LINE);
    await expect.poll(() => inView(member, CHORUS_LINE)).toBe(true);
    await leader.getByRole("button", { name: "Share next line" }).click();
    await expect.poll(() => leaderLine(member)).toBe(CHORUS_LINE + 1);
    await screenshot(member, "perform-desktop");

    // A reader who does not want to follow turns it off, and stays where they are.
    await member.getByLabel("Follow the leader").uncheck();
    const before = await settledScroll(member);
    await leader.locator(`button.sheet-line[data-line="${LAST_LINE}"]`).click();
    await expect.poll(() => leaderLine(member)).toBe(LAST_LINE);
    expect(await settledScroll(member)).toBe(before);
    expect(await inView(member, LAST_LINE)).toBe(false);
    await member.getByLabel("Follow the leader").check();
    await expect.poll(() => inView(member, LAST_LINE)).toBe(true);
  });

  it("hands the lead to a band member, whose line everyone then follows, and takes it back", async () => {
    await leader.getByLabel("Who leads", { exact: true }).selectOption({ label: "Max Member" });
    await member.getByRole("status").filter({ hasText: "Lena Leader handed you the lead." }).waitFor();
    // Max now shares lines; Lena, no longer leading, follows him.
    expect(await member.getByLabel("Follow the leader").count()).toBe(0);
    await member.locator(`button.sheet-line[data-line="${F_SHARP_LINE}"]`).click();
    await expect.poll(() => leaderLine(leader)).toBe(F_SHARP_LINE);
    await expect.poll(() => inView(leader, F_SHARP_LINE)).toBe(true);
    await leader
      .getByRole("status")
      .filter({ hasText: `Max Member is on line ${F_SHARP_LINE + 1}` })
      .waitFor();

    await leader.getByLabel("Who leads", { exact: true }).selectOption({ label: "Lena Leader (you)" });
    await member.getByRole("status").filter({ hasText: "Lena Leader is on line" }).waitFor();
    await expect.poll(() => leaderLine(member)).toBe(LAST_LINE);
    expect(await member.locator("button.sheet-line").count()).toBe(0);
  });

  it("updates live as the sheet changes", async () => {
    await leader.getByRole("link", { name: "Editor" }).click();
    const sheet = leader.getByLabel("Chord sheet");
    await sheet.click();
    await leader.keyboard.press("Control+End");
    await sheet.pressSequentially("\n[E]Encore, é 🎸", { delay: 20 });
    const added = LAST_LINE + 1;
    // Typed a key at a time, the line reaches the reader an edit at a time: wait for the whole of it.
    const lyrics = member.locator(`.sheet-line[data-line="${added}"] .lyric`);
    await expect.poll(async () => (await lyrics.allTextContents()).join("")).toBe("Encore, é 🎸");
    expect(await chordsOn(member, added)).toEqual(["E"]);
  });

  it("scrolls by itself at the reader's speed, until stopped", async () => {
    await member.evaluate(() => window.scrollTo(0, 0));
    await member.getByRole("slider", { name: "Scroll speed" }).fill("200");
    await member.getByRole("button", { name: "Start scrolling" }).click();
    await expect.poll(() => member.evaluate(() => window.scrollY)).toBeGreaterThan(100);
    // Scrolling by itself takes over from following until the reader resumes it.
    await member.getByRole("button", { name: "Resume following" }).waitFor();
    await member.getByRole("button", { name: "Stop scrolling" }).click();
    await member.getByRole("button", { name: "Start scrolling" }).waitFor();
  });

  it("reads on a phone, on a dark stage, and on paper without the app around it", async () => {
    await member.getByRole("button", { name: "Resume following" }).click();
    await member.setViewportSize({ width: 390, height: 844 });
    await expect.poll(() => member.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await member.getByRole("button", { name: "Larger text" }).click();
    await member.getByRole("group", { name: "Text size" }).getByText("130%", { exact: true }).waitFor();
    await member.getByRole("button", { name: "Smaller text" }).click();
    await expect.poll(() => member.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await screenshot(member, "perform-phone");

    await member.setViewportSize({ width: 1280, height: 860 });
    const stage = member.getByRole("button", { name: "Stage mode" });
    await stage.click();
    expect(await stage.getAttribute("aria-pressed")).toBe("true");
    await expect
      .poll(() => member.evaluate(() => getComputedStyle(document.querySelector(".performance")!).backgroundColor))
      .toBe("rgb(0, 0, 0)");
    await screenshot(member, "perform-stage");

    await member.emulateMedia({ media: "print" });
    for (const chrome of [".top-bar", ".session-header", ".perform-controls", ".perform-bar"]) {
      expect(await member.locator(chrome).isVisible(), chrome).toBe(false);
    }
    expect(await member.locator(`.sheet-line[data-line="${LAST_LINE}"]`).isVisible()).toBe(true);
    const colours = await member.evaluate(() => ({
      page: getComputedStyle(document.documentElement).backgroundColor,
      chord: getComputedStyle(document.querySelector(".chord")!).color,
      lyric: getComputedStyle(document.querySelector(".lyric")!).color,
    }));
    expect(colours).toEqual({ page: "rgb(255, 255, 255)", chord: "rgb(0, 0, 0)", lyric: "rgb(0, 0, 0)" });
    expect((await member.pdf()).byteLength).toBeGreaterThan(1_000);
    await member.emulateMedia({ media: "screen" });
    await stage.click();
  });
});
