/**
 * Starts the service for the browser suite as `npm start` does — `.dev.vars`, local D1 migrations, `vite build web`,
 * `wrangler dev` — on a free port, with every bit of state in a temporary directory (`--persist-to`).
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { appendFileSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { TestProject } from "vitest/node";
import { ensureDevVars } from "../../scripts/dev-vars.mjs";

const root = fileURLToPath(new URL("../..", import.meta.url));
const env = { ...process.env, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false" };
// NODE_ENV is vitest's "test" here: the app is built as `npm start` builds it, for production (React's own build, not
// its development one with its checks and warnings).
const buildEnv = { ...env, NODE_ENV: "production" };
const STARTUP_TIMEOUT_MS = 60_000;

function run(command: string, args: string[], runEnv: NodeJS.ProcessEnv = env): void {
  const result = spawnSync(command, args, { cwd: root, env: runEnv, encoding: "utf8" });
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(" ")} failed (${result.status}):\n${result.stdout}\n${result.stderr}`);
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        address && typeof address === "object" ? resolve(address.port) : reject(new Error("no port")),
      );
    });
  });
}

async function waitForHealth(url: string, server: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (server.exitCode !== null) throw new Error(`wrangler dev exited with ${server.exitCode}:\n${output()}`);
    try {
      const response = await fetch(`${url}/api/v1/health`);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`wrangler dev did not answer within ${STARTUP_TIMEOUT_MS / 1000} s:\n${output()}`);
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  ensureDevVars();
  const state = mkdtempSync(path.join(tmpdir(), "chordme-browser-"));
  run("npx", ["vite", "build", "web", "--logLevel", "warn"], buildEnv);
  run("npx", ["wrangler", "d1", "migrations", "apply", "DB", "--local", "--persist-to", state]);

  const port = await freePort();
  const inspectorPort = await freePort();
  let log = "";
  const server = spawn(
    "npx",
    [
      "wrangler",
      "dev",
      "--port",
      String(port),
      "--ip",
      "127.0.0.1",
      "--inspector-port",
      String(inspectorPort),
      "--persist-to",
      state,
      "--show-interactive-dev-session=false",
      // The suite signs in with development tokens, whatever a local .dev.vars says.
      "--var",
      "DEV_AUTH:true",
    ],
    { cwd: root, env, detached: true, stdio: ["ignore", "pipe", "pipe"] },
  );
  // Also in a file, whose end a failing test prints (diagnose.ts).
  const serverLog = path.join(state, "wrangler.log");
  const keep = (chunk: Buffer) => {
    log = (log + chunk.toString()).slice(-20_000);
    appendFileSync(serverLog, chunk);
  };
  server.stdout?.on("data", keep);
  server.stderr?.on("data", keep);

  const baseUrl = `http://127.0.0.1:${port}`;
  // wrangler runs workerd as a child: signal the whole process group it leads.
  const signal = (name: NodeJS.Signals) => {
    try {
      if (server.pid) process.kill(-server.pid, name);
    } catch {
      // already gone
    }
  };
  const stop = async () => {
    if (server.exitCode === null) {
      const exited = new Promise((resolve) => server.once("exit", resolve));
      signal("SIGTERM");
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5_000))]);
    }
    signal("SIGKILL");
    rmSync(state, { recursive: true, force: true });
  };
  try {
    await waitForHealth(baseUrl, server, () => log);
  } catch (error) {
    await stop();
    throw error;
  }
  project.provide("baseUrl", baseUrl);
  project.provide("serverLog", serverLog);
  return stop;
}
