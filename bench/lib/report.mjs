/**
 * From the results of a run: the memory per live session, each target's verdict (figure, goal, met or not) and the
 * plain-text table that bench/run.mjs prints. docs/benchmarks.md is written by docs.mjs, which shares STORAGE_SLACK.
 */
import { round } from "./proc.mjs";
import { fmt, ratio, thousands } from "./stats.mjs";

/** How much the storage of one session may differ between the first and the last mark and still count as flat. */
export const STORAGE_SLACK = 1.1;

export const kib = (bytes) => fmt(bytes / 1024, 0);

/** Memory per live session, from the join storms and the idle worker. */
export function memoryOf(results) {
  const storm = results.scenarios.join_storm ?? {};
  const idle = results.idle_rss ?? {};
  const per = (run, base) =>
    run && Number.isFinite(run.rss_connected_mib) && Number.isFinite(base)
      ? round((run.rss_connected_mib - base) / run.rooms, 3)
      : null;
  return {
    workerd_idle_mib: idle.workerd_mib ?? null,
    ours_connected_mib: storm.ours?.rss_connected_mib ?? null,
    ours_per_live_session_mib: per(storm.ours, idle.workerd_mib),
    ours_sockets_per_session_mib: per(storm.ours, storm.ours?.rss_before_mib),
    relay_per_live_room_mib: per(storm.relay, storm.relay?.rss_before_mib),
    hocuspocus_idle_mib: idle.hocuspocus_mib ?? null,
    hocuspocus_per_live_document_mib: per(storm.hocuspocus, storm.hocuspocus?.rss_before_mib),
  };
}

