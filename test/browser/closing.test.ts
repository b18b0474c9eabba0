/**
 * An open session page learns at once that it is closed for good: a member the leader removes over the REST API,
 * and another when the leader ends the session, each see why within a second of the call's answer, in a live
 * region, with the sheet turned read-only.
 */
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createSessionManagementService, type SessionManagementService } from "../../src/client";
import { launchChromium, newPage, sheetReadOnly, sheetText, signIn } from "./browser";

const baseUrl = inject("baseUrl");
const run = crypto.randomUUID().slice(0, 6);
const SONG = "{title: Hey Jude}\n[F]Hey Jude, don't make it [C]bad";
/** From the REST call's answer to the page showing why: what "at once" means here. */
const MAX_DELAY_MS = 1_000;

let browser: Browser;
const contexts: BrowserContext[] = [];
let leader: SessionManagementService;
let sessionId = "";
let invitationCode = "";

async function serviceFor(userId: string, name: string): Promise<SessionManagementService> {
  const anonymous = createSessionManagementService({ baseUrl, getToken: () => null });
  const { token } = await anonymous.createDevToken({ sub: userId, name });
  return createSessionManagementService({ baseUrl, getToken: () => token });
}

/** A band member who has joined the session, with its page open and live. */
async function openAsMember(name: string, userId: string): Promise<Page> {
  const member = await serviceFor(userId, name);
  await member.joinSession(sessionId, invitationCode);
  const page = await newPage(browser, baseUrl, contexts);
  await page.goto(`/sessions/${sessionId}`);
  await signIn(page, name, userId);
  await page.getByTestId("connection").filter({ hasText: "Connected" }).waitFor();
  await expect.poll(() => sheetText(page)).toBe(SONG);
  return page;
}

/**
 * Notes, in the page, the moment a live region first holds `text`; the returned function waits for it and gives
 * that moment (ms since the epoch, the clock the test reads too).
 */
async function watchForAlert(page: Page, text: string): Promise<() => Promise<number>> {
  await page.evaluate((wanted) => {
    const shows = () =>
      [...document.querySelectorAll('[role="alert"], [role="status"]')].some((region) =>
        region.textContent?.includes(wanted),
      );
    const observer = new MutationObserver(() => {
      if (!shows()) return;
      document.body.dataset.alertShownAt = String(Date.now());
      observer.disconnect();
    });
    observer.observe(document.body, { subtree: true, childList: true, characterData: true });
  }, text);
  return async () => {
    await page.locator("[role=alert], [role=status]").filter({ hasText: text }).waitFor({ timeout: 15_000 });
    return Number(await page.locator("body").getAttribute("data-alert-shown-at"));
  };
}

beforeAll(async () => {
  browser = await launchChromium();
  leader = await serviceFor(`lena-${run}`, "Lena Leader");
  const song = await leader.createSong({ title: "Hey Jude", content: SONG });
  const session = await leader.createSession({ song_id: song.id, name: "Sunday jam", access_mode: "link-access" });
  sessionId = session.id;
  invitationCode = session.invitation_code ?? "";
});

afterAll(async () => {
  for (const context of contexts) await context.close().catch(() => {});
  await browser?.close();
});

describe("a session page closed for good", () => {
  it("tells a member the leader removed, within a second, and stops their editing", async () => {
    const member = await openAsMember("Max Member", `max-${run}`);
    const shownAt = await watchForAlert(member, "You were removed from this session and no longer have access to it.");

    const calledAt = Date.now();
    await leader.removeParticipant(sessionId, `max-${run}`);
    const answeredAt = Date.now();
    const delay = (await shownAt()) - answeredAt;
    console.log(`removal: the call took ${answeredAt - calledAt} ms, the page showed why ${delay} ms after its answer`);
    expect(delay, `shown ${delay} ms after the REST call answered`).toBeLessThan(MAX_DELAY_MS);

    expect(await sheetReadOnly(member)).toBe("true");
    await member.getByTestId("connection").filter({ hasText: "Offline" }).waitFor();
  });

  it("tells a member the leader ended the session, within a second", async () => {
    const member = await openAsMember("Vera Viewer", `vera-${run}`);
    const shownAt = await watchForAlert(member, "This session has ended.");

    const calledAt = Date.now();
    await leader.endSession(sessionId);
    const answeredAt = Date.now();
    const delay = (await shownAt()) - answeredAt;
    console.log(`end: the call took ${answeredAt - calledAt} ms, the page showed why ${delay} ms after its answer`);
    expect(delay, `shown ${delay} ms after the REST call answered`).toBeLessThan(MAX_DELAY_MS);

    expect(await sheetReadOnly(member)).toBe("true");
    await member.getByTestId("connection").filter({ hasText: "Offline" }).waitFor();
  });
});
