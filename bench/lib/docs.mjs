/** docs/benchmarks.md, written from the results of a full run. */
import { PRICES } from "./prices.mjs";
import { round } from "./proc.mjs";
import { STORAGE_SLACK } from "./report.mjs";
import { COUNTED_WS_MESSAGES_PER_SECOND, WS_MESSAGES_PER_SECOND } from "./services.mjs";
import { fmt, ratio, thousands } from "./stats.mjs";

const x = (value) => (value === null || value === undefined ? "–" : `${fmt(value, 2)}×`);
const row = (cells) => `| ${cells.join(" | ")} |`;
const head = (cells) => `${row(cells)}\n${row(cells.map(() => "---"))}`;

function machineSection(r) {
  const m = r.machine;
  const others = m.cpu_busy_s !== undefined ? round(m.cpu_busy_s - m.cpu_busy_benchmark_s, 0) : null;
  return [
    "## The machine",
    "",
    head(["", ""]),
    row(["cores (`nproc`)", `${m.nproc} × ${m.cpu_model}`]),
    row(["memory", `${m.memory_gib} GiB`]),
    row(["Node.js", m.node]),
    row(["workerd (wrangler)", `${m.workerd} (wrangler ${m.wrangler})`]),
    row(["Hocuspocus", `@hocuspocus/server ${m.hocuspocus} on the same Node.js`]),
    row(["load average at start → end", `${m.loadavg_start?.join(", ")} → ${m.loadavg_end?.join(", ")}`]),
    row([
      "CPU used during the run",
      `${fmt(m.cpu_busy_s, 0)} s in all, ${fmt(m.cpu_busy_benchmark_s, 0)} s by the benchmark's own processes${others !== null && others > 5 ? ` — other work on the machine took about ${others} s` : ""}`,
    ]),
    row(["run", `${r.started_at} → ${r.finished_at} (${fmt(r.duration_s, 0)} s)`]),
    "",
  ].join("\n");
}

function targetsSection(rows) {
  return [
    "## Where we stand against the targets",
    "",
    head(["target", "goal", "this run", "met"]),
    ...rows.map((t) =>
      row([
        t.name,
        t.goal,
        t.value + (t.detail ? `<br><small>${t.detail}</small>` : ""),
        t.met === null ? "reported" : t.met ? "yes" : "**no**",
      ]),
    ),
    "",
  ].join("\n");
}

function ratiosSection(r) {
  const s = r.scenarios;
  const lines = ["## Ratios: ours ÷ relay and ours ÷ Hocuspocus", ""];
  lines.push(
    "Each figure comes from the same run with the same load shape; a ratio below 1 means ours is lower (better for latencies, worse for throughput).",
    "",
  );
  lines.push(head(["figure", "ours", "relay", "ours ÷ relay", "Hocuspocus", "ours ÷ Hocuspocus"]));
  const add = (label, ours, relay, hp, digits = 1) =>
    lines.push(
      row([label, fmt(ours, digits), fmt(relay, digits), x(ratio(ours, relay)), fmt(hp, digits), x(ratio(ours, hp))]),
    );
  const sat = s.saturation;
  if (sat) {
    add(
      "saturation: sustained ops/s (p99 ack < 100 ms)",
      sat.ours?.sustained_ops_per_s,
      sat.relay?.sustained_ops_per_s,
      sat.hocuspocus?.sustained_ops_per_s,
      0,
    );
    add(
      "saturation: peak ops/s",
      sat.ours?.peak_ops_per_s,
      sat.relay?.peak_ops_per_s,
      sat.hocuspocus?.peak_ops_per_s,
      0,
    );
  }
  const reh = s.rehearsal;
  if (reh) {
    for (const [label, path] of [
      ["rehearsal: ack p50 (ms)", "ack.p50"],
      ["rehearsal: ack p99 (ms)", "ack.p99"],
      ["rehearsal: broadcast p50 (ms)", "broadcast.p50"],
      ["rehearsal: broadcast p99 (ms)", "broadcast.p99"],
      ["rehearsal: server CPU per op (ms)", "server_cpu_ms_per_op"],
    ]) {
      const pick = (run) => path.split(".").reduce((value, key) => value?.[key], run);
      add(label, pick(reh.ours), pick(reh.relay), pick(reh.hocuspocus), 2);
    }
  }
  const storm = s.join_storm;
  if (storm) {
    add(
      "join storm: all welcomed (ms), bearer socket",
      storm.ours?.all_welcomed_ms,
      storm.relay?.all_welcomed_ms,
      storm.hocuspocus?.all_welcomed_ms,
      0,
    );
    add(
      "join storm: join p99 (ms), bearer socket",
      storm.ours?.join?.p99,
      storm.relay?.join?.p99,
      storm.hocuspocus?.join?.p99,
      0,
    );
  }
  const mem = r.memory;
  if (mem)
    add(
      "memory per live room, 4 clients (MiB; ours: the sockets, objects already loaded)",
      mem.ours_sockets_per_session_mib,
      mem.relay_per_live_room_mib,
      mem.hocuspocus_per_live_document_mib,
      3,
    );
  lines.push("");
  return lines.join("\n");
}

