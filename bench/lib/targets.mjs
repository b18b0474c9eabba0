/**
 * The three systems under the same load: each target makes a room (a session, a relay room, a Yjs document) for
 * a number of editors and viewers, and hands out clients for it.
 */
import { Api, inBatches } from "./api.mjs";
import { OpClient, YjsClient } from "./clients.mjs";
import { WORKERS } from "./services.mjs";

let counter = 0;
const unique = (prefix) => `${prefix}${Date.now().toString(36)}${(counter++).toString(36)}`;

export function makeTargets({ workerd, hocuspocus }) {
  const base = () => `http://127.0.0.1:${workerd.port}`;
  const api = new Api(base, { "MF-Route-Override": WORKERS.ours });

  /** The service (or its counted copy, `worker`), with its own API client. */
  const service = (worker, key, label) => {
    const serviceApi = worker === WORKERS.ours ? api : new Api(base, { "MF-Route-Override": worker });
    return {
      key,
      label,
      worker,
      pids: () => [workerd.pid],
      api: serviceApi,
      /** A session (Jam Session unless `templateId`), `editors` editors (the first owns it) and `viewers` viewers. */
      async room({ editors, viewers = 0, recorder, templateId = 3, settings }) {
        const tag = unique("u");
        const editorIds = Array.from({ length: editors }, (_, i) => `${tag}e${i}`);
        const viewerIds = Array.from({ length: viewers }, (_, i) => `${tag}v${i}`);
        const roles = Object.fromEntries([
          ...editorIds.slice(1).map((id) => [id, "editor"]),
          ...viewerIds.map((id) => [id, "viewer"]),
        ]);
        const id = await serviceApi.session({
          owner: editorIds[0],
          members: [...editorIds.slice(1), ...viewerIds],
          roles,
          templateId,
          settings,
          maxParticipants: Math.max(2, Math.min(50, editors + viewers)),
        });
        const users = [...editorIds, ...viewerIds];
        await inBatches(users, 8, (user) => serviceApi.token(user));
        return {
          id,
          owner: editorIds[0],
          users,
          client: (index, clientRecorder = recorder) =>
            new OpClient({
              url: `ws://127.0.0.1:${workerd.port}/api/v1/sessions/${id}/ws?client_id=c${index}`,
              headers: {
                Authorization: `Bearer ${serviceApi.tokens.get(users[index % users.length])}`,
                "MF-Route-Override": worker,
              },
              transform: true,
              recorder: clientRecorder,
              keepAliveMessage: { type: "presence", cursor: null, status: "active" },
            }),
        };
      },
    };
  };
  const ours = service(WORKERS.ours, "ours", "ChordMe");
  const counted = service(WORKERS.counted, "counted", "ChordMe with counters");

  /** The bare relay, or with `store` the relay that inserts each op into its SQLite table before acking it. */
  const relayTarget = (key, label, store) => ({
    key,
    label,
    pids: () => [workerd.pid],
    async room({ recorder }) {
      const id = unique(store ? "s" : "r");
      return {
        id,
        client: (index, clientRecorder = recorder) =>
          new OpClient({
            url: `ws://127.0.0.1:${workerd.port}/relay/${id}/ws?user_id=u${index}${store ? "&store=1" : ""}`,
            headers: { "MF-Route-Override": WORKERS.relay },
            transform: false,
            recorder: clientRecorder,
            keepAliveMessage: { type: "noop" },
          }),
      };
    },
  });
  const relay = relayTarget("relay", "Relay", false);
  const relayStored = relayTarget("relay_store", "Relay + SQLite insert", true);

  const yjs = {
    key: "hocuspocus",
    label: "Hocuspocus",
    pids: () => [hocuspocus.pid],
    async room({ recorder }) {
      const id = unique("y");
      return {
        id,
        client: (_index, clientRecorder = recorder) =>
          new YjsClient({ url: `ws://127.0.0.1:${hocuspocus.port}`, name: id, recorder: clientRecorder }),
      };
    },
  };

  return { ours, counted, relay, relay_store: relayStored, hocuspocus: yjs, api };
}
