/**
 * Public sessions: anyone signed in finds the active public sessions, of every song or of one, and joins one from
 * the list; invite-only sessions never show there.
 */
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { launchChromium, newPage, screenshot, serviceAs, sheetText, signIn, waitUntilLive } from "./browser";

const baseUrl = inject("baseUrl");
const run = crypto.randomUUID().slice(0, 6);
const BLACKBIRD = "{title: Blackbird}\n[G]Blackbird singing in the [Am7]dead of night";
const OPEN_JAM = "Open jam on Blackbird";
const SINGALONG = "Yesterday singalong";
const PRIVATE = "Private rehearsal on Blackbird";

let browser: Browser;
const contexts: BrowserContext[] = [];
let visitor: Page;
let blackbirdId = 0;

/** Clicks Refresh until the list shows `name`'s join button: the list is read from an index written just after. */
async function refreshUntilListed(page: Page, name: string): Promise<void> {
  const button = page.getByRole("button", { name: new RegExp(`^(Join|Open) ${name}$`) });
  await expect
    .poll(
      async () => {
        if ((await button.count()) > 0) return true;
        await page.getByRole("button", { name: "Refresh" }).click();
        await page.getByRole("button", { name: "Refresh" }).waitFor();
        return (await button.count()) > 0;
      },
      { timeout: 30_000, interval: 500 },
    )
    .toBe(true);
}

beforeAll(async () => {
  browser = await launchChromium();
  const leader = await serviceAs(baseUrl, `lena-${run}`, "Lena Leader");
  const blackbird = await leader.createSong({ title: "Blackbird", content: BLACKBIRD });
  const yesterday = await leader.createSong({ title: "Yesterday", content: "[F]Yesterday" });
  blackbirdId = blackbird.id;
  await leader.createSession({ song_id: blackbird.id, name: OPEN_JAM, access_mode: "public", max_participants: 6 });
  await leader.createSession({ song_id: yesterday.id, name: SINGALONG, access_mode: "public" });
  await leader.createSession({ song_id: blackbird.id, name: PRIVATE, access_mode: "invite-only" });
  // Shared with the visitor, so the song filter can name it.
  await leader.shareSong(blackbird.id, { user_id: `paul-${run}`, permission: "read" });
});

afterAll(async () => {
  for (const context of contexts) await context.close().catch(() => {});
  await browser?.close();
});

describe("public sessions", () => {
  it("lists the active public sessions of every song, and not the invite-only ones", async () => {
    visitor = await newPage(browser, baseUrl, contexts);
    await visitor.goto("/");
    await signIn(visitor, "Paul Player", `paul-${run}`);
    await visitor.getByRole("link", { name: "Public sessions" }).click();
    await visitor.waitForURL(`${baseUrl}/public`);
    await refreshUntilListed(visitor, OPEN_JAM);
    await refreshUntilListed(visitor, SINGALONG);
    expect(await visitor.getByText(PRIVATE).count()).toBe(0);
    const list = visitor.getByRole("list", { name: "Public sessions" });
    expect(await list.textContent()).toContain("1/6 people");
    await screenshot(visitor, "public-sessions");
  });

  it("shows one song's public sessions, and the visitor joins one from the list", async () => {
    await visitor.getByLabel("Song").selectOption({ label: "Blackbird" });
    await visitor.waitForURL(`${baseUrl}/public?song=${blackbirdId}`);
    await refreshUntilListed(visitor, OPEN_JAM);
    expect(await visitor.getByText(SINGALONG).count()).toBe(0);

    await visitor.getByRole("button", { name: `Join ${OPEN_JAM}` }).click();
    await visitor.waitForURL(/\/sessions\/[0-9a-f-]{36}$/);
    await waitUntilLive(visitor);
    await expect.poll(() => sheetText(visitor)).toBe(BLACKBIRD);
    await visitor.getByText("You are a viewer: you can follow along but not edit.").waitFor();

    // Back in the list, the session is one the visitor is in now.
    await visitor.getByRole("link", { name: "Public sessions" }).click();
    await refreshUntilListed(visitor, OPEN_JAM);
    await visitor.getByRole("button", { name: `Open ${OPEN_JAM}` }).waitFor();
    await visitor.getByText("You are viewer").waitFor();
  });
});
