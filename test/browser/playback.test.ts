/**
 * Playing back everything a recording holds: besides the sheet at each moment, the player lists who joined, left,
 * commented, was given a role or was removed, at the moment it happened, and shows the session as it stood at the
 * slider's moment (who was there with which role, the comments so far).
 */
import type { Browser, BrowserContext, Locator, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { SessionManagementService } from "../../src/client";
import { launchChromium, newPage, screenshot, serviceAs, signIn, waitUntilLive } from "./browser";

const baseUrl = inject("baseUrl");
const run = crypto.randomUUID().slice(0, 6);
const SONG = "{title: Let It Be}\n[C]When I find myself in [G]times of trouble";
const COMMENT = "Watch the tempo in the bridge";

let browser: Browser;
const contexts: BrowserContext[] = [];
let leader: Page;
let leaderApi: SessionManagementService;
let sessionId = "";
let code = "";

/** The entry of the timeline that reads `text`. */
const entry = (timeline: Locator, text: string) => timeline.getByRole("listitem").filter({ hasText: text });

beforeAll(async () => {
  browser = await launchChromium();
  leaderApi = await serviceAs(baseUrl, `lena-${run}`, "Lena Leader");
  const song = await leaderApi.createSong({ title: "Let It Be", content: SONG });
  const session = await leaderApi.createSession({
    song_id: song.id,
    name: "Recorded rehearsal",
    access_mode: "link-access",
    settings: { auto_recording: true },
  });
  sessionId = session.id;
  code = session.invitation_code ?? "";
});

afterAll(async () => {
  for (const context of contexts) await context.close().catch(() => {});
  await browser?.close();
});

describe("playback of everything recorded", () => {
  it("the player lists joins, comments, role changes, leaves and removals at their moments", async () => {
    leader = await newPage(browser, baseUrl, contexts);
    await leader.goto(`/sessions/${sessionId}`);
    await signIn(leader, "Lena Leader", `lena-${run}`);
    await waitUntilLive(leader);
    const people = leader.getByRole("region", { name: "Participants" });

    const max = await serviceAs(baseUrl, `max-${run}`, "Max Member");
    await max.joinSession(sessionId, code);
    await people.locator(`.participant[data-user="max-${run}"]`).waitFor();
    await leader.getByLabel("New comment").fill(COMMENT);
    await leader.getByRole("button", { name: "Comment", exact: true }).click();
    await leader.getByRole("region", { name: "Comments" }).getByText(COMMENT).waitFor();
    const sheet = leader.getByLabel("Chord sheet");
    await sheet.click();
    await leader.keyboard.press("Control+End");
    await sheet.pressSequentially("\n[Am]Mother Mary", { delay: 20 });
    await leader.getByLabel("Role of Max Member").selectOption("editor");
    await people.getByRole("status").filter({ hasText: "Max Member is now editor." }).waitFor();
    await max.leaveSession(sessionId);
    await people.locator(`.participant[data-user="max-${run}"]`).waitFor({ state: "detached" });
    const nora = await serviceAs(baseUrl, `nora-${run}`, "Nora Newcomer");
    await nora.joinSession(sessionId, code);
    await people.locator(`.participant[data-user="nora-${run}"]`).waitFor();
    await leaderApi.removeParticipant(sessionId, `nora-${run}`);
    await people.locator(`.participant[data-user="nora-${run}"]`).waitFor({ state: "detached" });

    const panel = leader.getByRole("region", { name: "Recording" });
    await panel.getByRole("button", { name: "Stop recording" }).click();
    await panel.getByRole("button", { name: "Start recording" }).waitFor();
    await panel.getByRole("button", { name: "Play back" }).first().click();

    const timeline = panel.getByRole("list", { name: "What happened" });
    const expected = [
      "Lena Leader opened the session",
      "Max Member joined as viewer",
      `Lena Leader commented: “${COMMENT}”`,
      "Lena Leader made Max Member editor",
      "Max Member left",
      "Nora Newcomer joined as viewer",
      "Lena Leader removed Nora Newcomer",
    ];
    for (const text of expected) await entry(timeline, text).waitFor();
    const texts = await timeline.getByRole("listitem").allTextContents();
    const positions = expected.map((text) => texts.findIndex((line) => line.includes(text)));
    expect(positions).toEqual([...positions].sort((left, right) => left - right));

    // At the start nothing has happened yet.
    const slider = panel.getByLabel("Time in the recording");
    const moment = panel.getByRole("region", { name: "At this moment" });
    await slider.focus();
    await slider.press("Home");
    await expect.poll(() => moment.getByTestId("moment-counts").textContent()).toBe("0 edits · 0 comments so far");
    expect(await timeline.locator("li.past").count()).toBe(0);

    // A moment in the timeline takes the slider there: the comment has been made, Max is still a viewer.
    await entry(timeline, "commented").getByRole("button").click();
    await expect.poll(() => moment.getByTestId("moment-counts").textContent()).toBe("0 edits · 1 comment so far");
    expect(await entry(timeline, "commented").getAttribute("aria-current")).toBe("time");
    await moment.getByText(`Latest comment, from Lena Leader: “${COMMENT}”`).waitFor();
    const present = moment.getByRole("list", { name: "People in the recording" });
    await present.getByText("Max Member (viewer)").waitFor();
    await present.getByText("Lena Leader (leader)").waitFor();

    await entry(timeline, "made Max Member editor").getByRole("button").click();
    await present.getByText("Max Member (editor)").waitFor();
    expect(await entry(timeline, "Max Member left").getAttribute("class")).toContain("future");

    // At the end Max has left and Nora was removed; the edits are all in.
    await slider.focus();
    await slider.press("End");
    // Only Lena is left, with where her caret last was when the editor reported it.
    await expect.poll(() => present.textContent()).toMatch(/^Lena Leader \(leader\)( — line \d+, column \d+.*)?$/);
    await expect.poll(() => moment.getByTestId("moment-counts").textContent()).toMatch(/^[1-9]\d* edits · 1 comment/);
    expect(await timeline.locator("li.future").count()).toBe(0);
    await entry(timeline, "commented").getByRole("button").click();
    await screenshot(leader, "playback-events", { fullPage: true });
  });
});
