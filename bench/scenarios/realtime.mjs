/** Rehearsal (open loop, paced typists with viewers) and saturation (closed-loop editors) on one room. */
import { inBatches } from "../lib/api.mjs";
import { Recorder } from "../lib/clients.mjs";
import { CpuMeter, round, sleep } from "../lib/proc.mjs";
import { ALPHABET } from "../lib/song.mjs";
import { quantiles, summarize } from "../lib/stats.mjs";

/** Opens `count` clients of a room, a few at a time; returns them with their join times. */
export async function connectAll(room, count, concurrency = 8) {
  const clients = Array.from({ length: count }, (_, index) => room.client(index));
  const joins = await inBatches(clients, concurrency, (client) => client.connect());
  return { clients, joins };
}

/** Waits until every editor has its ops acked and every client has every op; false when it times out. */
export async function drain(clients, editors, timeoutMs = 15_000) {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (editors.every((client) => client.idle)) {
      const revs = clients.map((client) => client.rev ?? client.length);
      if (revs.every((rev) => rev === revs[0])) return true;
    }
    await sleep(50);
  }
  return false;
}

/** Whether the room converged: same text everywhere and, where the server keeps it, the same as a fresh join. */
async function convergence(target, room, clients, recorder) {
  if (target.key.startsWith("relay")) {
    const revs = new Set(clients.map((client) => client.rev));
    const ok = revs.size === 1 && recorder.errors === 0;
    return {
      converged: ok,
      note: `relay (no OT): every client at revision ${[...revs].join("/")}, every revision delivered once and in order${ok ? "" : " — NOT"}`,
    };
  }
  const texts = new Set(clients.map((client) => client.text));
  const fresh = room.client(clients.length, new Recorder());
  await fresh.connect();
  const freshText = fresh.text;
  fresh.close();
  const ok = texts.size === 1 && texts.has(freshText);
  return {
    converged: ok,
    note: ok
      ? `all ${clients.length} clients and a fresh join hold the same ${freshText.length}-character text`
      : `${texts.size} distinct texts among clients; fresh join ${texts.has(freshText) ? "matches one" : "matches none"}`,
  };
}

function exponential(meanMs) {
  return -Math.log(1 - Math.random()) * meanMs;
}

/** Each typist inserts characters at random positions, `rate` per second on average (Poisson), for `durationS`. */
export async function typeFor(typists, rate, durationS) {
  const end = performance.now() + durationS * 1000;
  const timers = new Set();
  for (const client of typists) {
    const schedule = () => {
      const timer = setTimeout(
        () => {
          timers.delete(timer);
          if (performance.now() >= end) return;
          client.typeRandom(ALPHABET);
          schedule();
        },
        exponential(1000 / rate),
      );
      timers.add(timer);
    };
    schedule();
  }
  await sleep(durationS * 1000);
  for (const timer of timers) clearTimeout(timer);
}

/**
 * Rehearsal: one room per system, `editors` typists at `rate` ops/s each (Poisson), `viewers` watching, for
 * `durationS` seconds of typing per system. The typing is split into `rounds` rounds that rotate between the
 * systems (A, B, C, A, B, C, …), so a burst of other work on the machine lands on all of them alike; a room waiting
 * for its next round gets one keep-alive message every few seconds so its object stays in memory, as it would with
 * a band typing.
 */
