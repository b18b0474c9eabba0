/**
 * Templates of one's own: the leader saves a session's settings as a template, edits it (name, limit, a role's
 * rights) and deletes it. And a role a session's template leaves short of its usual rights (a Music Lesson's
 * editors may only comment) is said so in the participant panel before anyone is given it.
 */
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { SessionManagementService } from "../../src/client";
import { launchChromium, newPage, screenshot, serviceAs, signIn, waitUntilLive } from "./browser";

const baseUrl = inject("baseUrl");
const run = crypto.randomUUID().slice(0, 6);
/** Music Lesson, one of the five default templates: editors may read and comment, nothing more. */
const MUSIC_LESSON = 2;

let browser: Browser;
const contexts: BrowserContext[] = [];
let leader: Page;
let leaderApi: SessionManagementService;
let sessionId = "";

const maxRole = async () =>
  (await leaderApi.getParticipants(sessionId)).participants.find((p) => p.user_id === `max-${run}`)?.role;

beforeAll(async () => {
  browser = await launchChromium();
  leaderApi = await serviceAs(baseUrl, `lena-${run}`, "Lena Leader");
  const song = await leaderApi.createSong({ title: "Für Elise", content: "[Am]E D# E D# E B D C [Am]A" });
  const session = await leaderApi.createSession({
    song_id: song.id,
    name: "Piano lesson with Max",
    template_id: MUSIC_LESSON,
    access_mode: "link-access",
  });
  sessionId = session.id;
  const max = await serviceAs(baseUrl, `max-${run}`, "Max Member");
  await max.joinSession(sessionId, session.invitation_code);
});

afterAll(async () => {
  for (const context of contexts) await context.close().catch(() => {});
  await browser?.close();
});

describe("templates", () => {
  it("the leader saves the session's settings as a template of their own", async () => {
    leader = await newPage(browser, baseUrl, contexts);
    await leader.goto(`/sessions/${sessionId}`);
    await signIn(leader, "Lena Leader", `lena-${run}`);
    await waitUntilLive(leader);
    await leader.getByRole("button", { name: "Settings", exact: true }).click();
    const dialog = leader.getByRole("dialog", { name: "Session settings" });
    const save = dialog.getByRole("form", { name: "Save as template" });
    await save.getByText("this session's roles (from Music Lesson)").waitFor();
    await save.getByLabel("Template name").fill("Lesson with Lena");
    await save.getByRole("button", { name: "Save as template" }).click();
    await save.getByRole("status").filter({ hasText: "Saved as the template “Lesson with Lena”." }).waitFor();

    const mine = (await leaderApi.getTemplates()).templates.filter((t) => t.created_by === `lena-${run}`);
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({
      name: "Lesson with Lena",
      max_participants: 5,
      auto_recording: true,
      default_role: "commenter",
      is_public: false,
      permissions: { editor: ["read", "comment"], commenter: ["read", "comment"], viewer: ["read"] },
    });
    await save.getByRole("link", { name: "Manage your templates" }).click();
    await leader.waitForURL(`${baseUrl}/templates`);
  });

  it("the leader edits the template: its name, limit and what editors may do", async () => {
    const card = leader.getByRole("listitem", { name: "Lesson with Lena" });
    await card.getByText("Editors may comment.").waitFor();
    await card.getByRole("button", { name: "Edit Lesson with Lena" }).click();
    const editor = card.getByRole("form", { name: "Edit Lesson with Lena" });
    await editor.getByLabel("Template name").fill("Piano lesson");
    await editor.getByLabel("Participant limit").fill("6");
    await editor.getByLabel("Editors may edit chords and lyrics").check();
    await editor.getByLabel("End after inactivity (minutes)").fill("90");
    await screenshot(leader, "templates", { fullPage: true });
    await editor.getByRole("button", { name: "Save template" }).click();

    await leader.getByRole("status").filter({ hasText: "The template “Piano lesson” was saved." }).waitFor();
    const saved = leader.getByRole("listitem", { name: "Piano lesson" });
    await saved.getByText("Editors may edit chords and lyrics and comment.").waitFor();
    await saved.getByText(/^Up to 6 people/).waitFor();
    await saved.getByText(/ends after 1 hour 30 minutes without activity/).waitFor();
    const [template] = (await leaderApi.getTemplates()).templates.filter((t) => t.created_by === `lena-${run}`);
    expect(template).toMatchObject({ name: "Piano lesson", max_participants: 6 });
    expect(template!.permissions.editor).toEqual(["read", "edit", "comment"]);
    expect(template!.settings).toMatchObject({ idle_timeout_minutes: 90 });
  });

  it("the leader deletes the template after confirming", async () => {
    const card = leader.getByRole("listitem", { name: "Piano lesson" });
    await card.getByRole("button", { name: "Delete Piano lesson" }).click();
    await card.getByRole("alert").filter({ hasText: "Delete “Piano lesson”? This cannot be undone." }).waitFor();
    await card.getByRole("button", { name: "Keep it" }).click();
    await card.getByRole("alert").waitFor({ state: "detached" });
    await card.getByRole("button", { name: "Delete Piano lesson" }).click();
    await card.getByRole("button", { name: "Delete template" }).click();
    await leader.getByRole("status").filter({ hasText: "The template “Piano lesson” was deleted." }).waitFor();
    await leader.getByText("No templates of your own yet.").waitFor();
    expect((await leaderApi.getTemplates()).templates.some((t) => t.created_by === `lena-${run}`)).toBe(false);
  });

  it("making someone an editor in a Music Lesson says first that its editors may only comment", async () => {
    await leader.goto(`/sessions/${sessionId}`);
    await waitUntilLive(leader);
    const people = leader.getByRole("region", { name: "Participants" });
    await people.getByLabel("Role of Max Member").selectOption("editor");
    const warning = people.getByRole("alert");
    await warning
      .filter({
        hasText:
          "In this session's template (Music Lesson), editors may comment, but not edit chords and lyrics, " +
          "invite others or record. Make Max Member editor anyway?",
      })
      .waitFor();
    // Nothing has changed yet, and the menu still shows the role Max has.
    expect(await maxRole()).toBe("commenter");
    expect(await people.getByLabel("Role of Max Member").inputValue()).toBe("commenter");
    await screenshot(leader, "role-confirm");

    await people.getByRole("button", { name: "Keep as commenter" }).click();
    await warning.waitFor({ state: "detached" });
    expect(await maxRole()).toBe("commenter");

    // A role the template gives its usual rights needs no confirmation.
    await people.getByLabel("Role of Max Member").selectOption("viewer");
    await people.getByRole("status").filter({ hasText: "Max Member is now viewer." }).waitFor();

    await people.getByLabel("Role of Max Member").selectOption("editor");
    await people.getByRole("button", { name: "Make editor" }).click();
    await people.getByRole("status").filter({ hasText: "Max Member is now editor." }).waitFor();
    expect(await maxRole()).toBe("editor");
  });
});
