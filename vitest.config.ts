import { mkdirSync } from "node:fs";
import path from "node:path";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";

export const TEST_JWT_SECRET = "test-secret-for-workerd-tests-only-0123456789";

export default defineConfig(async () => {
  // wrangler.toml serves the web app from web/dist; the tests need no build of it, only the directory to exist.
  mkdirSync(path.join(import.meta.dirname, "web", "dist"), { recursive: true });
  const migrations = await readD1Migrations(path.join(import.meta.dirname, "migrations"));
  return {
    plugins: [
      cloudflareTest({
        main: "./src/index.ts",
        wrangler: { configPath: "./wrangler.toml" },
        miniflare: {
          bindings: {
            TEST_MIGRATIONS: migrations,
            JWT_SECRET: TEST_JWT_SECRET,
            DEV_AUTH: "true",
            // Above what a test sending one op at a time reaches; the flood test sends far more.
            WS_MESSAGES_PER_SECOND: "400",
          },
        },
      }),
    ],
    test: {
      include: ["test/**/*.test.ts"],
      // The browser suite runs in Node against `wrangler dev` (vitest.browser.config.ts).
      exclude: ["test/browser/**", "test/tcp/**", "node_modules/**"],
      setupFiles: ["./test/setup.ts"],
      testTimeout: 30_000,
    },
  };
});
