import { app } from "./api/app";
import type { Bindings } from "./env";

export { SessionRoom } from "./room/session-room";

export default {
  fetch: app.fetch,
  async scheduled(_controller, _env, _ctx) {
    // The daily sweep arrives with the lifecycle work.
  },
} satisfies ExportedHandler<Bindings>;
