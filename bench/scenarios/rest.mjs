/**
 * REST under load: a closed loop of `concurrency` keep-alive connections, each sending its next GET when the
 * previous answer is read, against the session view, my-sessions and the trivial health route of the same Worker.
 */
import { Agent, request } from "node:http";
import { CpuMeter, round, sleep } from "../lib/proc.mjs";
import { summarize } from "../lib/stats.mjs";

function get(agent, port, path, headers) {
  return new Promise((resolve) => {
    const started = performance.now();
    const req = request({ host: "127.0.0.1", port, path, method: "GET", agent, headers }, (response) => {
      response.on("data", () => {});
      response.on("end", () => resolve({ status: response.statusCode, ms: performance.now() - started }));
      response.on("error", () => resolve({ status: 0, ms: performance.now() - started }));
    });
    req.on("error", () => resolve({ status: 0, ms: performance.now() - started }));
    req.end();
  });
}

async function load({ port, path, headers, concurrency, seconds, pids }) {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const warmEnd = performance.now() + 500;
  const latencies = [];
  let errors = 0;
  let measuring = false;
  let end = Number.POSITIVE_INFINITY;
  const loop = async () => {
    while (performance.now() < end) {
      const { status, ms } = await get(agent, port, path, headers);
      if (!measuring) continue;
      if (status === 200) latencies.push(ms);
      else errors += 1;
    }
  };
  const loops = Array.from({ length: concurrency }, loop);
  await sleep(Math.max(0, warmEnd - performance.now()));
  measuring = true;
  const meter = new CpuMeter(pids);
  const from = performance.now();
  end = from + seconds * 1000;
  await Promise.all(loops);
  const cpu = meter.stop();
  agent.destroy();
  const elapsed = (performance.now() - from) / 1000;
  return {
    path: path.replace(/[0-9a-f]{8}-[0-9a-f-]{27}/, ":id"),
    requests: latencies.length,
    requests_per_s: round(latencies.length / elapsed, 1),
    latency: summarize(latencies),
    errors,
    cpu_s: cpu.cpu_s,
    driver_cpu_s: cpu.driver_cpu_s,
    server_cpu_ms_per_request: latencies.length
      ? round((cpu.cpu_s.reduce((a, b) => a + b, 0) * 1000) / latencies.length, 3)
      : null,
  };
}

/** `target` is the service; the reader owns `sessions` sessions, so my-sessions lists that many. */
export async function rest(target, { concurrency = 16, seconds = 8, sessions = 10 } = {}) {
  const owner = `rest${Date.now().toString(36)}`;
  const rooms = [];
  for (let i = 0; i < sessions; i++) rooms.push(await target.api.session({ owner, name: `REST ${i}` }));
  const token = await target.api.token(owner);
  const port = Number(new URL(target.api.base).port);
  const headers = { Authorization: `Bearer ${token}`, ...target.api.headers };
  const routes = {
    health: "/api/v1/health",
    session_view: `/api/v1/sessions/${rooms[0]}`,
    my_sessions: "/api/v1/sessions/my-sessions",
  };
  const results = {};
  for (const [name, path] of Object.entries(routes)) {
    results[name] = await load({ port, path, headers, concurrency, seconds, pids: target.pids() });
    await sleep(300);
  }
  return { concurrency, seconds, sessions_listed: sessions, routes: results };
}