function rehearsalSection(reh) {
  if (!reh) return "";
  const lines = [
    "### Rehearsal",
    "",
    `One room per system, ${reh.ours?.editors ?? 8} editors each typing ${reh.ours?.rate_per_editor ?? 5} single characters a second at random positions (Poisson arrivals) into the ~1 KB chord sheet, ${reh.ours?.viewers ?? 24} viewers, ${reh.ours?.duration_s ?? 30} s of typing per system, split into ${reh.ours?.rounds ?? 1} rounds that rotate between the systems. Ack: from sending an op to its ack. Broadcast: from sending an op to its arrival at each other client (every delivery counted). Typed → ack (ours) also counts the wait of keystrokes buffered behind the op in flight.`,
    "",
    head([
      "system",
      "ops",
      "ack p50 / p95 / p99 ms",
      "broadcast p50 / p95 / p99 ms",
      "typed → ack p99 ms",
      "deliveries",
      "errors",
      "converged",
      "server CPU ms/op",
    ]),
  ];
  for (const [key, run] of Object.entries(reh)) {
    if (!run?.ack) continue;
    lines.push(
      row([
        key,
        run.ops,
        `${fmt(run.ack.p50, 2)} / ${fmt(run.ack.p95, 2)} / ${fmt(run.ack.p99, 2)}`,
        `${fmt(run.broadcast.p50, 2)} / ${fmt(run.broadcast.p95, 2)} / ${fmt(run.broadcast.p99, 2)}`,
        fmt(run.typed_to_ack.p99, 2),
        `${run.deliveries} / ${run.expected_deliveries}`,
        run.errors,
        `${run.converged ? "yes" : "**no**"}: ${run.note}`,
        fmt(run.server_cpu_ms_per_op, 3),
      ]),
    );
  }
  lines.push("");
  return lines.join("\n");
}

function saturationSection(sat) {
  if (!sat) return "";
  const keys = Object.keys(sat);
  const steps = sat[keys[0]]?.steps.map((step) => step.editors) ?? [];
  const rounds = sat[keys[0]]?.steps[0]?.rounds_ops_per_s?.length ?? 1;
  const lines = [
    "### Saturation",
    "",
    `Closed-loop editors on one fresh room per step: each editor sends its next op as soon as the previous one is acked. Steps are interleaved across the systems (1 editor on each, then 2 on each, …), and the whole series runs ${rounds} time${rounds === 1 ? "" : "s"}; each cell keeps the step's best round without errors (other work on this shared machine only takes rate away), and every round's rate is in \`bench/results/latest.json\`. Each cell: acked ops/s, p99 ack in ms, and server CPU ms per op. The sustained rate is the best step whose p99 ack stays under 100 ms with no errors. A system bound by CPU per op loses rate as editors are added (each op goes out to n − 1 others); one bound by the commit before the ack gains at first, as concurrent ops share a commit.`,
    "",
    head(["editors", ...keys]),
  ];
  steps.forEach((editors, index) => {
    lines.push(
      row([
        editors,
        ...keys.map((key) => {
          const step = sat[key].steps[index];
          return step
            ? `${fmt(step.ops_per_s, 0)} ops/s, p99 ${fmt(step.ack.p99, 1)} ms, ${fmt(step.server_cpu_ms_per_op, 3)} ms CPU${step.errors ? `, ${step.errors} errors` : ""}`
            : "–";
        }),
      ]),
    );
  });
  lines.push(
    row([
      "**sustained**",
      ...keys.map(
        (key) =>
          `**${fmt(sat[key].sustained_ops_per_s, 0)} ops/s** (${sat[key].at_editors ?? "–"} ${sat[key].at_editors === 1 ? "editor" : "editors"})`,
      ),
    ]),
  );
  lines.push("");
  return lines.join("\n");
}

function stormSection(storm, plan) {
  if (!storm) return "";
  const lines = [
    "### Join storm",
    "",
    `${plan?.storm?.rooms ?? 100} rooms × ${plan?.storm?.perRoom ?? 4} clients start connecting at the same instant. For the service every room is a session created beforehand, whose owner connects from ${plan?.storm?.perRoom ?? 4} tabs (client ids); "bearer socket" opens the socket with \`Authorization: Bearer\`, "ticket + socket" is the browser's path (\`POST /ticket\`, then the socket). Join time runs from the start of the storm to the client's \`welcome\` (Hocuspocus: \`synced\`).`,
    "",
    head([
      "system",
      "path",
      "welcomed",
      "all welcomed in",
      "join p50 / p95 / p99 ms",
      "errors",
      "server CPU / driver CPU",
      "server RSS before → connected",
    ]),
  ];
  for (const [key, run] of Object.entries(storm)) {
    if (!run?.join) continue;
    lines.push(
      row([
        key.replace("_ticket", ""),
        run.path,
        `${run.welcomed} / ${run.clients}`,
        `${fmt(run.all_welcomed_ms, 0)} ms`,
        `${fmt(run.join.p50, 0)} / ${fmt(run.join.p95, 0)} / ${fmt(run.join.p99, 0)}`,
        run.errors,
        `${fmt(run.server_cpu_s, 2)} s / ${fmt(run.driver_cpu_s, 2)} s`,
        `${fmt(run.rss_before_mib, 0)} → ${fmt(run.rss_connected_mib, 0)} MiB`,
      ]),
    );
  }
  lines.push("");
  return lines.join("\n");
}

