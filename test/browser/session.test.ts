/**
 * A rehearsal in three browsers: the leader creates a Band Practice session with a link, a band member joins by the
 * link and is made an editor, both type at once and end with the same sheet, a viewer cannot change it, and the
 * recording plays back the sheet as it was.
 */
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { launchChromium, newContext, screenshot, sheetReadOnly, sheetText, signIn } from "./browser";

const baseUrl = inject("baseUrl");
const run = crypto.randomUUID().slice(0, 6);
const SONG = "{title: Let It Be}\n[C]When I find myself in [G]times of trouble\n[Am]Mother Mary [F]comes to me";
const LEADER_LINE = "\n[C]Speaking words of [G]wisdom";
const MEMBER_LINE = "[F]Let it be, let it [C]be\n";

let browser: Browser;
const contexts: BrowserContext[] = [];
let leader: Page;
let member: Page;
let viewer: Page;
let sessionId = "";
let joinLink = "";

async function newPage(options: { clipboard?: boolean } = {}): Promise<Page> {
  const context = await newContext(browser, baseUrl, contexts);
  if (options.clipboard) await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: baseUrl });
  return context.newPage();
}

/** Waits for the session page's connection to be up. */
async function waitUntilLive(page: Page): Promise<void> {
  await page.getByTestId("connection").filter({ hasText: "Connected" }).waitFor();
}

beforeAll(async () => {
  browser = await launchChromium();
});

afterAll(async () => {
  for (const context of contexts) await context.close().catch(() => {});
  await browser?.close();
});

