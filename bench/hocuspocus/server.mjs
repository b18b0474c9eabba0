/**
 * The Hocuspocus (Yjs) baseline: one Node process, documents in memory (no persistence extension), each new
 * document starting from the benchmark's chord sheet. Prints `listening <port>` once it accepts connections.
 */
import { Server } from "@hocuspocus/server";
import { SONG } from "../lib/song.mjs";

const port = Number(process.env.BENCH_HOCUSPOCUS_PORT ?? 0);

const server = new Server({
  address: "127.0.0.1",
  port,
  quiet: true,
  stopOnSignals: true,
  async onLoadDocument({ document }) {
    const text = document.getText("content");
    if (text.length === 0) text.insert(0, SONG);
    return document;
  },
});

await server.listen(port);
console.log(`listening ${server.address.port}`);
