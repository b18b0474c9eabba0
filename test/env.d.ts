import type { D1Migration } from "cloudflare:test";
import type { SessionRoom } from "../src/room/session-room";

declare global {
  namespace Cloudflare {
    interface Env {
      TEST_MIGRATIONS: D1Migration[];
      JWT_SECRET: string;
    }
  }
}

export type { SessionRoom };