/** Each target of the issue: the figure, the goal and whether it is met. */
export function verdicts(results) {
  const s = results.scenarios;
  const rows = [];
  const add = (name, value, goal, met, detail = "") => rows.push({ name, value, goal, met, detail });

  const sat = s.saturation;
  if (sat?.ours && sat?.relay && sat?.hocuspocus) {
    const vsRelay = ratio(sat.ours.sustained_ops_per_s, sat.relay.sustained_ops_per_s);
    const vsHp = ratio(sat.ours.sustained_ops_per_s, sat.hocuspocus.sustained_ops_per_s);
    add(
      "Saturation: sustained ops/s (p99 ack < 100 ms)",
      `${fmt(sat.ours.sustained_ops_per_s, 0)} ops/s = ${fmt(vsRelay, 2)} × relay (${fmt(sat.relay.sustained_ops_per_s, 0)}), ${fmt(vsHp, 2)} × Hocuspocus (${fmt(sat.hocuspocus.sustained_ops_per_s, 0)})`,
      "≥ 0.70 × relay and > Hocuspocus",
      vsRelay !== null && vsRelay >= 0.7 && vsHp !== null && vsHp > 1,
      sat.relay_store ? `relay + SQLite insert: ${fmt(sat.relay_store.sustained_ops_per_s, 0)} ops/s` : "",
    );
  }
  const reh = s.rehearsal;
  if (reh?.ours && reh?.relay && reh?.hocuspocus) {
    const p99 = reh.ours.broadcast.p99;
    const vsRelay = ratio(p99, reh.relay.broadcast.p99);
    const vsHp = ratio(p99, reh.hocuspocus.broadcast.p99);
    add(
      "Rehearsal: p99 broadcast latency",
      `${fmt(p99, 2)} ms = ${fmt(vsRelay, 2)} × relay (${fmt(reh.relay.broadcast.p99, 2)}), ${fmt(vsHp, 2)} × Hocuspocus (${fmt(reh.hocuspocus.broadcast.p99, 2)})`,
      "≤ 1.5 × relay and ≤ Hocuspocus",
      vsRelay !== null && vsRelay <= 1.5 && vsHp !== null && vsHp <= 1,
    );
    add(
      "Rehearsal: errors and convergence",
      `${reh.ours.errors} errors, ${reh.ours.converged ? "converged" : "NOT converged"}`,
      "0 errors, converged",
      reh.ours.errors === 0 && reh.ours.converged === true,
      reh.ours.note,
    );
  }
  const storm = s.join_storm;
  const stormRun = storm?.ours_ticket ?? storm?.ours;
  if (stormRun) {
    add(
      `Join storm: ${stormRun.clients} clients welcomed (${stormRun.path})`,
      `${stormRun.welcomed}/${stormRun.clients} in ${fmt(stormRun.all_welcomed_ms, 0)} ms, join p99 ${fmt(stormRun.join.p99, 0)} ms`,
      "all within 5 s",
      stormRun.welcomed === stormRun.clients && stormRun.all_welcomed_ms !== null && stormRun.all_welcomed_ms <= 5000,
    );
  }
  const rest = s.rest?.routes;
  if (rest?.session_view && rest?.health) {
    const share = ratio(rest.session_view.requests_per_s, rest.health.requests_per_s);
    add(
      "REST: session view vs trivial route",
      `${fmt(rest.session_view.requests_per_s, 0)} req/s = ${fmt(share, 2)} × health (${fmt(rest.health.requests_per_s, 0)}); my-sessions ${fmt(rest.my_sessions?.requests_per_s, 0)} req/s`,
      "≥ 0.5 × the trivial route",
      share !== null && share >= 0.5,
    );
  }
  const cost = s.cost?.editing;
  if (cost) {
    add(
      "Cost: D1 writes while editing",
      `${cost.totals.d1_batches} write batches (${cost.totals.d1_queries} queries, ${cost.totals.d1_rows_written} rows) for ${cost.ops} ops in ${fmt(cost.duration_s, 0)} s`,
      `no write per op; ≤ 1 per ${cost.auto_save_interval_s} s auto-save (≤ ${cost.d1_write_batches_allowed})`,
      cost.totals.d1_batches <= cost.d1_write_batches_allowed,
    );
    add(
      "Cost: R2 writes per 1,000 recorded ops",
      `${fmt(cost.per_1000_ops.r2_class_a, 2)} (${cost.recording.available ? "recording on" : "recording not available"})`,
      "≤ 5",
      cost.per_1000_ops.r2_class_a <= 5,
      cost.recording.note,
    );
  }
  const idle = s.cost?.idle;
  if (idle) {
    add(
      "Idle connected session hibernates",
      `${idle.statements} statements, ${idle.alarms_run} alarms, ${fmt(idle.workerd_cpu_s, 2)} s workerd CPU in ${idle.window_s} s; ${idle.hibernated ? "hibernated" : "did not hibernate"}`,
      "no timers, no work, hibernates",
      idle.hibernated,
      idle.note,
    );
  }
  const storage = s.storage;
  if (storage?.marks?.length >= 2) {
    const first = storage.marks[0];
    const last = storage.marks[storage.marks.length - 1];
    // Bounded: while the session takes ops × (last ÷ first) more, what it keeps stays where it was.
    const flat = (from, to) => Number.isFinite(from) && Number.isFinite(to) && to <= from * STORAGE_SLACK;
    const peak = storage.before_checkpoint;
    add(
      "Storage per session: rows and bytes as the session grows",
      `${thousands(first.ops)} → ${thousands(last.ops)} ops: ${thousands(first.ops_rows)} → ${thousands(last.ops_rows)} op rows, ${thousands(first.total_rows)} → ${thousands(last.total_rows)} rows in all, ${kib(first.database_bytes)} → ${kib(last.database_bytes)} KiB (unbounded log: ${thousands(first.baseline.ops_rows)} → ${thousands(last.baseline.ops_rows)} op rows)`,
      `bounded: rows and database bytes at most ${STORAGE_SLACK}× the first mark's at the last, 0 errors`,
      flat(first.total_rows, last.total_rows) &&
        flat(first.database_bytes, last.database_bytes) &&
        storage.errors === 0,
      [
        peak
          ? `just before the next checkpoint (${thousands(peak.ops)} ops): ${thousands(peak.ops_rows)} op rows, ${kib(peak.database_bytes)} KiB`
          : "",
        Object.keys(storage.grew ?? {}).length
          ? `grew between the marks: ${Object.entries(storage.grew)
              .map(([table, [from, to]]) => `${table} ${from} → ${to}`)
              .join(", ")}`
          : "",
      ]
        .filter(Boolean)
        .join("; "),
    );
  }
  const memory = memoryOf(results);
  if (memory.ours_per_live_session_mib !== null) {
    add(
      "Memory: workerd RSS per live session (4 clients)",
      `${fmt(memory.ours_per_live_session_mib, 2)} MiB (idle worker ${fmt(memory.workerd_idle_mib, 0)} MiB)`,
      "reported",
      null,
    );
  }
  return rows;
}

