// npm run types: writes worker-configuration.d.ts, the Env that `wrangler types` derives from wrangler.toml. The
// runtime types come from @cloudflare/workers-types (tsconfig.json), so wrangler generates only the Env.
// npm run types:check (CI, before typecheck): generates the same file next to the committed one and fails when the
// two differ, that is when wrangler.toml changed (or the file was edited by hand) and `npm run types` was not run.
// Offline: no banner (so no update check), no metrics.
import { spawnSync } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const TYPES = "worker-configuration.d.ts";
// In the same directory as the committed file: the import paths wrangler writes are relative to the output file.
const CHECK = ".worker-configuration.check.d.ts";
// `--env-file /dev/null` keeps .dev.vars (where `npm start` puts JWT_SECRET and DEV_AUTH=true) and .env out of the
// generated Env: otherwise each machine would generate a different file. src/env.ts types the secrets itself.
const ARGS = ["--include-runtime=false", "--env-file", "/dev/null"];

process.chdir(fileURLToPath(new URL("..", import.meta.url)));
const env = {
  ...process.env,
  WRANGLER_SEND_METRICS: "false",
  CLOUDFLARE_CF_FETCH_ENABLED: "false",
  CLOUDFLARE_INCLUDE_PROCESS_ENV: "false",
  WRANGLER_HIDE_BANNER: "true",
};

function wranglerTypes(pathArgs, quiet) {
  // The output path goes first: --env-file takes every value that follows it.
  const result = spawnSync("npx", ["wrangler", "types", ...pathArgs, ...ARGS], {
    env,
    encoding: "utf8",
    stdio: quiet ? "pipe" : "inherit",
  });
  if (result.status !== 0) {
    if (quiet) process.stderr.write(`${result.stdout ?? ""}${result.stderr ?? ""}`);
    console.error(`wrangler types failed (exit ${result.status ?? result.signal})`);
    rmSync(CHECK, { force: true });
    process.exit(1);
  }
}

if (!process.argv.includes("--check")) {
  wranglerTypes([], false);
  process.exit(0);
}

try {
  wranglerTypes([CHECK], true);
  // The header records the command that generated the file; the committed one was written without an output path.
  const fresh = readFileSync(CHECK, "utf8").replace(`\`wrangler types ${CHECK} `, "`wrangler types ");
  const committed = readFileSync(TYPES, "utf8");
  if (fresh === committed) {
    console.log(`${TYPES} is up to date with wrangler.toml.`);
  } else {
    writeFileSync(CHECK, fresh);
    console.error(`${TYPES} is stale: it is not what \`npm run types\` generates from wrangler.toml.`);
    spawnSync("diff", ["-u", TYPES, CHECK], { stdio: "inherit" });
    console.error("Run `npm run types` and commit worker-configuration.d.ts.");
    process.exitCode = 1;
  }
} finally {
  rmSync(CHECK, { force: true });
}
