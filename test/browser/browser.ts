/** Debian's Chromium driven by playwright-core, and the few steps every scenario repeats. */
import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { type Browser, type BrowserContext, chromium, errors, type Page } from "playwright-core";
import { createSessionManagementService, type SessionManagementService } from "../../src/client";

const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

const SCREENSHOTS = fileURLToPath(new URL("../../docs/screenshots/", import.meta.url));

/** Every Chromium this test file launched, for describing its pages when a test fails (diagnose.ts). */
export const launched: Browser[] = [];

/** A fresh Chromium: playwright gives every launch its own new user-data directory. */
export async function launchChromium(): Promise<Browser> {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: FLAGS,
  });
  launched.push(browser);
  return browser;
}

/**
 * Saves docs/screenshots/<name>.png of the page scrolled to the top; `height` grows the window for a tall dialog,
 * `fullPage` takes the whole page.
 */
export async function screenshot(
  page: Page,
  name: string,
  options: { height?: number; fullPage?: boolean } = {},
): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const viewport = page.viewportSize();
  if (options.height && viewport) await page.setViewportSize({ width: viewport.width, height: options.height });
  await page.evaluate(() => {
    window.scrollTo(0, 0);
    for (const element of document.querySelectorAll(".modal-backdrop")) element.scrollTop = 0;
  });
  await page.screenshot({ path: `${SCREENSHOTS}${name}.png`, fullPage: options.fullPage });
  if (options.height && viewport) await page.setViewportSize(viewport);
}

/** Signs in with a development token from the sign-in screen. */
export async function signIn(page: Page, name: string, userId: string): Promise<void> {
  await page.getByLabel("Your name").fill(name);
  await page.getByLabel("User id").fill(userId);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await page.getByRole("button", { name: "Sign out" }).waitFor();
}

/**
 * The shared chord sheet's text: the editor's whole document (CodeMirror draws only the lines in view), reached the
 * way EditorView.findFromDOM reaches it.
 */
export function sheetText(page: Page): Promise<string> {
  return page.locator(".chord-sheet .cm-content").evaluate((content) => {
    type Found = { cmTile?: { root?: { view?: { state: { doc: { toString(): string } } } } } };
    const view = (content as Found).cmTile?.root?.view;
    if (!view) throw new Error("The chord sheet has no CodeMirror view");
    return view.state.doc.toString();
  });
}

/** "true" when the chord sheet is read-only, null when it may be edited. */
export function sheetReadOnly(page: Page): Promise<string | null> {
  return page.getByLabel("Chord sheet").getAttribute("aria-readonly");
}

/** The SDK signed in with a development token: for setting a scene over the REST API. */
export async function serviceAs(
  baseUrl: string,
  userId: string,
  name: string,
  options: { admin?: boolean } = {},
): Promise<SessionManagementService> {
  const anonymous = createSessionManagementService({ baseUrl, getToken: () => null });
  const { token } = await anonymous.createDevToken({ sub: userId, name, admin: options.admin });
  return createSessionManagementService({ baseUrl, getToken: () => token });
}

/** How long the web app's file may take before it is asked for again, and how many times it is asked. */
const FILE_DEADLINE_MS = 10_000;
const FILE_ATTEMPTS = 3;

/**
 * Fetches the web app's built files (/assets/) for the browser, asking again when one does not arrive in time.
 * Under load, wrangler dev's local asset service now and then leaves a request unanswered for five minutes (its log
 * shows `GET /assets/….js 200 OK (300371ms)`), and a browser waits for a script for as long as it takes; Cloudflare
 * serves these files in production. Each retry is printed, so a slower server shows in the output.
 */
async function fetchAppFilesWithDeadline(context: BrowserContext, baseUrl: string): Promise<void> {
  const origin = new URL(baseUrl).origin;
  await context.route(
    (url) => url.origin === origin && url.pathname.startsWith("/assets/"),
    async (route) => {
      for (let attempt = 1; attempt <= FILE_ATTEMPTS; attempt++) {
        try {
          const response = await route.fetch({ timeout: FILE_DEADLINE_MS });
          await route.fulfill({ response });
          return;
        } catch (error) {
          if (!(error instanceof errors.TimeoutError)) return; // the page or its context closed meanwhile
          console.log(`${route.request().url()}: no answer within ${FILE_DEADLINE_MS / 1000} s (attempt ${attempt})`);
        }
      }
      await route.abort("timedout").catch(() => {});
    },
  );
}

/** A browser context of its own (its own sign-in), 1280×860, closed with the others in `contexts`. */
export async function newContext(
  browser: Browser,
  baseUrl: string,
  contexts: BrowserContext[],
): Promise<BrowserContext> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, baseURL: baseUrl });
  contexts.push(context);
  await fetchAppFilesWithDeadline(context, baseUrl);
  return context;
}

/** A page in a browser context of its own (its own sign-in), 1280×860, closed with the others in `contexts`. */
export async function newPage(browser: Browser, baseUrl: string, contexts: BrowserContext[]): Promise<Page> {
  return (await newContext(browser, baseUrl, contexts)).newPage();
}

/** Waits for the session page's connection to be up. */
export async function waitUntilLive(page: Page): Promise<void> {
  await page.getByTestId("connection").filter({ hasText: "Connected" }).waitFor();
}
