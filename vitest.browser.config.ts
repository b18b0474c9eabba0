import { defineConfig } from "vitest/config";

// The suites that run in Node against the service as `npm start` serves it, not in workerd: its global setup builds
// the web app and starts `wrangler dev` (state in a temporary directory); test/browser drives Debian's Chromium with
// playwright-core, test/tcp talks to it over real HTTP and WebSockets.
export default defineConfig({
  test: {
    include: ["test/browser/**/*.test.ts", "test/tcp/**/*.test.ts"],
    environment: "node",
    globalSetup: ["./test/browser/global-setup.ts"],
    // A failing browser test prints what its pages showed.
    setupFiles: ["./test/browser/diagnose.ts"],
    fileParallelism: false,
    testTimeout: 90_000,
    hookTimeout: 120_000,
    // Waiting for what a page shows: time to spare on a busy machine, where a second is not enough.
    expect: { poll: { timeout: 15_000 } },
  },
});