function restSection(rest) {
  if (!rest?.routes) return "";
  const lines = [
    "### REST",
    "",
    `A closed loop of ${rest.concurrency} keep-alive connections for ${rest.seconds} s per route (after 0.5 s of warm-up), all as one user who owns ${rest.sessions_listed} sessions. The session view is answered by the session's object (one RPC); my-sessions is one D1 query; health touches neither.`,
    "",
    head(["route", "requests/s", "p50 ms", "p99 ms", "errors", "server CPU ms/request", "÷ health"]),
  ];
  const health = rest.routes.health?.requests_per_s;
  for (const [key, run] of Object.entries(rest.routes)) {
    lines.push(
      row([
        `${key} (\`${run.path}\`)`,
        fmt(run.requests_per_s, 0),
        fmt(run.latency.p50, 2),
        fmt(run.latency.p99, 2),
        run.errors,
        fmt(run.server_cpu_ms_per_request, 3),
        x(ratio(run.requests_per_s, health)),
      ]),
    );
  }
  lines.push("");
  return lines.join("\n");
}

function costSection(cost, runDate) {
  if (!cost?.editing) return "";
  const c = cost.editing;
  const idle = cost.idle;
  const lines = [
    "### Cost",
    "",
    `A Band Practice session (auto-recording, auto-save every ${c.auto_save_interval_s} s) with ${c.people} people connected, all typing ${c.rate_per_editor} characters a second for ${fmt(c.duration_s, 0)} s: ${c.ops} edit ops. Recording: ${c.recording.note}. Counted inside the service's counted copy (\`bench/counted/entry.mjs\`: the object's SQL cursors' \`rowsWritten\`/\`rowsRead\`, D1 result \`meta\`, R2 calls) and, for R2, also as new files in the local bucket (${c.totals.r2_files_created} in the window). "Per hour" scales the window to an hour of the same session at the same typing rate (${fmt(c.per_hour.ops, 0)} ops/hour, a busy rehearsal).`,
    "",
    head([
      "",
      "object rows written",
      "object SQL statements",
      "object rows read",
      "D1 write batches",
      "D1 rows written",
      "R2 Class A",
      "R2 Class B",
      "WS messages in",
      "USD",
    ]),
  ];
  for (const [label, per] of [
    ["per 1,000 edit ops", c.per_1000_ops],
    ["per hour of this session", c.per_hour],
  ]) {
    lines.push(
      row([
        label,
        fmt(per.do_rows_written, 1),
        fmt(per.do_sql_statements, 0),
        fmt(per.do_rows_read, 0),
        fmt(per.d1_batches, 2),
        fmt(per.d1_rows_written, 1),
        fmt(per.r2_class_a, 2),
        fmt(per.r2_class_b, 2),
        fmt(per.ws_messages, 0),
        `$${per.usd}`,
      ]),
    );
  }
  lines.push(
    "",
    `Prices (Workers Paid, beyond the included amounts; ${PRICES.source.map((url) => `<${url}>`).join(", ")}; ${PRICES.as_of}; applied to this run of ${String(runDate ?? "").slice(0, 10)}): Durable Object requests $${PRICES.do_request_per_million}/million with incoming WebSocket messages counted ${PRICES.do_websocket_messages_per_request}:1; SQLite storage rows written $${PRICES.do_rows_written_per_million}/million, rows read $${PRICES.do_rows_read_per_million}/million; D1 rows written $${PRICES.d1_rows_written_per_million}/million, rows read $${PRICES.d1_rows_read_per_million}/million; R2 Class A $${PRICES.r2_class_a_per_million}/million, Class B $${PRICES.r2_class_b_per_million}/million. Duration (GB-s) is left out: an object with open hibernatable sockets is billed for duration only while it runs, which the CPU figures above bound. Storage (GB-month) is left out too.`,
    "",
    "SQL statements the object ran per edit op, by kind and table (those under 0.005 per op left out):",
    "",
    head(["statement", "per op"]),
    ...Object.entries(c.statements_by_kind)
      .filter(([, count]) => count / c.ops >= 0.005)
      .sort((a, b) => b[1] - a[1])
      .map(([kind, count]) => row([`\`${kind}\``, fmt(count / c.ops, 2)])),
    "",
  );
  if (idle) {
    lines.push(
      "### Idle session and hibernation",
      "",
      `A fresh ${idle.people}-person session with every member connected and nobody typing, watched for ${idle.window_s} s: ${idle.statements} SQL statements, ${idle.alarms_run} alarms run, ${idle.alarms_set} alarms set, ${idle.ws_messages} messages, ${fmt(idle.workerd_cpu_s, 2)} s of workerd CPU. Then one message: ${idle.note}. ${idle.hibernated ? "No timer keeps the object awake." : "**The object did not hibernate.**"}`,
      "",
    );
  }
  return lines.join("\n");
}

