// npm start: local secrets, local D1 migrations, the web app, then wrangler dev on PORT (default 8787).
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { ensureDevVars } from "./dev-vars.mjs";

const port = process.env.PORT ?? "8787";
const env = {
  ...process.env,
  WRANGLER_SEND_METRICS: "false",
  CLOUDFLARE_CF_FETCH_ENABLED: "false",
  WRANGLER_LOG: process.env.WRANGLER_LOG ?? "info",
};

function run(command, args) {
  const result = spawnSync(command, args, { stdio: "inherit", env });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

if (ensureDevVars()) console.log("Created .dev.vars with a random JWT_SECRET and DEV_AUTH=true");
run("npx", ["wrangler", "d1", "migrations", "apply", "DB", "--local"]);
if (existsSync(new URL("../web/index.html", import.meta.url)))
  run("npx", ["vite", "build", "web", "--logLevel", "warn"]);
run("npx", ["wrangler", "dev", "--port", port, "--ip", "127.0.0.1", "--show-interactive-dev-session=false"]);
