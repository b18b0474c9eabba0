/**
 * Cost: what edits and an idle session make the platform do, counted by the service's counted copy
 * (bench/counted/entry.mjs) and by the R2 files the local bucket gains, then priced.
 *
 * 1. Idle: a 6-person session (Band Practice: auto-recording on) with everyone connected and nobody typing. Over
 *    the window the object should run no statement, set or run no alarm, use no CPU; afterwards one message must
 *    find the object rebuilt (its constructor ran again): it had hibernated with every socket still open.
 * 2. Editing: a 6-person session, recording (started with POST /recording/start when the route exists), 6 editors
 *    typing at the rehearsal rate. Everything counted over the window is reported per 1,000 edit ops and, scaled by
 *    time, per hour of such a session.
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { Recorder } from "../lib/clients.mjs";
import { dollars, PRICES, r2Classes } from "../lib/prices.mjs";
import { CpuMeter, round, sleep } from "../lib/proc.mjs";
import { connectAll, drain, typeFor } from "./realtime.mjs";

async function counters(target) {
  const response = await fetch(`${target.api.base}/__bench/counters`, { headers: target.api.headers });
  return response.json();
}

function difference(before, after) {
  const out = {};
  for (const [key, value] of Object.entries(after)) {
    if (typeof value === "number") out[key] = value - (before?.[key] ?? 0);
    else if (value && typeof value === "object") out[key] = difference(before?.[key] ?? {}, value);
  }
  return out;
}

/** Files under the local R2 store: a put writes a new blob file. */
function r2Files(persist) {
  const root = join(persist, "v3/r2");
  const files = new Set();
  const walk = (dir) => {
    if (!existsSync(dir)) return;
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (!/\.sqlite(-wal|-shm)?$/.test(name)) files.add(path);
    }
  };
  walk(root);
  return files;
}

function nonZero(object) {
  return Object.fromEntries(Object.entries(object).filter(([, value]) => value !== 0));
}

async function startRecording(target, room) {
  const token = await target.api.token(room.owner);
  const start = await target.api.request("POST", `/sessions/${room.id}/recording/start`, { token, expect: null });
  if (start.status === 404) {
    return {
      available: false,
      note: `POST /recording/start answered 404 (${start.body?.error?.message ?? "no route"}): the figures cover edits without a recording`,
    };
  }
  const status = await target.api.request("GET", `/sessions/${room.id}/recording/status`, { token, expect: null });
  const recording = status.status === 200 ? status.body.data.is_recording : null;
  return {
    available: true,
    start_status: start.status,
    is_recording: recording,
    note:
      start.status < 300
        ? "recording started with POST /recording/start"
        : `POST /recording/start answered ${start.status} (${start.body?.error?.code ?? ""}); recording: ${recording}`,
  };
}

export async function idleCheck(target, { people = 6, windowS = 15 } = {}) {
  const recorder = new Recorder();
  const room = await target.room({ editors: people, recorder, templateId: 1 });
  const { clients } = await connectAll(room, people);
  await sleep(1500);
  const before = await counters(target);
  const meter = new CpuMeter(target.pids());
  await sleep(windowS * 1000);
  const cpu = meter.stop();
  const after = await counters(target);
  // One message: an object that hibernated is constructed again to handle it.
  clients[0].socket.send(JSON.stringify({ type: "presence", cursor: null, status: "idle" }));
  await sleep(700);
  const woken = await counters(target);
  for (const client of clients) client.close();
  const idle = difference(before, after);
  const rebuilt = woken.do_objects_constructed - after.do_objects_constructed;
  return {
    people,
    window_s: windowS,
    statements: idle.do_sql_statements,
    alarms_run: idle.do_alarms_run,
    alarms_set: idle.do_set_alarm,
    ws_messages: idle.do_ws_messages,
    workerd_cpu_s: cpu.cpu_s[0],
    hibernated: rebuilt > 0 && idle.do_alarms_run === 0 && idle.do_sql_statements === 0,
    note:
      rebuilt > 0
        ? `the object was constructed again for the first message after ${windowS} s: it had hibernated with ${people} sockets open`
        : `the object was still in memory after ${windowS} s idle (workerd evicts idle objects after about 10 s)`,
    errors: recorder.errors,
  };
}

export async function editingCost(target, { persist, people = 6, rate = 5, durationS = 60 } = {}) {
  const recorder = new Recorder();
  const room = await target.room({ editors: people, recorder, templateId: 1 });
  const recording = await startRecording(target, room);
  const { clients } = await connectAll(room, people);
  await sleep(1000);
  const filesBefore = r2Files(persist);
  const before = await counters(target);
  const meter = new CpuMeter(target.pids());
  await typeFor(clients, rate, durationS);
  await drain(clients, clients, 10_000);
  const cpu = meter.stop();
  const after = await counters(target);
  const filesAfter = r2Files(persist);
  for (const client of clients) client.close();
  const counted = difference(before, after);
  const ops = recorder.acks.length;
  const seconds = cpu.wall_s;
  const r2 = r2Classes(counted.r2);
  const totals = {
    ws_messages: counted.do_ws_messages,
    do_sql_statements: counted.do_sql_statements,
    do_rows_written: counted.do_rows_written,
    do_rows_read: counted.do_rows_read,
    do_transactions: counted.do_transactions,
    alarms_run: counted.do_alarms_run,
    alarms_set: counted.do_set_alarm,
    d1_queries: counted.d1_queries,
    d1_batches: counted.d1_batches,
    d1_rows_written: counted.d1_rows_written,
    d1_rows_read: counted.d1_rows_read,
    r2_class_a: r2.class_a,
    r2_class_b: r2.class_b,
    r2_files_created: [...filesAfter].filter((file) => !filesBefore.has(file)).length,
  };
  const per = (scale) =>
    Object.fromEntries(Object.entries(totals).map(([key, value]) => [key, round(value * scale, 2)]));
  const perThousand = per(1000 / ops);
  const perHour = per(3600 / seconds);
  const autoSaveIntervalS = 30;
  return {
    people,
    rate_per_editor: rate,
    duration_s: round(seconds, 1),
    ops,
    ops_per_s: round(ops / seconds, 1),
    recording,
    totals,
    statements_by_kind: nonZero(counted.do_statements ?? {}),
    r2_operations: counted.r2,
    per_1000_ops: { ...perThousand, usd: round(dollars(perThousand), 6) },
    per_hour: { ...perHour, ops: round((ops * 3600) / seconds, 0), usd: round(dollars(perHour), 4) },
    d1_write_batches_allowed: Math.ceil(seconds / autoSaveIntervalS) + 1,
    auto_save_interval_s: autoSaveIntervalS,
    cpu_s: cpu.cpu_s,
    server_cpu_ms_per_op: ops ? round((cpu.cpu_s[0] * 1000) / ops, 3) : null,
    errors: recorder.errors,
    prices: PRICES,
  };
}