export function table(results, rows) {
  const lines = [];
  const s = results.scenarios;
  const pad = (text, width) => String(text).padEnd(width);
  lines.push("");
  lines.push(
    `ChordMe Sessions benchmark${results.quick ? " (--quick)" : ""}: ${results.machine.nproc} cores, node ${results.machine.node}, ${results.machine.workerd}`,
  );
  if (s.rehearsal) {
    lines.push("");
    lines.push(
      "Rehearsal            ack p50/p95/p99 ms      broadcast p50/p95/p99 ms   ops   errors  converged  CPU ms/op",
    );
    for (const [key, run] of Object.entries(s.rehearsal)) {
      if (!run?.ack) continue;
      lines.push(
        `${pad(key, 20)} ${pad(`${fmt(run.ack.p50, 2)}/${fmt(run.ack.p95, 2)}/${fmt(run.ack.p99, 2)}`, 23)} ${pad(`${fmt(run.broadcast.p50, 2)}/${fmt(run.broadcast.p95, 2)}/${fmt(run.broadcast.p99, 2)}`, 26)} ${pad(run.ops, 5)} ${pad(run.errors, 7)} ${pad(run.converged ? "yes" : "NO", 10)} ${fmt(run.server_cpu_ms_per_op, 3)}`,
      );
    }
  }
  if (s.saturation) {
    lines.push("");
    lines.push(
      "Saturation           ops/s by editors (p99 ack ms)                                   sustained  CPU ms/op",
    );
    for (const [key, run] of Object.entries(s.saturation)) {
      if (!run?.steps) continue;
      const steps = run.steps
        .map((step) => `${step.editors}:${fmt(step.ops_per_s, 0)}(${fmt(step.ack.p99, 0)})`)
        .join(" ");
      const cpu = run.steps.map((step) => fmt(step.server_cpu_ms_per_op, 2)).join("/");
      lines.push(`${pad(key, 20)} ${pad(steps, 63)} ${pad(fmt(run.sustained_ops_per_s, 0), 10)} ${cpu}`);
    }
  }
  if (s.join_storm) {
    lines.push("");
    lines.push("Join storm           clients  welcomed  all in ms  join p50/p99 ms   RSS before→connected MiB");
    for (const [key, run] of Object.entries(s.join_storm)) {
      if (!run?.join) continue;
      lines.push(
        `${pad(key, 20)} ${pad(run.clients, 8)} ${pad(run.welcomed, 9)} ${pad(fmt(run.all_welcomed_ms, 0), 10)} ${pad(`${fmt(run.join.p50, 0)}/${fmt(run.join.p99, 0)}`, 17)} ${fmt(run.rss_before_mib, 0)}→${fmt(run.rss_connected_mib, 0)}`,
      );
    }
  }
  if (s.rest?.routes) {
    lines.push("");
    lines.push(`REST (${s.rest.concurrency} connections)  req/s     p50 ms  p99 ms  errors  CPU ms/req`);
    for (const [key, run] of Object.entries(s.rest.routes)) {
      lines.push(
        `${pad(key, 20)} ${pad(fmt(run.requests_per_s, 0), 9)} ${pad(fmt(run.latency.p50, 2), 7)} ${pad(fmt(run.latency.p99, 2), 7)} ${pad(run.errors, 7)} ${fmt(run.server_cpu_ms_per_request, 3)}`,
      );
    }
  }
  const cost = s.cost?.editing;
  if (cost) {
    lines.push("");
    lines.push("Cost                 DO rows written  DO statements  D1 batches  D1 rows  R2 class A  USD");
    for (const [label, per] of [
      ["per 1,000 ops", cost.per_1000_ops],
      ["per hour", cost.per_hour],
    ]) {
      lines.push(
        `${pad(label, 20)} ${pad(fmt(per.do_rows_written, 1), 16)} ${pad(fmt(per.do_sql_statements, 0), 14)} ${pad(fmt(per.d1_batches, 2), 11)} ${pad(fmt(per.d1_rows_written, 1), 8)} ${pad(fmt(per.r2_class_a, 2), 11)} ${per.usd}`,
      );
    }
  }
  const storage = s.storage;
  if (storage?.marks) {
    lines.push("");
    lines.push(
      "Storage per session  ops/s  op rows  rows   database KiB  op JSON bytes  errors  unbounded log (computed): op rows / op JSON bytes",
    );
    const readings = [...storage.marks, ...(storage.before_checkpoint ? [storage.before_checkpoint] : [])];
    for (const mark of readings) {
      const stretch = mark.stretch;
      lines.push(
        `${pad(`${thousands(mark.ops)} ops${stretch ? "" : "*"}`, 20)} ${pad(stretch ? fmt(stretch.ops_per_s, 0) : "", 6)} ${pad(thousands(mark.ops_rows), 8)} ${pad(thousands(mark.total_rows), 6)} ${pad(kib(mark.database_bytes), 13)} ${pad(thousands(mark.op_log_bytes), 14)} ${pad(stretch ? stretch.errors : "", 7)} ${mark.baseline ? `${thousands(mark.baseline.ops_rows)} / ${thousands(mark.baseline.op_log_bytes)}` : ""}`,
      );
    }
    const last = storage.marks[storage.marks.length - 1];
    if (last) {
      const kept = Object.entries(last.tables)
        .map(([table, rows]) => `${table} ${rows ?? "?"}`)
        .join(", ");
      lines.push(`rows per table at ${thousands(last.ops)} ops: ${kept}`);
    }
    if (storage.before_checkpoint) lines.push("* just before the next checkpoint, when the log holds the most");
  }
  lines.push("");
  lines.push("Targets");
  for (const row of rows) {
    const mark = row.met === null ? "  ·  " : row.met ? " met " : " MISS";
    lines.push(`[${mark}] ${row.name}: ${row.value} (goal: ${row.goal})`);
  }
  return lines.join("\n");
}
