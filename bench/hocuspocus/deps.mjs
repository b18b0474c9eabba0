/** The packages of this small project that the load driver uses, imported through here so they resolve from it. */
export { HocuspocusProvider } from "@hocuspocus/provider";
export { WebSocket } from "ws";
export * as Y from "yjs";
