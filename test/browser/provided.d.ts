import "vitest";

declare module "vitest" {
  /** What the global setup hands the browser tests. */
  export interface ProvidedContext {
    baseUrl: string;
  }
}
