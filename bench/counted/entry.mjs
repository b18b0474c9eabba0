/**
 * The service with counters, for the cost and storage scenarios: the same Worker and SessionRoom, served as a
 * second Worker beside the plain one, with everything that is billed per operation counted:
 * - in the object: SQL statements (by kind and table), rows written and read (the cursor's own counts, which are
 *   what SQLite-backed Durable Objects bill), transactions, alarms set, deleted and run, socket messages;
 * - D1: queries, batches, rows written and read (from each result's meta);
 * - R2: operations by method.
 * GET /__bench/counters answers them. GET /__bench/storage?session=<id> answers what one session's object keeps:
 * its database size, the rows of each of its tables and the bytes of op JSON in its log (the storage scenario).
 * Nothing here changes what the service does; the Workers rate limiters (MUTATION_LIMITER, UPGRADE_LIMITER), which
 * a second Worker does not get in `wrangler dev`, are replaced by one that always allows.
 *
 * The import below is resolved in the snapshot the runner makes (app/bench/counted → app/src).
 */
import service, { SessionRoom as ServiceRoom } from "../../src/index.ts";

const counters = {
  do_sql_statements: 0,
  do_rows_written: 0,
  do_rows_read: 0,
  do_transactions: 0,
  do_set_alarm: 0,
  do_delete_alarm: 0,
  do_alarms_run: 0,
  do_ws_messages: 0,
  do_objects_constructed: 0,
  do_statements: {},
  d1_queries: 0,
  d1_batches: 0,
  d1_rows_written: 0,
  d1_rows_read: 0,
  r2: {},
};