describe("a rehearsal in the browser", () => {
  it("the leader signs in and creates a Band Practice session anyone with the link can join", async () => {
    leader = await newPage({ clipboard: true });
    await leader.goto("/");
    await leader.getByLabel("Your name").waitFor();
    await screenshot(leader, "sign-in");
    await signIn(leader, "Lena Leader", `lena-${run}`);

    await expect.poll(() => leader.getByText("No sessions yet").isVisible()).toBe(true);
    await leader.getByRole("button", { name: "New session" }).click();
    const dialog = leader.getByRole("dialog", { name: "New session" });
    await dialog.getByLabel("Title").fill("Let It Be");
    await dialog.getByLabel("Chord sheet (ChordPro)").fill(SONG);
    await dialog.getByLabel("Session name").fill("Friday rehearsal");
    await dialog.getByRole("radio", { name: /Band Practice/ }).check();
    // The template says what it implies, and fills in its participant limit and the role of newcomers.
    await expect.poll(() => dialog.getByText("Up to 8 people · records automatically").isVisible()).toBe(true);
    expect(await dialog.getByLabel("Participant limit").inputValue()).toBe("8");
    expect(await dialog.getByLabel("People joining by link or publicly become").inputValue()).toBe("viewer");
    await dialog.getByRole("radio", { name: /Anyone with the link/ }).check();
    await screenshot(leader, "create-session", { height: 1700 });
    await dialog.getByRole("button", { name: "Create session" }).click();

    await leader.waitForURL(/\/sessions\/[0-9a-f-]{36}$/);
    sessionId = new URL(leader.url()).pathname.split("/").pop()!;
    await waitUntilLive(leader);
    await expect.poll(() => sheetText(leader)).toBe(SONG);
    expect(await sheetReadOnly(leader)).toBeNull();

    await leader.getByRole("button", { name: "Copy link" }).click();
    joinLink = await leader.getByLabel("Join link").inputValue();
    expect(joinLink).toMatch(new RegExp(`^${baseUrl}/join/${sessionId}\\?code=.+`));
    expect(await leader.evaluate(() => navigator.clipboard.readText())).toBe(joinLink);
  });

  it("a band member opens the link, signs in and joins", async () => {
    member = await newPage();
    await member.goto(joinLink);
    await signIn(member, "Max Member", `max-${run}`);
    await member.getByRole("button", { name: "Join session" }).waitFor();
    await screenshot(member, "join");
    await member.getByRole("button", { name: "Join session" }).click();

    await member.waitForURL(`${baseUrl}/sessions/${sessionId}`);
    await waitUntilLive(member);
    await expect.poll(() => sheetText(member)).toBe(SONG);
    // Band Practice lets newcomers in as viewers who may comment.
    expect(await sheetReadOnly(member)).toBe("true");
    await member.getByText("Your role lets you follow along and comment, but not edit.").waitFor();
    await leader.locator(`.participant[data-user="max-${run}"]`).waitFor();
  });

  it("the leader makes the member an editor, both type at once, and both end with the same text", async () => {
    await leader.getByLabel("Role of Max Member").selectOption("editor");
    // The new role reaches the member's open page without a reload.
    await expect.poll(() => sheetReadOnly(member)).toBeNull();

    const leaderSheet = leader.getByLabel("Chord sheet");
    const memberSheet = member.getByLabel("Chord sheet");
    await leaderSheet.click();
    await leader.keyboard.press("Control+End");
    await memberSheet.click();
    await member.keyboard.press("Control+Home");
    await Promise.all([
      leaderSheet.pressSequentially(LEADER_LINE, { delay: 25 }),
      memberSheet.pressSequentially(MEMBER_LINE, { delay: 25 }),
    ]);

    const expected = `${MEMBER_LINE}${SONG}${LEADER_LINE}`;
    await expect.poll(() => sheetText(leader), { timeout: 15_000 }).toBe(expected);
    await expect.poll(() => sheetText(member), { timeout: 15_000 }).toBe(expected);

    // Each sees where the other is: a coloured caret over the sheet and a line in "who is where".
    await leader.locator(`.remote-caret[data-user="max-${run}"]`).waitFor();
    await expect
      .poll(() => leader.getByRole("list", { name: "Who is where" }).textContent())
      .toContain("Max Member — line");
    await member.locator(`.remote-caret[data-user="lena-${run}"]`).waitFor();
    await screenshot(leader, "session");

    // What the server kept is what both pages show.
    await member.reload();
    await waitUntilLive(member);
    await expect.poll(() => sheetText(member)).toBe(expected);
  });

  it("a viewer cannot type: the sheet is read-only and the server refuses an op", async () => {
    viewer = await newPage();
    await viewer.goto(joinLink);
    await signIn(viewer, "Vera Viewer", `vera-${run}`);
    await viewer.getByRole("button", { name: "Join session" }).click();
    await viewer.waitForURL(`${baseUrl}/sessions/${sessionId}`);
    await waitUntilLive(viewer);
    const before = await sheetText(leader);
    await expect.poll(() => sheetText(viewer)).toBe(before);

    const sheet = viewer.getByLabel("Chord sheet");
    expect(await sheetReadOnly(viewer)).toBe("true");
    await sheet.click();
    await viewer.keyboard.type("not allowed");
    expect(await sheetText(viewer)).toBe(before);

    // Past the page: an op sent straight over the session's WebSocket is refused.
    const answer = await viewer.evaluate(async (id) => {
      const token = localStorage.getItem("chordme.sessions.token");
      const ticket = await fetch(`/api/v1/sessions/${id}/ticket`, {
        method: "POST",
        headers: { Authorization: `Bearer ${token}` },
      }).then((response) => response.json());
      const socket = new WebSocket(`${ticket.data.ws_url}&client_id=viewer-probe`);
      return new Promise<string>((resolve) => {
        setTimeout(() => resolve("no answer"), 5_000);
        socket.addEventListener("message", (event) => {
          const message = JSON.parse(String(event.data));
          if (message.type === "welcome") {
            socket.send(JSON.stringify({ type: "op", seq: 1, rev: message.doc.rev, op: ["sneaky "] }));
          } else if (message.type === "error" || message.type === "ack") {
            resolve(message.type === "ack" ? "ack" : message.code);
            socket.close();
          }
        });
      });
    }, sessionId);
    expect(answer).toBe("FORBIDDEN");
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await sheetText(leader)).toBe(before);
    expect(await sheetText(viewer)).toBe(before);

    // Band Practice lets viewers comment; everyone sees the comment at once.
    await viewer.getByLabel("New comment").fill("Can we take the bridge slower?");
    await viewer.getByRole("button", { name: "Comment", exact: true }).click();
    await leader.getByRole("region", { name: "Comments" }).getByText("Can we take the bridge slower?").waitFor();
    await screenshot(viewer, "session-viewer");
  });

  it("a recording plays back the sheet as it was", async () => {
    const final = await sheetText(leader);
    const panel = leader.getByRole("region", { name: "Recording" });
    // Band Practice records from the start; stopping it makes it ready to play back.
    await panel.getByRole("button", { name: "Stop recording" }).click();
    await panel.getByRole("button", { name: "Start recording" }).waitFor();
    await panel.getByRole("button", { name: "Play back" }).first().click();

    const slider = panel.getByLabel("Time in the recording");
    const text = panel.locator(".playback-text");
    await slider.focus();
    await slider.press("Home");
    await expect.poll(() => text.getAttribute("data-at")).toBe("0");
    expect(await text.textContent()).toBe(SONG);

    await slider.press("End");
    const end = await slider.getAttribute("max");
    await expect.poll(() => text.getAttribute("data-at")).toBe(end);
    expect(await text.textContent()).toBe(final);

    await slider.press("Home");
    await expect.poll(() => text.getAttribute("data-at")).toBe("0");
    await screenshot(leader, "playback", { fullPage: true });
  });

  it("the leader's list shows the session with its status, role and last activity", async () => {
    await leader.getByRole("link", { name: "← My sessions" }).click();
    const row = leader.getByRole("button", { name: /Friday rehearsal/ });
    await row.waitFor();
    expect(await row.textContent()).toMatch(/Active.*Leader/);
    expect(await row.textContent()).toContain("Last activity");
    await screenshot(leader, "session-list");
  });
});
