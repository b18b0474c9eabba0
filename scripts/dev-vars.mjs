// Reads and, on a fresh clone, creates .dev.vars: the local secrets wrangler dev loads.
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";

export const DEV_VARS_PATH = new URL("../.dev.vars", import.meta.url);

export function ensureDevVars() {
  if (existsSync(DEV_VARS_PATH)) return false;
  const secret = randomBytes(32).toString("base64url");
  writeFileSync(DEV_VARS_PATH, `JWT_SECRET=${secret}\nDEV_AUTH=true\n`, { mode: 0o600 });
  return true;
}

export function readDevVars() {
  if (!existsSync(DEV_VARS_PATH)) return {};
  const vars = {};
  for (const line of readFileSync(DEV_VARS_PATH, "utf8").split("\n")) {
    const match = line.match(/^\s*([A-Z0-9_]+)\s*=\s*"?(.*?)"?\s*$/);
    if (match) vars[match[1]] = match[2];
  }
  return vars;
}
