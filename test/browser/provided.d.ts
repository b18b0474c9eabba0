import "vitest";

declare module "vitest" {
  /** What the global setup hands the browser tests. */
  export interface ProvidedContext {
    baseUrl: string;
    /** The file wrangler dev's output goes to. */
    serverLog: string;
  }
}