/** Why a table of the session's object may gain rows as a session goes on, for the tables known to. */
const GROWTH = {
  activities:
    "one `content_edited` entry per auto-save of an edited text (every auto-save interval while someone edits), besides the session's own events; it follows the session's editing time, not its ops, and its entries stay in the table after their chunk is in R2",
  meta: "a key set once (e.g. `activity_flushed_id` after the first activity chunk), then updated in place",
  recording_events: "events other than ops (presence samples, joins) waiting for the recording's next chunk",
  client_seqs: "one row per client whose ops left the log (at most 10,000, the oldest dropped)",
  edit_counts: "one row per user whose ops left the log",
};

/** What the rows of a table are at a reading, for the tables the storage endpoint details. */
function rowsOf(table, reading) {
  if (table === "activities" && reading.activities_by_type) {
    return `by type: ${Object.entries(reading.activities_by_type)
      .map(([type, count]) => `${type} ${count}`)
      .join(", ")}`;
  }
  if (table === "meta" && reading.meta_keys) return `keys: ${reading.meta_keys.join(", ")}`;
  return "";
}

/** What the op log keeps and why, with this run's readings. */
function keptLines(st) {
  const w = st.log_window ?? {};
  const first = st.marks[0];
  const last = st.marks[st.marks.length - 1];
  const peak = st.before_checkpoint;
  const most = (w.op_window ?? 0) + (w.checkpoint_every ?? 0) - 1;
  const readings = [...st.marks, ...(peak ? [peak] : [])];
  const onCheckpoints = st.marks.every((mark) => mark.checkpoint_rev !== undefined && mark.checkpoint_rev === mark.rev);
  const withinWindow = readings.every((mark) => mark.ops_rows <= most);
  const flat =
    last.database_bytes <= first.database_bytes * STORAGE_SLACK && last.total_rows <= first.total_rows * STORAGE_SLACK;
  const unwritten = thousands(last.recording_unwritten_ops);
  return [
    `**What is kept, and why it stays bounded.** The text is written to the \`document\` row every ${thousands(w.checkpoint_every)} ops (the checkpoint), and the op log behind it is trimmed at the same time to a window: the latest ${thousands(w.op_window)} ops and at most ${fmt((w.max_log_bytes ?? 0) / 1024 ** 2, 0)} MiB of op JSON, never below what an unfinished recording still has to write to R2. So the log holds between ${thousands(w.op_window)} and ${thousands(most)} ops whatever the session's length, unless a recording lags behind.`,
    `In this run ${onCheckpoints ? "the marks fall on checkpoints" : "the marks"} (${st.marks.map((mark) => thousands(mark.ops_rows)).join(" and ")} rows)${peak ? `, and ${thousands(peak.ops - last.ops)} ops after the last one, just before the next checkpoint, the log held ${thousands(peak.ops_rows)}` : ""}.`,
    `The recording ${withinWindow ? "kept up" : "**held the log past the window**"} (${unwritten} op${unwritten === "1" ? "" : "s"} not yet in R2 at the last mark, ${thousands(last.recording_chunks)} chunks written).`,
    "A trimmed op leaves behind only what is still asked of it: the highest seq per client (`client_seqs`, for recognising a resend) and the ops per user (`edit_counts`, for contributions).",
    flat
      ? `SQLite reuses the pages the trim frees, so the database stays at ${fmt(last.database_bytes / 1024, 0)} KiB (${fmt(first.database_bytes / 1024, 0)} KiB at ${thousands(first.ops)} ops),`
      : `**The database grew** from ${fmt(first.database_bytes / 1024, 0)} KiB at ${thousands(first.ops)} ops to ${fmt(last.database_bytes / 1024, 0)} KiB,`,
    `where the unbounded log would hold ${thousands(last.baseline?.ops_rows)} rows and ${thousands(last.baseline?.op_log_bytes)} bytes of op JSON alone, and go on growing. These ops are 5 and 9 bytes of JSON, so here the window's op count binds, not its bytes.`,
  ].join(" ");
}

