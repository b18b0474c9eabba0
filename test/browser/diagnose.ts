/**
 * When a browser test fails, prints what each open page showed: its address, its text, the errors it logged or
 * threw, and the requests that failed. A timeout says only what did not appear; this says what was there instead.
 */
import { readFileSync } from "node:fs";
import type { Page } from "playwright-core";
import { beforeEach, inject } from "vitest";
import { launched } from "./browser";

const TEXT_LIMIT = 1_500;
const SERVER_LINES = 40;
const ANSWER_WAIT_MS = 200;

function later<const T>(ms: number, value: T): Promise<T> {
  return new Promise((resolve) => setTimeout(() => resolve(value), ms));
}

async function describePage(page: Page): Promise<string> {
  const lines = [`page ${page.url()}`];
  const text = await page
    .locator("body")
    // biome-ignore lint/performance/useDomNodeTextContent: what the page shows, without its hidden parts
    .innerText({ timeout: 2_000 })
    .catch((error: Error) => `(no text: ${error.message.split("\n")[0]})`);
  lines.push(`  text: ${text.replace(/\s+/g, " ").slice(0, TEXT_LIMIT)}`);
  for (const error of await page.pageErrors().catch(() => [])) lines.push(`  threw: ${error.message}`);
  for (const message of await page.consoleMessages().catch(() => [])) {
    if (message.type() === "error" || message.type() === "warning") {
      lines.push(`  console.${message.type()}: ${message.text()}`);
    }
  }
  for (const request of await page.requests().catch(() => [])) {
    // response() waits for an answer still on its way: give it a moment, then call the request unanswered.
    const response = await Promise.race([request.response().catch(() => null), later(ANSWER_WAIT_MS, "unanswered")]);
    const failure = request.failure();
    const what = `${request.method()} ${request.url()}`;
    if (failure) lines.push(`  request failed: ${what}: ${failure.errorText}`);
    else if (response === "unanswered") lines.push(`  request unanswered: ${what}`);
    else if (response !== null && response.status() >= 400)
      lines.push(`  request answered ${response.status()}: ${what}`);
  }
  return lines.join("\n");
}

function readServerLog(): string {
  try {
    return readFileSync(inject("serverLog"), "utf8");
  } catch {
    return "(no server log)";
  }
}

beforeEach(({ onTestFailed }) => {
  onTestFailed(async ({ task }) => {
    const pages = launched.flatMap((browser) => browser.contexts().flatMap((context) => context.pages()));
    const described = await Promise.all(pages.map((page) => describePage(page).catch(() => `page ${page.url()}`)));
    const serverTail = readServerLog().split("\n").slice(-SERVER_LINES).join("\n");
    console.log(
      `--- the open pages when "${task.name}" failed ---\n${described.join("\n")}\n` +
        `--- the end of wrangler dev's output ---\n${serverTail}`,
    );
  });
});
