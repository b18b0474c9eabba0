/**
 * The ChordMe Sessions SDK: `SessionManagementService` for the REST API, `RealtimeSession` for live editing,
 * and the types both speak. Import it as `chordme-sessions/client`.
 */
export { MAX_DOCUMENT_CHARS, MAX_INSERT_CHARS, MAX_OP_COMPONENTS } from "../domain/ot";
export { DEFAULT_PERMISSION_MAP } from "../domain/permissions";
export { MAX_FRAME_BYTES } from "../domain/protocol";
export { friendlyMessage, SessionApiError } from "./errors";
export {
  type ConnectionStatus,
  type Cursor,
  type PresenceState,
  type PresenceStatus,
  RealtimeError,
  type RealtimeEvents,
  RealtimeSession,
  type RealtimeSessionOptions,
  type StatusEvent,
  type TextOp,
  type WebSocketLike,
} from "./realtime";
export {
  createSessionManagementService,
  parseNdjson,
  type SessionManagementOptions,
  SessionManagementService,
} from "./sessions";
export type * from "./types";
