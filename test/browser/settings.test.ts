/**
 * A session's settings in the browser: the leader sets them when creating the session, changes them on the session
 * page (name, description, who can join, the participant limit, auto-recording, idle end, archiving, auto-save), and
 * when the session is full and a newcomer is turned away, raises the limit from the session page's message.
 */
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { SessionManagementService } from "../../src/client";
import { launchChromium, newPage, screenshot, serviceAs, sheetText, signIn, waitUntilLive } from "./browser";

const baseUrl = inject("baseUrl");
const run = crypto.randomUUID().slice(0, 6);
const SONG = "{title: Wonderwall}\n[Em7]Today is [G]gonna be the day";

let browser: Browser;
const contexts: BrowserContext[] = [];
let leader: Page;
let leaderApi: SessionManagementService;
let sessionId = "";

beforeAll(async () => {
  browser = await launchChromium();
  leaderApi = await serviceAs(baseUrl, `lena-${run}`, "Lena Leader");
});

afterAll(async () => {
  for (const context of contexts) await context.close().catch(() => {});
  await browser?.close();
});

describe("session settings", () => {
  it("the new-session dialog sets the session's settings at creation", async () => {
    leader = await newPage(browser, baseUrl, contexts);
    await leader.goto("/");
    await signIn(leader, "Lena Leader", `lena-${run}`);
    await leader.getByRole("button", { name: "New session" }).click();
    const dialog = leader.getByRole("dialog", { name: "New session" });
    await dialog.getByLabel("Title").fill("Wonderwall");
    await dialog.getByLabel("Chord sheet (ChordPro)").fill(SONG);
    await dialog.getByLabel("Session name").fill("Tuesday run-through");
    // Without a template the defaults are the service's own: a week's idle time, 30 days, 30 seconds.
    expect(await dialog.getByLabel("End after inactivity (minutes)").inputValue()).toBe("10080");
    await dialog.getByText("The session ends by itself after 7 days without activity.").waitFor();
    await dialog.getByRole("radio", { name: /Anyone with the link/ }).check();
    await dialog.getByLabel("Participant limit").fill("3");
    await dialog.getByLabel("Record automatically when the session starts").check();
    await dialog.getByLabel("End after inactivity (minutes)").fill("120");
    await dialog.getByText("The session ends by itself after 2 hours without activity.").waitFor();
    await dialog.getByLabel("Archive after ending (days)").fill("3");
    await dialog.getByLabel("Save to the song every (seconds)").fill("15");
    await dialog.getByRole("button", { name: "Create session" }).click();

    await leader.waitForURL(/\/sessions\/[0-9a-f-]{36}$/);
    sessionId = new URL(leader.url()).pathname.split("/").pop()!;
    await waitUntilLive(leader);
    await expect.poll(() => sheetText(leader)).toBe(SONG);
    const session = await leaderApi.getSession(sessionId);
    expect(session.max_participants).toBe(3);
    expect(session.is_recording).toBe(true);
    expect(session.settings).toMatchObject({
      auto_recording: true,
      idle_timeout_minutes: 120,
      archive_after_days: 3,
      auto_save_interval: 15,
    });
  });

  it("the leader changes the session's name, access, limit and settings on the session page", async () => {
    await leader.getByRole("button", { name: "Settings", exact: true }).click();
    const dialog = leader.getByRole("dialog", { name: "Session settings" });
    // The dialog opens on what the session has now.
    expect(await dialog.getByLabel("Session name").inputValue()).toBe("Tuesday run-through");
    expect(await dialog.getByLabel("Participant limit").inputValue()).toBe("3");
    expect(await dialog.getByLabel("Archive after ending (days)").inputValue()).toBe("3");
    expect(await dialog.getByLabel("Record automatically when the session starts").isChecked()).toBe(true);

    await dialog.getByLabel("Session name").fill("Tuesday run-through (full band)");
    await dialog.getByLabel("Description (optional)").fill("Bring the capo");
    await dialog.getByRole("radio", { name: /Public/ }).check();
    await dialog.getByText("Saving turns the current join link off for good.").waitFor();
    await dialog.getByLabel("Participant limit").fill("2");
    await dialog.getByLabel("Record automatically when the session starts").uncheck();
    await dialog.getByLabel("End after inactivity (minutes)").fill("240");
    await dialog.getByLabel("Archive after ending (days)").fill("0");
    await dialog.getByText("Archived as soon as it ends.").waitFor();
    await dialog.getByLabel("Save to the song every (seconds)").fill("4");
    await dialog.getByRole("button", { name: "Save settings" }).click();
    // Out of bounds is said before anything is sent.
    await dialog.getByRole("alert").filter({ hasText: "Save to the song every: choose between 5 and 3600." }).waitFor();
    await screenshot(leader, "session-settings", { height: 1180 });
    await dialog.getByLabel("Save to the song every (seconds)").fill("60");
    await dialog.getByRole("button", { name: "Save settings" }).click();

    await leader.getByRole("status").filter({ hasText: "Settings saved." }).waitFor();
    await leader.getByRole("heading", { name: "Tuesday run-through (full band)" }).waitFor();
    await leader.locator(".session-header .badge", { hasText: "Public" }).waitFor();
    const session = await leaderApi.getSession(sessionId);
    expect(session).toMatchObject({
      name: "Tuesday run-through (full band)",
      description: "Bring the capo",
      access_mode: "public",
      max_participants: 2,
    });
    expect(session.invitation_code).toBeUndefined();
    expect(session.settings).toMatchObject({
      auto_recording: false,
      idle_timeout_minutes: 240,
      archive_after_days: 0,
      auto_save_interval: 60,
    });
  });

  it("a newcomer is turned away from the full session, and the leader raises the limit from its message", async () => {
    const max = await serviceAs(baseUrl, `max-${run}`, "Max Member");
    await max.joinSession(sessionId);
    // The leader's page learns of the join live and says the session is full.
    const full = leader.getByRole("region", { name: /The session is full/ });
    await full.waitFor();
    expect(await full.textContent()).toContain("2 of 2 places are taken");

    const nora = await newPage(browser, baseUrl, contexts);
    await nora.goto(`/sessions/${sessionId}`);
    await signIn(nora, "Nora Newcomer", `nora-${run}`);
    await nora.getByRole("button", { name: "Join session" }).click();
    await nora
      .getByRole("alert")
      .filter({ hasText: "This session is full. Ask the session leader to raise the participant limit." })
      .waitFor();
    // The leader is told at once who was turned away.
    await full.filter({ hasText: "Nora Newcomer just tried to join and was turned away." }).waitFor();
    await screenshot(leader, "session-full");

    await full.getByLabel("New participant limit").fill("4");
    await full.getByRole("button", { name: "Raise the limit" }).click();
    await leader.getByRole("status").filter({ hasText: "The participant limit is now 4." }).waitFor();
    await full.waitFor({ state: "detached" });
    expect((await leaderApi.getSession(sessionId)).max_participants).toBe(4);

    await nora.getByRole("button", { name: "Join session" }).click();
    await waitUntilLive(nora);
    await expect.poll(() => sheetText(nora)).toBe(SONG);
    await leader.locator(`.participant[data-user="nora-${run}"]`).waitFor();
    expect(await leader.getByRole("region", { name: "Participants" }).textContent()).toContain("(3/4)");
  });
});
