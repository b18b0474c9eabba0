import { defineConfig } from "vitest/config";

// The browser suite: Node, not workerd. Its global setup builds the web app and starts `wrangler dev` the way
// `npm start` does (state in a temporary directory); the tests drive Debian's Chromium with playwright-core.
export default defineConfig({
  test: {
    include: ["test/browser/**/*.test.ts"],
    environment: "node",
    globalSetup: ["./test/browser/global-setup.ts"],
    fileParallelism: false,
    testTimeout: 90_000,
    hookTimeout: 120_000,
  },
});
