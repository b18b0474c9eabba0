/**
 * Join storm: many rooms × a few clients connecting at the same moment. The time until every client is welcomed
 * (synced, for Yjs), each client's join latency, and the server's resident memory before and while they are all
 * connected.
 */
import { inBatches } from "../lib/api.mjs";
import { Recorder } from "../lib/clients.mjs";
import { CpuMeter, round, rssBytes, sleep } from "../lib/proc.mjs";
import { summarize } from "../lib/stats.mjs";

const MIB = 1024 * 1024;

/**
 * Sets up `rooms` rooms before the storm. For the service each room is a session of its own owner, whose
 * `perRoom` clients connect as that owner from different tabs (client ids): one session and one song per room
 * instead of members who each join through the API keeps the setup within the time budget.
 */
async function prepare(target, rooms, recorder) {
  return inBatches(Array.from({ length: rooms }), target.key === "hocuspocus" ? 100 : 6, () =>
    target.room({ editors: 1, recorder }),
  );
}

/**
 * @param {object} target
 * @param {{ rooms: number, perRoom: number, ticket?: boolean, holdMs?: number, prepared?: Promise<any[]> }} options
 *   `ticket`: the service's browser path (POST /ticket, then the socket with ?ticket=); otherwise the socket with a
 *   bearer token. `prepared`: rooms of an earlier storm to connect to again.
 */
export async function joinStorm(target, options = {}) {
  const { rooms = 100, perRoom = 4, ticket = false, holdMs = 2000 } = options;
  const recorder = new Recorder();
  const prepared = await (options.prepared ?? prepare(target, rooms, recorder));
  const pid = target.pids()[0];
  await sleep(1000);
  const rssBefore = rssBytes(pid);
  const clients = [];
  const meter = new CpuMeter(target.pids());
  const started = performance.now();
  const joins = await Promise.all(
    prepared.flatMap((room) =>
      Array.from({ length: perRoom }, async (_, index) => {
        const client = room.client(index, recorder);
        clients.push(client);
        try {
          if (ticket) {
            const url = await target.api.ticketUrl(room.id, room.users[index % room.users.length]);
            client.url = `${url}&client_id=t${index}`;
            client.headers = { "MF-Route-Override": target.worker };
          }
          await client.connect(20_000);
          return performance.now() - started;
        } catch (error) {
          recorder.error(error.message);
          return null;
        }
      }),
    ),
  );
  const allWelcomedMs = performance.now() - started;
  const cpu = meter.stop();
  await sleep(holdMs);
  const rssDuring = rssBytes(pid);
  for (const client of clients) client.close();
  await sleep(500);
  const welcomed = joins.filter((value) => value !== null);
  return {
    prepared,
    rooms,
    per_room: perRoom,
    clients: rooms * perRoom,
    path: target.key === "ours" ? (ticket ? "ticket + socket" : "bearer socket") : "socket",
    welcomed: welcomed.length,
    all_welcomed_ms: welcomed.length === joins.length ? round(allWelcomedMs, 1) : null,
    join: summarize(welcomed),
    errors: recorder.errors,
    error_samples: recorder.errorSamples,
    server_cpu_s: cpu.cpu_s[0],
    driver_cpu_s: cpu.driver_cpu_s,
    rss_before_mib: round(rssBefore / MIB, 1),
    rss_connected_mib: round(rssDuring / MIB, 1),
  };
}