function statementKind(query) {
  const text = String(query).replace(/\s+/g, " ").trim();
  const verb = text.split(" ")[0].toUpperCase();
  const table = text.match(/\b(?:FROM|INTO|UPDATE)\s+"?([A-Za-z_][\w]*)/i)?.[1] ?? "";
  return `${verb} ${table}`.trim();
}

function countCursor(cursor) {
  let written = cursor.rowsWritten;
  let read = cursor.rowsRead;
  counters.do_rows_written += written;
  counters.do_rows_read += read;
  const settle = () => {
    counters.do_rows_written += cursor.rowsWritten - written;
    counters.do_rows_read += cursor.rowsRead - read;
    written = cursor.rowsWritten;
    read = cursor.rowsRead;
  };
  for (const method of ["next", "toArray", "one", "raw"]) {
    const original = cursor[method];
    if (typeof original !== "function") continue;
    cursor[method] = (...args) => {
      const result = original.apply(cursor, args);
      settle();
      return result;
    };
  }
  return cursor;
}

/** Each storage's own `sql.exec`, for reads that are not the service's and so are left out of the counters. */
const uncounted = new WeakMap();

function instrumentStorage(storage) {
  const sql = storage.sql;
  const exec = sql.exec;
  uncounted.set(storage, (query, ...bindings) => exec.call(sql, query, ...bindings));
  sql.exec = (query, ...bindings) => {
    counters.do_sql_statements += 1;
    const kind = statementKind(query);
    counters.do_statements[kind] = (counters.do_statements[kind] ?? 0) + 1;
    return countCursor(exec.call(sql, query, ...bindings));
  };
  const transactionSync = storage.transactionSync;
  storage.transactionSync = (body) => {
    counters.do_transactions += 1;
    return transactionSync.call(storage, body);
  };
  const setAlarm = storage.setAlarm;
  storage.setAlarm = (...args) => {
    counters.do_set_alarm += 1;
    return setAlarm.apply(storage, args);
  };
  const deleteAlarm = storage.deleteAlarm;
  storage.deleteAlarm = (...args) => {
    counters.do_delete_alarm += 1;
    return deleteAlarm.apply(storage, args);
  };
}

function addMeta(result) {
  const meta = result?.meta;
  if (!meta) return;
  counters.d1_rows_written += meta.rows_written ?? 0;
  counters.d1_rows_read += meta.rows_read ?? 0;
}

function countStatement(statement) {
  const bind = statement.bind;
  statement.bind = (...args) => countStatement(bind.apply(statement, args));
  for (const method of ["run", "all", "first", "raw"]) {
    const original = statement[method];
    statement[method] = async (...args) => {
      counters.d1_queries += 1;
      const result = await original.apply(statement, args);
      if (method === "run" || method === "all") addMeta(result);
      return result;
    };
  }
  return statement;
}

function countD1(db) {
  return new Proxy(db, {
    get(target, key) {
      if (key === "prepare") return (query) => countStatement(target.prepare(query));
      if (key === "batch") {
        return async (statements) => {
          counters.d1_batches += 1;
          counters.d1_queries += statements.length;
          const results = await target.batch(statements);
          for (const result of results) addMeta(result);
          return results;
        };
      }
      const value = target[key];
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

function countR2(bucket) {
  return new Proxy(bucket, {
    get(target, key) {
      const value = target[key];
      if (typeof value !== "function") return value;
      return (...args) => {
        counters.r2[key] = (counters.r2[key] ?? 0) + 1;
        return value.apply(target, args);
      };
    },
  });
}

const allowAll = { limit: async () => ({ success: true }) };
const wrapped = new WeakMap();
function countedEnv(env) {
  let result = wrapped.get(env);
  if (!result) {
    result = {
      ...env,
      DB: countD1(env.DB),
      BUCKET: countR2(env.BUCKET),
      MUTATION_LIMITER: env.MUTATION_LIMITER ?? allowAll,
      UPGRADE_LIMITER: env.UPGRADE_LIMITER ?? allowAll,
    };
    wrapped.set(env, result);
  }
  return result;
}

export class SessionRoom extends ServiceRoom {
  constructor(ctx, env) {
    instrumentStorage(ctx.storage);
    counters.do_objects_constructed += 1;
    super(ctx, countedEnv(env));
  }

  async webSocketMessage(socket, message) {
    counters.do_ws_messages += 1;
    return super.webSocketMessage(socket, message);
  }

  async alarm(...args) {
    counters.do_alarms_run += 1;
    return super.alarm(...args);
  }

  /**
   * What this object keeps on disk: the database's size in bytes, the rows of every table (null for a table the
   * runtime does not let the object read), and the op log's extent and bytes of op JSON.
   */
  benchStorage() {
    const storage = this.ctx.storage;
    const exec = uncounted.get(storage) ?? ((query, ...bindings) => storage.sql.exec(query, ...bindings));
    const tables = {};
    for (const { name } of exec("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").toArray()) {
      try {
        tables[name] = exec(`SELECT count(*) AS n FROM "${name.replaceAll('"', '""')}"`).one().n;
      } catch {
        tables[name] = null;
      }
    }
    const has = (table) => Object.hasOwn(tables, table);
    const ops = has("ops")
      ? exec(
          "SELECT count(*) AS rows, coalesce(sum(length(CAST(op AS BLOB))), 0) AS op_bytes, min(rev) AS first_rev, max(rev) AS last_rev FROM ops",
        ).one()
      : null;
    const document = has("document") ? (exec("SELECT * FROM document WHERE id = 1").toArray()[0] ?? null) : null;
    const recordings = has("recordings")
      ? exec(
          "SELECT status, start_rev, ops_flushed_rev, stop_rev, chunks_count, events_count FROM recordings",
        ).toArray()
      : [];
    // The tables that may grow with a session's time rather than its ops: what their rows are.
    const activitiesByType = has("activities")
      ? Object.fromEntries(
          exec("SELECT type, count(*) AS n FROM activities GROUP BY type ORDER BY type")
            .toArray()
            .map((row) => [row.type, row.n]),
        )
      : null;
    const metaKeys = has("meta")
      ? exec("SELECT key FROM meta ORDER BY key")
          .toArray()
          .map((row) => row.key)
      : null;
    return {
      database_bytes: storage.sql.databaseSize,
      tables,
      ops,
      document: document && {
        rev: document.rev,
        log_floor: document.log_floor ?? null,
        content_bytes: new TextEncoder().encode(document.content).byteLength,
      },
      recordings,
      activities_by_type: activitiesByType,
      meta_keys: metaKeys,
    };
  }
}

export default {
  ...service,
  async fetch(request, env, ctx) {
    const url = new URL(request.url);
    if (url.pathname === "/__bench/counters") {
      return Response.json(counters, { headers: { "Cache-Control": "no-store" } });
    }
    if (url.pathname === "/__bench/storage") {
      const session = url.searchParams.get("session");
      if (!session) return Response.json({ error: "?session=<id> is required" }, { status: 400 });
      const room = env.SESSION_ROOM.get(env.SESSION_ROOM.idFromName(session));
      return Response.json(await room.benchStorage(), { headers: { "Cache-Control": "no-store" } });
    }
    return service.fetch(request, countedEnv(env), ctx);
  },
};
