#!/usr/bin/env node
/**
 * node bench/profile.mjs [--editors=2] [--seconds=5] [--top=40] [--target=ours]
 *
 * A CPU profile of the session object while closed-loop editors type into one room: starts workerd as the
 * benchmark does, attaches to the inspector of the service's isolate, and prints the functions that took the most
 * self time. Writes the raw profile to bench/results/profile.cpuprofile (open it in Chrome DevTools) and the bundle
 * its line numbers refer to to bench/results/profile-bundle.js. PROFILE_DEBUG=1 also prints the object's console.
 * Now and then workerd's inspector does not answer ("Profiler.enable: no answer"); running it again does.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadDeps } from "./lib/clients.mjs";
import { cmdlineOf, listeningPorts } from "./lib/proc.mjs";
import { ensureHocuspocus, ROOT, startWorkerd } from "./lib/services.mjs";
import { makeTargets } from "./lib/targets.mjs";
import { closedLoopStep } from "./scenarios/realtime.mjs";

const arg = (name, fallback) =>
  process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
const editors = Number(arg("editors", "2"));
const seconds = Number(arg("seconds", "5"));
const targetKey = arg("target", "ours");

ensureHocuspocus();
const { WebSocket } = await loadDeps();
const workerd = await startWorkerd({ log: (m) => console.error(m) });
try {
  // The inspector listens on an ephemeral port of the user workerd: the one that answers /json/list.
  let inspector = null;
  let list = null;
  for (const port of listeningPorts(workerd.pid)) {
    try {
      const response = await fetch(`http://127.0.0.1:${port}/json/list`, { signal: AbortSignal.timeout(1000) });
      const body = await response.json();
      if (Array.isArray(body)) {
        inspector = `127.0.0.1:${port}`;
        list = body;
        break;
      }
    } catch {
      // not the inspector
    }
  }
  if (!inspector) throw new Error(`no inspector among workerd's ports: ${cmdlineOf(workerd.pid).join(" ")}`);
  const targets = makeTargets({ workerd, hocuspocus: null });
  const target = targets[targetKey];
  const worker = target.worker;
  const entry = list.find((t) => t.title?.includes(worker) || t.id?.includes(worker)) ?? list[0];
  console.error(`profiling ${entry.title ?? entry.id}`);
  const socket = new WebSocket(entry.webSocketDebuggerUrl ?? `ws://${inspector}/${entry.id}`);
  await new Promise((resolve, reject) => {
    socket.once("open", resolve);
    socket.once("error", reject);
  });
  let next = 1;
  const pending = new Map();
  socket.on("message", (data) => {
    const message = JSON.parse(String(data));
    if (message.method === "Runtime.consoleAPICalled" && process.env.PROFILE_DEBUG) {
      console.error("console:", message.params.args.map((a) => a.value ?? a.description).join(" "));
    }
    if (message.id && pending.has(message.id)) {
      pending.get(message.id)(message);
      pending.delete(message.id);
    }
  });
  const call = (method, params = {}) =>
    new Promise((resolve, reject) => {
      const id = next++;
      const timer = setTimeout(() => reject(new Error(`${method}: no answer`)), 30_000);
      pending.set(id, (message) => {
        clearTimeout(timer);
        resolve(message);
      });
      socket.send(JSON.stringify({ id, method, params }));
    });
  // workerd answers the inspector from the isolate's thread, so the calls are made while a warm-up runs there.
  let answered = false;
  const ready = Promise.all([
    call("Runtime.enable"),
    call("Profiler.enable"),
    call("Profiler.setSamplingInterval", { interval: 100 }),
  ]).then(() => {
    answered = true;
  });
  await closedLoopStep(target, editors, { warmupS: 0.5, measureS: 1 });
  while (!answered) {
    await fetch(`http://127.0.0.1:${workerd.port}/api/v1/health`, { headers: { "MF-Route-Override": worker } })
      .then((response) => response.arrayBuffer())
      .catch(() => {});
    await Promise.race([ready, new Promise((resolve) => setTimeout(resolve, 50))]);
  }
  await call("Profiler.start");
  const step = await closedLoopStep(target, editors, { warmupS: 0.5, measureS: seconds });
  const { result } = await call("Profiler.stop");
  console.log(
    `${targetKey}, ${editors} editors: ${step.ops_per_s} ops/s, p99 ${step.ack.p99} ms, CPU ${step.server_cpu_ms_per_op} ms/op`,
  );
  const profile = result.profile;
  writeFileSync(join(ROOT, "bench/results/profile.cpuprofile"), JSON.stringify(profile));
  const self = new Map();
  const total = profile.samples.length;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const counts = new Map();
  for (const id of profile.samples) counts.set(id, (counts.get(id) ?? 0) + 1);
  for (const [id, count] of counts) {
    const { callFrame } = byId.get(id);
    const key = `${callFrame.functionName || "(anonymous)"} ${callFrame.url.split("/").slice(-2).join("/")}:${callFrame.lineNumber + 1}`;
    self.set(key, (self.get(key) ?? 0) + count);
  }
  const top = [...self].sort((a, b) => b[1] - a[1]).slice(0, Number(arg("top", "40")));
  for (const [key, count] of top) console.log(`${((count / total) * 100).toFixed(1).padStart(5)}%  ${key}`);
  // The bundle the profile's line numbers refer to, for reading them.
  const script = profile.nodes.find((n) => n.callFrame.url.endsWith("index.js"))?.callFrame.scriptId;
  if (script) {
    await call("Debugger.enable");
    const source = await call("Debugger.getScriptSource", { scriptId: script });
    if (source.result?.scriptSource) {
      writeFileSync(join(ROOT, "bench/results/profile-bundle.js"), source.result.scriptSource);
      console.log("bundle: bench/results/profile-bundle.js");
    }
  }
  socket.close();
} finally {
  await workerd.stop();
}
process.exit(0);