export async function rehearsals(targets, { editors = 8, viewers = 24, rate = 5, durationS = 30, rounds = 3 } = {}) {
  const runs = [];
  for (const target of targets) {
    const recorder = new Recorder();
    const room = await target.room({ editors, viewers, recorder });
    const { clients, joins } = await connectAll(room, editors + viewers);
    runs.push({ target, recorder, room, clients, joins, typists: clients.slice(0, editors), cpu: null, drained: true });
  }
  await sleep(500);
  // What arrived while joining (a Yjs client's initial sync) is not an op of this run.
  for (const run of runs) run.recorder.arrivals.length = 0;
  const keepAlive = setInterval(() => {
    for (const run of runs) if (!run.typing) run.clients[0].keepAlive();
  }, 4000);
  try {
    for (let turn = 0; turn < rounds; turn++) {
      for (const run of runs) {
        run.typing = true;
        const meter = new CpuMeter(run.target.pids());
        await typeFor(run.typists, rate, durationS / rounds);
        run.drained = (await drain(run.clients, run.typists)) && run.drained;
        const cpu = meter.stop();
        run.typing = false;
        run.cpu = run.cpu
          ? {
              cpu_s: run.cpu.cpu_s.map((value, index) => value + cpu.cpu_s[index]),
              driver_cpu_s: run.cpu.driver_cpu_s + cpu.driver_cpu_s,
            }
          : cpu;
      }
    }
  } finally {
    clearInterval(keepAlive);
  }
  const results = {};
  for (const run of runs) {
    const { target, recorder, room, clients, joins, cpu } = run;
    if (!run.drained) recorder.error("did not drain within 15 s");
    const check = await convergence(target, room, clients, recorder);
    for (const client of clients) client.close();
    const { latencies, unmatched } = recorder.broadcastLatencies();
    const ops = recorder.acks.length;
    const serverCpu = cpu.cpu_s.reduce((a, b) => a + b, 0);
    results[target.key] = {
      editors,
      viewers,
      rate_per_editor: rate,
      duration_s: durationS,
      rounds,
      ops,
      ops_per_s: round(ops / durationS, 1),
      deliveries: latencies.length,
      expected_deliveries: ops * (clients.length - 1),
      unmatched_deliveries: unmatched,
      join: summarize(joins),
      ack: summarize(recorder.acks),
      typed_to_ack: summarize(recorder.typedToAck),
      broadcast: summarize(latencies),
      errors: recorder.errors + unmatched,
      error_samples: recorder.errorSamples,
      ...check,
      cpu_s: cpu.cpu_s.map((value) => round(value, 3)),
      driver_cpu_s: round(cpu.driver_cpu_s, 3),
      server_cpu_ms_per_op: ops ? round((serverCpu * 1000) / ops, 3) : null,
      quantiles: { ack: quantiles(recorder.acks), broadcast: quantiles(latencies) },
    };
  }
  return results;
}

/** Closed-loop editors on one room: each sends its next op as soon as the previous one is acked. */
export async function closedLoopStep(target, editors, { warmupS, measureS }) {
  const recorder = new Recorder();
  const room = await target.room({ editors, recorder });
  const { clients } = await connectAll(room, editors);
  await sleep(300);
  let running = true;
  for (const client of clients) {
    client.onIdle = () => {
      if (running) client.typeRandom(ALPHABET);
    };
  }
  const started = performance.now();
  for (const client of clients) client.typeRandom(ALPHABET);
  await sleep(warmupS * 1000);
  const from = performance.now();
  const meter = new CpuMeter(target.pids());
  await sleep(measureS * 1000);
  const to = performance.now();
  const cpu = meter.stop();
  running = false;
  await drain(clients, clients, 10_000);
  for (const client of clients) client.close();
  const window = [];
  for (let i = 0; i < recorder.ackTimes.length; i++) {
    const at = recorder.ackTimes[i];
    if (at >= from && at < to) window.push(recorder.acks[i]);
  }
  const seconds = (to - from) / 1000;
  const latency = summarize(window);
  return {
    editors,
    ops_per_s: round(window.length / seconds, 1),
    ack: latency,
    errors: recorder.errors,
    error_samples: recorder.errorSamples,
    warmup_s: warmupS,
    measured_s: round(seconds, 2),
    total_s: round((to - started) / 1000, 2),
    cpu_s: cpu.cpu_s,
    driver_cpu_s: cpu.driver_cpu_s,
    server_cpu_ms_per_op: window.length
      ? round((cpu.cpu_s.reduce((a, b) => a + b, 0) * 1000) / window.length, 3)
      : null,
  };
}

/** The sustained rate of a saturation curve: the best step whose p99 ack stays under the limit, without errors. */
export function summarizeSteps(steps, p99LimitMs = 100) {
  const eligible = steps.filter((step) => step.ack.p99 !== null && step.ack.p99 < p99LimitMs && step.errors === 0);
  const best = eligible.reduce((top, step) => (top && top.ops_per_s >= step.ops_per_s ? top : step), null);
  return {
    p99_limit_ms: p99LimitMs,
    sustained_ops_per_s: best ? best.ops_per_s : 0,
    at_editors: best ? best.editors : null,
    peak_ops_per_s: Math.max(...steps.map((step) => step.ops_per_s)),
    steps,
  };
}

/** Grows the number of closed-loop editors (e.g. 1, 2, 4, 8, 16) on a fresh room per step. */
export async function saturation(
  target,
  { steps = [1, 2, 4, 8, 16], warmupS = 1, measureS = 5, p99LimitMs = 100 } = {},
) {
  const results = [];
  for (const editors of steps) {
    results.push(await closedLoopStep(target, editors, { warmupS, measureS }));
    await sleep(300);
  }
  return summarizeSteps(results, p99LimitMs);
}
