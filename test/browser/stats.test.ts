/**
 * The numbers of a session and of the service: a session's statistics page after two people edited and one
 * commented (participants, contributions, edits per person as a bar chart, comments, duration, recordings), and for
 * an administrator the global statistics and the cleanup, previewed and then run.
 */
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { SessionManagementService } from "../../src/client";
import { launchChromium, newPage, screenshot, serviceAs, sheetText, signIn, waitUntilLive } from "./browser";

const baseUrl = inject("baseUrl");
const run = crypto.randomUUID().slice(0, 6);
const SONG = "{title: Hallelujah}\n[C]I heard there was a [Am]secret chord";

let browser: Browser;
const contexts: BrowserContext[] = [];
let leader: Page;
let leaderApi: SessionManagementService;
let sessionId = "";

/** Types `text` at the end of the page's sheet and waits until the other page shows the same sheet. */
async function typeAtEnd(page: Page, other: Page, text: string): Promise<void> {
  const sheet = page.getByLabel("Chord sheet");
  await sheet.click();
  await page.keyboard.press("Control+End");
  await sheet.pressSequentially(text, { delay: 20 });
  const expected = await sheetText(page);
  await expect.poll(() => sheetText(other)).toBe(expected);
}

beforeAll(async () => {
  browser = await launchChromium();
  leaderApi = await serviceAs(baseUrl, `lena-${run}`, "Lena Leader");
  const song = await leaderApi.createSong({ title: "Hallelujah", content: SONG });
  const session = await leaderApi.createSession({
    song_id: song.id,
    name: "Sunday arrangement",
    access_mode: "link-access",
    settings: { auto_recording: true },
  });
  sessionId = session.id;
  const max = await serviceAs(baseUrl, `max-${run}`, "Max Member");
  await max.joinSession(sessionId, session.invitation_code);
  await leaderApi.changeRole(sessionId, `max-${run}`, "editor");
});

afterAll(async () => {
  for (const context of contexts) await context.close().catch(() => {});
  await browser?.close();
});

describe("statistics", () => {
  it("a session's statistics show who contributed what, edits per person as a chart, comments and recordings", async () => {
    leader = await newPage(browser, baseUrl, contexts);
    await leader.goto(`/sessions/${sessionId}`);
    await signIn(leader, "Lena Leader", `lena-${run}`);
    await waitUntilLive(leader);
    const member = await newPage(browser, baseUrl, contexts);
    await member.goto(`/sessions/${sessionId}`);
    await signIn(member, "Max Member", `max-${run}`);
    await waitUntilLive(member);
    await expect.poll(() => sheetText(member)).toBe(SONG);

    await typeAtEnd(leader, member, "\n[F]It goes like this");
    await typeAtEnd(member, leader, "\n[G]the fourth, the fifth");
    await leader.getByLabel("New comment").fill("Slower on the last line");
    await leader.getByRole("button", { name: "Comment", exact: true }).click();
    await member.getByRole("region", { name: "Comments" }).getByText("Slower on the last line").waitFor();
    await leader.getByRole("region", { name: "Recording" }).getByRole("button", { name: "Stop recording" }).click();
    await leader.getByRole("region", { name: "Recording" }).getByRole("button", { name: "Start recording" }).waitFor();

    await leader.getByRole("link", { name: "Statistics" }).click();
    await leader.waitForURL(`${baseUrl}/sessions/${sessionId}/stats`);
    await leader.getByRole("heading", { name: "Statistics: Sunday arrangement" }).waitFor();
    const stats = await leaderApi.getStats(sessionId);
    const leaderEdits = stats.edits.by_user[`lena-${run}`] ?? 0;
    const memberEdits = stats.edits.by_user[`max-${run}`] ?? 0;
    expect(leaderEdits).toBeGreaterThan(0);
    expect(memberEdits).toBeGreaterThan(0);

    // The chart is a table underneath: each person's row reads their name and their edits.
    const chart = leader.getByRole("figure", { name: "Edits per person" });
    await chart.getByRole("row", { name: `Lena Leader ${leaderEdits} edits` }).waitFor();
    await chart.getByRole("row", { name: `Max Member ${memberEdits} edits` }).waitFor();
    const summary = leader.getByRole("region", { name: "Summary" });
    expect(await summary.textContent()).toContain(`${stats.edits.total} edits`);
    expect(await summary.textContent()).toContain("1 comment");
    expect(await summary.textContent()).toContain("1 recording");
    const contributions = leader.getByRole("region", { name: "Participants and their contributions" });
    const memberRow = contributions.getByRole("row", { name: /Max Member/ });
    expect(await memberRow.textContent()).toContain("Editor");
    await leader.getByRole("region", { name: "Recordings" }).getByRole("cell", { name: "Stopped" }).waitFor();
    await screenshot(leader, "session-stats", { fullPage: true });
  });

  it("someone who is not an administrator is told the administration page is not theirs", async () => {
    expect(await leader.getByRole("link", { name: "Admin" }).count()).toBe(0);
    await leader.goto("/admin");
    await leader.getByText("Only administrators can see the statistics of every session").waitFor();
  });

  it("an administrator sees every session in numbers and previews the cleanup before running it", async () => {
    const admin = await newPage(browser, baseUrl, contexts);
    await admin.goto("/");
    await admin.getByLabel("Your name").fill("Ada Admin");
    await admin.getByLabel("User id").fill(`ada-${run}`);
    await admin.getByLabel("Sign in as an administrator").check();
    await admin.getByRole("button", { name: "Sign in", exact: true }).click();
    await admin.getByRole("link", { name: "Admin" }).click();

    const global = admin.getByRole("region", { name: "All sessions" });
    const byStatus = global.getByRole("figure", { name: "Sessions by status" });
    await byStatus.getByRole("row", { name: /^Active \d+ sessions?$/ }).waitFor();
    const totals = await serviceAs(baseUrl, `ada-${run}`, "Ada Admin", { admin: true }).then((api) =>
      api.getAdminStats(),
    );
    expect(totals.total_sessions).toBeGreaterThan(0);
    expect(await global.textContent()).toContain("Sessions");

    const cleanup = admin.getByRole("region", { name: "Cleanup" });
    expect(await cleanup.getByRole("button", { name: "Run cleanup" }).isDisabled()).toBe(true);
    await cleanup.getByRole("button", { name: "Preview cleanup" }).click();
    const preview = cleanup.getByRole("status", { name: "Preview: nothing has changed yet" });
    await preview.waitFor();
    expect(await preview.textContent()).toMatch(/\d+ overdue sessions? checked/);
    expect(await preview.textContent()).toMatch(/\d+ would be archived/);
    await screenshot(admin, "admin");

    await cleanup.getByRole("button", { name: "Run cleanup" }).click();
    const done = cleanup.getByRole("status", { name: "Cleanup done" });
    await done.waitFor();
    expect(await done.textContent()).toMatch(/\d+ were ended/);
  });
});