function storageSection(st) {
  if (!st?.marks?.length) return "";
  const first = st.marks[0];
  const last = st.marks[st.marks.length - 1];
  const peak = st.before_checkpoint;
  const lines = [
    "### Storage per session",
    "",
    `What one session's object keeps as the session grows longer. One Band Practice session of the counted copy (it records from the start, so the recording's hold on the op log is included), one editor in a closed loop (one op in flight) inserting "x" at the start of the ${thousands(last.text_bytes)}-byte song and deleting it again, so the text keeps its size while the log takes op after op. At each mark the object's storage is read through \`GET /__bench/storage\` of the counted copy: \`ctx.storage.sql.databaseSize\`, \`count(*)\` of every table, and the bytes of op JSON in \`ops\`. The unbounded log is the one this replaced, which kept one row per op for the session's life: its figures are computed from the ops acked, not measured.`,
    "",
    head([
      "after",
      "ops/s while driving",
      "workerd CPU ms/op",
      "`ops` rows",
      "rows in all tables",
      "database",
      "op JSON in the log",
      "errors",
      "unbounded log: `ops` rows",
      "unbounded log: op JSON",
    ]),
  ];
  for (const mark of st.marks) {
    lines.push(
      row([
        `${thousands(mark.ops)} ops`,
        fmt(mark.stretch?.ops_per_s, 0),
        fmt(mark.stretch?.server_cpu_ms_per_op, 3),
        thousands(mark.ops_rows),
        thousands(mark.total_rows),
        `${fmt(mark.database_bytes / 1024, 0)} KiB`,
        `${thousands(mark.op_log_bytes)} B`,
        mark.stretch?.errors ?? "–",
        thousands(mark.baseline?.ops_rows),
        `${thousands(mark.baseline?.op_log_bytes)} B`,
      ]),
    );
  }
  if (peak) {
    lines.push(
      row([
        `${thousands(peak.ops)} ops, just before a checkpoint`,
        "",
        "",
        thousands(peak.ops_rows),
        thousands(peak.total_rows),
        `${fmt(peak.database_bytes / 1024, 0)} KiB`,
        `${thousands(peak.op_log_bytes)} B`,
        "",
        "",
        "",
      ]),
    );
  }
  const tables = Object.entries(last.tables)
    .map(([table, rows]) => `\`${table}\` ${rows === null ? "(not readable)" : thousands(rows)}`)
    .join(", ");
  lines.push(
    "",
    `Ops/s and CPU are those of the stretch that ends at the mark (from the previous mark, or from the start).${st.rate_limited ? ` The per-connection limit (${thousands(st.messages_per_second_limit)} messages a second here, a burst of three seconds' worth) dropped ${thousands(st.rate_limited)} of the loop's ops when it ran fastest; each was sent again with its seq and is not counted as an error.` : ""}`,
    "",
    `Rows per table at ${thousands(last.ops)} ops: ${tables}. \`__miniflare_do_name\` is local \`wrangler dev\`'s own; \`_cf_METADATA\` is the runtime's and cannot be read by the object.`,
    "",
    keptLines(st),
    "",
  );
  const grew = Object.entries(st.grew ?? {});
  if (grew.length) {
    lines.push(
      `Tables with more rows at ${thousands(last.ops)} ops than at ${thousands(first.ops)}:`,
      "",
      ...grew.map(([table, [from, to]]) => {
        const what = rowsOf(table, last);
        return `- \`${table}\`: ${thousands(from)} → ${thousands(to)}${what ? ` (${what})` : ""}${GROWTH[table] ? `: ${GROWTH[table]}` : ""}.`;
      }),
      "",
    );
  }
  return lines.join("\n");
}

function memorySection(mem) {
  if (!mem) return "";
  return [
    "### Memory",
    "",
    `Resident memory (\`VmRSS\` from \`/proc\`) of the user workerd (the one process that runs the service's Worker and objects, the relay and the counted copy): ${fmt(mem.workerd_idle_mib, 1)} MiB idle after start, ${fmt(mem.ours_connected_mib, 1)} MiB with the join storm's sessions all connected. Per live session with 4 clients: **${fmt(mem.ours_per_live_session_mib, 2)} MiB** against the idle worker (objects and sockets), ${fmt(mem.ours_sockets_per_session_mib, 2)} MiB for the sockets alone (the objects were already loaded by their setup). The relay's rooms cost ${fmt(mem.relay_per_live_room_mib, 3)} MiB each; Hocuspocus ${fmt(mem.hocuspocus_per_live_document_mib, 3)} MiB per document (its process: ${fmt(mem.hocuspocus_idle_mib, 0)} MiB idle). V8 returns memory lazily, so these are upper-bound deltas of one run.`,
    "",
  ].join("\n");
}

/** Where each statement the object runs per op comes from in the service's code. */
const SOURCES = {
  "INSERT ops": "the op itself, stored before the ack (`Realtime.op`)",
  "SELECT ops":
    "`opsSince(baseRev)` for the rebase and the duplicate check (`Realtime.op`); it reads the log only for a base revision older than the 512 ops kept in memory",
  "SELECT participants":
    "`Participants.member()`: the author's participant row, for the edit permission (`Realtime.op`)",
  "SELECT document": "the sequencer's checkpoint row, for the oldest kept revision (`Realtime.op`)",
  "SELECT session": "`SessionState.sessionOrNull()`: the session row and its JSON columns, read and parsed again",
  "INSERT recording_events":
    "a recording event other than an op (`Recorder.capture`); ops are read from the op log when a chunk is written",
  "UPDATE recordings": "the recording's `events_count`, bumped per event (`Recorder.capture`)",
  "SELECT recording_events":
    "`Recorder.flushIfFull`: `count(*)` over the buffered events, which grows up to 1,000 rows",
  "SELECT recordings": "the running recording, looked up per op",
  "SELECT meta": "`Schedule.arm` recomputing deadlines (outbox retry)",
  "SELECT activities": "`Schedule.arm` recomputing deadlines (activity flush)",
  "UPDATE document": "the checkpoint of the text every 100 ops",
  "UPDATE session": "`SessionState.touch()`: `last_activity_at`, at most once a minute",
};

/**
 * The CPU profile of the object's thread (`node bench/profile.mjs`), which the run does not take itself: a profile
 * slows what it measures. Figures from one run of it on this machine, after the changes listed.
 */
function profileLines() {
  return [
    "### The profile, and what was done about it",
    "",
    "`node bench/profile.mjs --editors=2 --seconds=8` starts the same workerd, attaches to its inspector while two closed-loop editors type, and prints the functions that took the most of the isolate's thread (it writes `bench/results/profile.cpuprofile` for Chrome DevTools). One run after the changes below (1496 ops/s, 0.54 ms of workerd CPU per op in that run):",
    "",
    head(["share of the thread", "what", "where"]),
    row(["25%", "the op's `INSERT` into `ops` (one row, which starts the implicit transaction)", "`storeOp`"]),
    row(["16%", "JSON of the ack and of the broadcast, and handing them to the sockets", "`send`, `broadcastExcept`"]),
    row(["12%", "idle: waiting for the next message", ""]),
    row(["8%", "parsing and validating the message (JSON, zod, `parseOp`)", "`parseClientMessage`, `parseOp`"]),
    row(["5%", "the op's rebase and apply", "`rebase`, `applyChecked`"]),
    row(["3%", "the `created_at` timestamp", "`now()`"]),
    row(["3%", "garbage collection", ""]),
    "",
    "Before these changes the same profile (two runs, 1145 and 1424 ops/s, 0.63–0.74 ms of CPU per op) had `checkOpAgainst` and ot-text-unicode's position walk at 17–19% of the thread (each op scanned the whole text twice, and in a closed loop the text grows by a character per op), and SQL at about 36%: two log queries per op (the duplicate check and the ops since the base revision), the savepoint around the write (9% by itself) and the insert. What changed in `src/`:",
    "",
    "- **The text is kept measured** (`MeasuredText` in `src/domain/ot.ts`: its length in code points and whether it has surrogate pairs). While it has none, code point positions are string indexes, so checking and applying an op cut the text directly instead of walking it; otherwise ot-text-unicode does the walk as before. A property test checks both paths against ot-text-unicode.",
    "- **The latest 512 ops stay parsed in memory**, so the rebase reads no rows. **A resend is looked for among the ops after its base revision** (an op applied from that message was stored after it), the same ops the rebase needs, and **the highest seq per client** since the object woke tells a new op without looking at all; only a base revision older than the kept ops reads the log, as a range of its primary key. The `(client_id, seq)` index, a second write per op, is gone.",
    "- **Socket state is read from its attachment once per wake**; the token bucket lives in memory and the attachment is written only when presence changes.",
    "- **No savepoint around a lone insert**: one statement is atomic; a checkpoint still goes in one transaction with it.",
    "- **A recording no longer copies each op.** Every op was written a second time, as a recording event, and deleted again once its chunk was in R2. A recording now reads the ops it covers from the op log when it writes a chunk; its other events note the revision they followed, which places them exactly among the ops. In the cost run this took the object's rows written per recorded op from 6.02 to 2.04 and its statements per op from 2.08 to 1.11; dropping the `(client_id, seq)` index then took rows written to 1.04 (the cost table below has the figures of this run).",
    "",
    "Tried and not kept: deferring the insert to a zero-delay timer, so that ops arriving together share one commit and their acks leave together. The commits were shared (2.3 ops per commit on average with 4 editors, 3.0 with 8, counted inside the object), yet workerd CPU per op did not fall (0.47 and 0.67 ms) and neither did the rate; a single editor lost rate to the extra turn. The commit is not where the time goes: the insert statement is.",
    "",
    "What is left is the insert itself (one row, as in the relay with storage) and the runtime's cost per WebSocket message, which the bare relay pays too. The relay with storage is the yardstick for a service that stores each op before acking it; the figures above place ours against it.",
    "",
    "- **Bounded storage has a price per op.** The op log keeps a window of 1,000 ops and is trimmed at each checkpoint (every 100 ops), so each op's row is deleted again later: rows written per op rise toward 2 in a long session (1.5 in the 60-second cost run, against 1.04 when the log grew for ever), and the trim's statements are about 5 points more of the thread in the profile (SQL `exec` at 30% of it, against 25%). In exchange a session's storage stays the same after 100,000 ops as after 10,000 (the storage table). Reading the log's floor once per op, as a first version did, doubled the statements per op; it is kept in memory.",
    "",
  ];
}

function gapSection(r) {
  const sat = r.scenarios.saturation;
  const cost = r.scenarios.cost?.editing;
  if (!sat?.ours || !sat?.relay) return "";
  const lines = ["## Where the gap to the relay comes from", ""];
  const first = (key) => sat[key]?.steps?.[0];
  const best = (key) =>
    sat[key]?.steps?.reduce((top, step) => (top && top.ops_per_s >= step.ops_per_s ? top : step), null);
  if (sat.relay_store) {
    lines.push(
      'The saturation run carries a fourth system for this: the same relay, but inserting every op into its SQLite table before acking it, as the contract requires of the service ("stores it before acknowledging it").',
      "",
      head(["", "1 editor: ops/s", "1 editor: CPU ms/op", "best step: ops/s", "best step: CPU ms/op"]),
      ...["relay", "relay_store", "ours"].map((key) =>
        row([
          key,
          fmt(first(key)?.ops_per_s, 0),
          fmt(first(key)?.server_cpu_ms_per_op, 3),
          `${fmt(best(key)?.ops_per_s, 0)} (${best(key)?.editors} editors)`,
          fmt(best(key)?.server_cpu_ms_per_op, 3),
        ]),
      ),
      "",
      `- **The durable write before the ack.** One SQLite insert per op takes the bare relay from ${fmt(first("relay")?.ops_per_s, 0)} to ${fmt(first("relay_store")?.ops_per_s, 0)} ops/s with one editor (ratio ${x(ratio(first("relay_store")?.ops_per_s, first("relay")?.ops_per_s))}). The runtime's output gate holds each ack until the write is on disk, so a single editor waits one commit per op; with more editors several ops are in flight at once and the rate climbs until the object's thread is busy. No change in the service's own code can take this away short of acking before the write is durable, which the contract rules out. Against this ceiling ours reaches ${x(ratio(best("ours")?.ops_per_s, best("relay_store")?.ops_per_s))} of the relay-with-storage's best step (${x(ratio(first("ours")?.ops_per_s, first("relay_store")?.ops_per_s))} at one editor).`,
      `- **The service's own work per op**: ${fmt(best("ours")?.server_cpu_ms_per_op, 3)} ms of workerd CPU per op at its best step against ${fmt(best("relay_store")?.server_cpu_ms_per_op, 3)} ms for the relay with storage and ${fmt(best("relay")?.server_cpu_ms_per_op, 3)} ms for the bare relay. With 2 cores shared by workerd and the load driver, CPU per op is what bounds a room once several editors keep it busy.`,
    );
  }
  const reh = r.scenarios.rehearsal;
  if (reh?.ours && reh?.relay) {
    lines.push(
      `- **Latency at the rehearsal's load** is the same story: the median ack is ${fmt(reh.relay.ack.p50, 2)} ms on the bare relay${reh.relay_store ? `, ${fmt(reh.relay_store.ack.p50, 2)} ms once the relay stores each op` : ""} and ${fmt(reh.ours.ack.p50, 2)} ms on ours; the broadcast to the other clients leaves with the ack (the output gate holds both), so it carries the same commit. ${
        reh.relay_store && reh.relay_store.broadcast.p99 > 2 * reh.relay.broadcast.p99
          ? `The tails come with the durable write too: p99 broadcast ${fmt(reh.relay.broadcast.p99, 1)} ms on the bare relay, ${fmt(reh.relay_store.broadcast.p99, 1)} ms on the relay with storage, ${fmt(reh.ours.broadcast.p99, 1)} ms on ours and ${fmt(reh.hocuspocus?.broadcast.p99, 1)} ms on Hocuspocus (no storage): now and then a commit to this machine's shared disk stalls, and every op behind it waits.`
          : "The tails (p99) on this shared machine follow the CPU taken by other work more than any one system."
      }`,
    );
  }
  const storm = r.scenarios.join_storm;
  if (storm?.ours && storm?.ours_ticket) {
    const busy = storm.ours_ticket.server_cpu_s / Math.max(0.001, (storm.ours_ticket.all_welcomed_ms ?? 0) / 1000);
    lines.push(
      `- **The ticket path of the join storm** (${fmt(storm.ours_ticket.all_welcomed_ms, 0)} ms for ${storm.ours_ticket.clients} clients against ${fmt(storm.ours.all_welcomed_ms, 0)} ms with bearer sockets) makes two requests per client instead of one (\`POST /ticket\` asks the object \`connectionCheck\` over RPC and signs a JWT; the upgrade verifies it), and the object writes each ticket id to \`used_tickets\` before the welcome can leave (single use), one durable write per connection. workerd used ${fmt(storm.ours_ticket.server_cpu_s, 2)} s of CPU over the ticket storm and ${fmt(storm.ours.server_cpu_s, 2)} s over the bearer one, ${busy < 0.6 ? "so most of the storm is spent waiting (on those commits and on one Node driver opening every connection), not computing" : "so the storm is bound by workerd's one thread: the time is CPU"}.`,
    );
  }
  if (cost) {
    const perOp = Object.fromEntries(
      Object.entries(cost.statements_by_kind).map(([kind, count]) => [kind, count / cost.ops]),
    );
    const every = Object.entries(perOp)
      .filter(([, count]) => count >= 0.5)
      .sort((a, b) => b[1] - a[1]);
    const rowsShare = (cost.per_hour.do_rows_written * PRICES.do_rows_written_per_million) / 1e6 / cost.per_hour.usd;
    lines.push(
      `- **Statements per op.** In the counted copy every edit op (recording on) ran ${fmt(cost.totals.do_sql_statements / cost.ops, 1)} SQL statements in the object, wrote ${fmt(cost.totals.do_rows_written / cost.ops, 2)} rows and read ${fmt(cost.totals.do_rows_read / cost.ops, 0)}. The ones that ran on (nearly) every op, from the session's modules in \`src/room/\` as they stood when the run started:`,
      "",
      head(["statement", "per op", "where it comes from"]),
      ...every.map(([kind, count]) => row([`\`${kind}\``, fmt(count, 2), SOURCES[kind] ?? ""])),
      "",
      `  Rows written count index entries and \`sqlite_sequence\` too; they make ${fmt(rowsShare * 100, 0)}% of the ${fmt(cost.per_hour.usd, 2)} USD an hour of this session costs. Statements that ran only now and then (alarms, the outbox, checkpoints) are in the cost section.`,
      "",
    );
  }
  lines.push(...profileLines());
  return lines.join("\n");
}

function methodSection(r) {
  return [
    "## How it is measured",
    "",
    `- **One workerd.** \`wrangler dev\` serves three Workers in one workerd: the service, the bare relay (\`bench/relay/\`: a Durable Object that accepts hibernatable sockets, numbers each op, acks its sender and sends it to everyone else; no OT, no storage, no checks) and a counted copy of the service for the cost and storage figures (\`bench/counted/entry.mjs\`). It runs from a snapshot of the working tree taken at start (\`src/\`, \`migrations/\`, \`wrangler.toml\`), with local D1 migrations applied, state in a temporary \`--persist-to\` directory, \`WRANGLER_SEND_METRICS=false\`, \`CLOUDFLARE_CF_FETCH_ENABLED=false\` and \`--var WS_MESSAGES_PER_SECOND:${WS_MESSAGES_PER_SECOND}\`, so the per-connection flood limit (40 a second by default) does not cap saturation; the counted copy, which \`--var\` does not reach, gets ${thousands(COUNTED_WS_MESSAGES_PER_SECOND)} in its generated config's \`[vars]\`, so that the storage scenario's single closed-loop editor is not capped either.`,
    "- **No dev proxy.** `wrangler dev` puts a second workerd in front of the user workerd; its port only reaches the first Worker and doubles the runtime's work per message. The driver finds the user workerd's own entry socket from its listening ports and names the Worker with miniflare's `MF-Route-Override` header, so the service and the relay are reached the same way, without the hop production does not have.",
    "- **Hocuspocus** (`bench/hocuspocus/`, its own npm project installed with `npm ci --prefix bench/hocuspocus` on first run) runs `@hocuspocus/server` " +
      `${r.machine.hocuspocus ?? ""}` +
      " (the 3.x line; 4.x needs Node 22) in its own Node process, documents in memory without a persistence extension, each starting from the same chord sheet. Its clients are `@hocuspocus/provider` with a `Y.Doc` each and awareness off (ours send no presence either); an ack is the server's `SyncStatus` for an update, a broadcast is the update applied at another client (matched by Yjs client id and clock).",
    "- **The driver** (`bench/run.mjs`, `bench/lib/`, `bench/scenarios/`) is one Node process on the same 2 cores, with the `ws` client. Our clients run a real OT client (one op in flight, later keystrokes composed, remote ops transformed); the relay's clients do the same work minus the transform and are checked for every revision arriving once and in order. Server CPU comes from `/proc/<pid>/stat` of the user workerd and of the Hocuspocus process; the driver's own CPU is in `bench/results/latest.json`.",
    "- **Noise.** The machine is shared; figures in one run are compared with each other (the ratios), scenarios alternate between the systems, and the load average and the CPU used by other work during the run are recorded above.",
    "- The bench is not part of `npm test`.",
    "",
  ].join("\n");
}

function reproduceSection() {
  return [
    "## Reproduce",
    "",
    "```sh",
    "npm ci                      # the project's own dependencies",
    "npm run bench               # every scenario, about 9 minutes on 2 cores: table on stdout,",
    "                            # bench/results/latest.json, bench/results/latency.svg and this file",
    "npm run bench -- --quick    # a smoke run of every scenario with less load (bench/results/quick.json)",
    "npm run bench -- --only=saturation,rest   # some scenarios (bench/results/partial.json)",
    "npm run bench -- --only=storage           # one session's rows and bytes after 10,000 and 100,000 ops",
    "npm run bench -- --keep     # keep the snapshot and its local state (path printed) for inspection",
    "npm run bench -- --report   # rewrite the table, the chart and this file from bench/results/latest.json",
    "node bench/profile.mjs --editors=2 --seconds=8   # CPU profile of the object (bench/results/profile.cpuprofile)",
    "```",
    "",
    "The first run installs `bench/hocuspocus` from its lockfile. Everything listens on 127.0.0.1; nothing needs a Cloudflare account or the network beyond that install.",
    "",
  ].join("\n");
}

export function markdown(results, rows) {
  const s = results.scenarios;
  return [
    "# Benchmarks",
    "",
    "How fast and how cheaply one session does its job, side by side in one run with the runtime's ceiling (a bare broadcast relay Durable Object in the same workerd) and with Hocuspocus (Yjs on Node), the collaboration server people pick instead. Every figure below comes from the run recorded in [`bench/results/latest.json`](../bench/results/latest.json); `npm run bench` rewrites this file.",
    "",
    targetsSection(rows),
    ratiosSection(results),
    "![Rehearsal latency distributions and saturation curves](../bench/results/latency.svg)",
    "",
    gapSection(results),
    "## Scenarios",
    "",
    rehearsalSection(s.rehearsal),
    saturationSection(s.saturation),
    stormSection(s.join_storm, results.plan),
    restSection(s.rest),
    costSection(s.cost, results.started_at),
    storageSection(s.storage),
    memorySection(results.memory),
    machineSection(results),
    methodSection(results),
    reproduceSection(),
    Object.keys(results.failures ?? {}).length
      ? `## Scenarios that failed in this run\n\n${Object.entries(results.failures)
          .map(([name, message]) => `- ${name}: ${message.split("\n")[0]}`)
          .join("\n")}\n`
      : "",
  ].join("\n");
}
