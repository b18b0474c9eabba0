/**
 * Invitations from both ends: the leader invites two people (one by email, one by user id) and sees them in the
 * session's invitations at once, revokes one after a confirmation; the other signs in, finds the invitation on the
 * home page and declines it, turns invitation emails off, and the leader sees it declined; a third invitee joins by
 * the home page's Join.
 */
import type { Browser, BrowserContext, Locator, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { SessionManagementService } from "../../src/client";
import { launchChromium, newPage, screenshot, serviceAs, signIn, waitUntilLive } from "./browser";

const baseUrl = inject("baseUrl");
const run = crypto.randomUUID().slice(0, 6);
const SESSION = "Saturday gig prep";
const IVY_EMAIL = `ivy-${run}@example.test`;
const OMAR = `omar-${run}`;
const MAX = `max-${run}`;

let browser: Browser;
const contexts: BrowserContext[] = [];
let leader: Page;
let leaderApi: SessionManagementService;
let sessionId = "";
let panel: Locator;

/**
 * Reloads the page until `target` shows: an invitee's list is read from an index the session writes just after
 * answering the invitation.
 */
async function reloadUntilVisible(page: Page, target: Locator): Promise<void> {
  await expect
    .poll(
      async () => {
        if ((await target.count()) > 0) return true;
        await page.reload();
        await page.getByRole("region", { name: "My sessions" }).waitFor();
        return (await target.count()) > 0;
      },
      { timeout: 45_000, interval: 1_000 },
    )
    .toBe(true);
}

/** Signs in on the sign-in screen, with an email when one is given. */
async function signInAs(page: Page, name: string, userId: string, email?: string): Promise<void> {
  await page.goto("/");
  await page.getByLabel("Your name").waitFor();
  if (email) await page.getByLabel("Email (optional)").fill(email);
  await signIn(page, name, userId);
}

beforeAll(async () => {
  browser = await launchChromium();
  leaderApi = await serviceAs(baseUrl, `lena-${run}`, "Lena Leader");
  const song = await leaderApi.createSong({ title: "Hallelujah", content: "[C]I heard there was a [Am]secret chord" });
  const session = await leaderApi.createSession({ song_id: song.id, name: SESSION, access_mode: "invite-only" });
  sessionId = session.id;
});

afterAll(async () => {
  for (const context of contexts) await context.close().catch(() => {});
  await browser?.close();
});

describe("invitations", () => {
  it("the leader invites two people and sees both in the pending invitations at once", async () => {
    leader = await newPage(browser, baseUrl, contexts);
    await leader.goto(`/sessions/${sessionId}`);
    await signIn(leader, "Lena Leader", `lena-${run}`);
    await waitUntilLive(leader);
    panel = leader.getByRole("region", { name: "Invitations" });
    await panel.getByText("No pending invitations.").waitFor();

    await panel.getByLabel("Email or user id").fill(`${IVY_EMAIL}, ${OMAR}`);
    await panel.getByLabel("Message (optional)").fill("Soundcheck at six");
    await panel.getByLabel("Invite as").selectOption("editor");
    await panel.getByRole("button", { name: "Invite", exact: true }).click();

    await panel
      .getByRole("status")
      .filter({ hasText: `Invited ${IVY_EMAIL}, ${OMAR} as editor.` })
      .waitFor();
    const pending = panel.getByRole("list", { name: "Pending invitations" });
    await expect.poll(() => pending.getByRole("listitem").count()).toBe(2);
    for (const who of [IVY_EMAIL, OMAR]) {
      const entry = pending.getByRole("listitem").filter({ hasText: who });
      expect(await entry.textContent()).toMatch(/EditorInvited by Lena Leader · (just now|\d+ (second|minute)s? ago)/);
      expect(await entry.textContent()).toContain("Soundcheck at six");
    }
    // What the panel shows is what the service holds.
    const listed = (await leaderApi.listInvitations(sessionId)).invitations;
    expect(listed.map((entry) => entry.email ?? entry.user_id).sort()).toEqual([IVY_EMAIL, OMAR].sort());
    await screenshot(leader, "invitations", { fullPage: true });
  });

  it("the leader revokes one after confirming", async () => {
    const pending = panel.getByRole("list", { name: "Pending invitations" });
    await panel.getByRole("button", { name: `Revoke the invitation to ${OMAR}` }).click();
    // "Keep it" changes nothing.
    await panel.getByRole("button", { name: "Keep it" }).click();
    expect(await pending.getByRole("listitem").count()).toBe(2);

    await panel.getByRole("button", { name: `Revoke the invitation to ${OMAR}` }).click();
    await panel.getByText(`Revoke the invitation to ${OMAR}? It will no longer let them join.`).waitFor();
    await panel.getByRole("button", { name: "Revoke invitation" }).click();
    await panel
      .getByRole("status")
      .filter({ hasText: `The invitation to ${OMAR} was revoked.` })
      .waitFor();
    await expect.poll(() => pending.getByRole("listitem").count()).toBe(1);
    expect(await pending.textContent()).toContain(IVY_EMAIL);
    const listed = (await leaderApi.listInvitations(sessionId)).invitations;
    expect(listed.map((entry) => entry.email)).toEqual([IVY_EMAIL]);
  });

  it("the invitee signs in with the invited address, declines on the home page and turns emails off", async () => {
    const ivy = await newPage(browser, baseUrl, contexts);
    await signInAs(ivy, "Ivy Invitee", `ivy-${run}`, IVY_EMAIL);
    const invitations = ivy.getByRole("region", { name: "Invitations" });
    const entry = invitations.getByRole("listitem").filter({ hasText: SESSION });
    await reloadUntilVisible(ivy, entry);
    expect(await entry.textContent()).toContain(`lena-${run} invited you as editor`);
    await entry.getByRole("button", { name: `Join ${SESSION}` }).waitFor();
    await screenshot(ivy, "my-invitations");

    await entry.getByRole("button", { name: `Decline ${SESSION}` }).click();
    await entry.getByText(`Decline the invitation to “${SESSION}”?`).waitFor();
    await entry.getByRole("button", { name: "Decline invitation" }).click();
    await invitations
      .getByRole("status")
      .filter({ hasText: `You declined the invitation to “${SESSION}”.` })
      .waitFor();
    await entry.waitFor({ state: "detached" });
    await invitations.getByText("No invitations are waiting for you.").waitFor();

    const emails = ivy.getByLabel("Email me invitations");
    await expect.poll(() => emails.isEnabled()).toBe(true);
    expect(await emails.isChecked()).toBe(true);
    await ivy.getByText(`Sent to ${IVY_EMAIL} when someone invites you to a session.`).waitFor();
    await emails.uncheck();
    await ivy.getByRole("status").filter({ hasText: "No more invitation emails" }).waitFor();
    expect(await emails.isChecked()).toBe(false);
    const ivyApi = await serviceAs(baseUrl, `ivy-${run}`, "Ivy Invitee");
    expect((await ivyApi.getMe()).notifications_enabled).toBe(false);
  });

  it("the leader sees the invitation declined", async () => {
    await panel.getByRole("radio", { name: "Declined" }).check();
    const declined = panel.getByRole("list", { name: "Declined" });
    const entry = declined.getByRole("listitem").filter({ hasText: IVY_EMAIL });
    await entry.waitFor();
    expect(await entry.textContent()).toMatch(/· declined (just now|\d+ (second|minute)s? ago)/);
    // Declined invitations cannot be revoked: there is nothing left to revoke.
    expect(await entry.getByRole("button").count()).toBe(0);

    await panel.getByRole("radio", { name: "Pending" }).check();
    await panel.getByText("No pending invitations.").waitFor();
  });

  it("a third invitee joins with the home page's Join, and leaves the pending list", async () => {
    await panel.getByLabel("Email or user id").fill(MAX);
    await panel.getByLabel("Invite as").selectOption("commenter");
    await panel.getByRole("button", { name: "Invite", exact: true }).click();
    const pending = panel.getByRole("list", { name: "Pending invitations" });
    await pending.getByRole("listitem").filter({ hasText: MAX }).waitFor();

    const max = await newPage(browser, baseUrl, contexts);
    await signInAs(max, "Max Member", MAX);
    const join = max.getByRole("region", { name: "Invitations" }).getByRole("button", { name: `Join ${SESSION}` });
    await reloadUntilVisible(max, join);
    await join.click();
    await max.waitForURL(`${baseUrl}/sessions/${sessionId}`);
    await waitUntilLive(max);
    await max.getByText("Your role lets you follow along and comment, but not edit.").waitFor();

    // The leader's page hears of the join live and reads the invitations again.
    await leader.locator(`.participant[data-user="${MAX}"]`).waitFor();
    await panel.getByText("No pending invitations.").waitFor({ timeout: 30_000 });
    expect((await leaderApi.listInvitations(sessionId)).invitations).toEqual([]);
  });
});
