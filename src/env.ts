import type { Actor } from "./domain/actor";

/** Settings read from the environment: vars in wrangler.toml, secrets in .dev.vars or `wrangler secret put`. */
export interface Secrets {
  JWT_SECRET?: string;
  JWT_JWKS_URL?: string;
  JWT_ISSUER?: string;
  JWT_AUDIENCE?: string;
  DEV_AUTH?: string;
  CORS_ORIGINS?: string;
  /** Signs WebSocket tickets; defaults to JWT_SECRET. */
  TICKET_SECRET?: string;
  /** Sustained WebSocket messages per second per connection (default 40). */
  WS_MESSAGES_PER_SECOND?: string;
  /** The web app's address, for the join links in invitation emails; no invitation emails without it. */
  PUBLIC_URL?: string;
  /** The address invitation emails come from; no invitation emails without it. */
  EMAIL_FROM?: string;
}

/** The bindings from the generated `Env` (`npm run types`), with the string settings typed as settings. */
export type Bindings = Omit<Env, "DEV_AUTH" | "CORS_ORIGINS" | "PUBLIC_URL" | "EMAIL_FROM"> & Secrets;

export interface AppEnv {
  Bindings: Bindings;
  Variables: { actor: Actor; requestId: string };
}
