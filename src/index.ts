import { sweep } from "./api/admin";
import { app } from "./api/app";
import type { Bindings } from "./env";

export { SessionRoom } from "./room/session-room";

export default {
  fetch: app.fetch,
  /** The daily sweep: a backstop for alarms that never fired. */
  async scheduled(_controller, env, ctx) {
    ctx.waitUntil(
      sweep(env, false).then((report) => {
        if (report.errors.length) console.warn("cleanup sweep errors", report.errors);
      }),
    );
  },
} satisfies ExportedHandler<Bindings>;
