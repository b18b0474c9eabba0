/** What the session object answers over RPC: a value, or an error the Worker renders as the envelope. */
export interface RoomError {
  status: 400 | 401 | 403 | 404 | 409 | 410 | 413 | 429;
  code: string;
  message: string;
  details?: unknown;
  /** Set when the object holds no session (never created, or archived and emptied). */
  missing_session?: true;
}

export type RoomResult<T> = { ok: true; value: T } | { ok: false; error: RoomError };

export const success = <T>(value: T): RoomResult<T> => ({ ok: true, value });

export const failure = (
  status: RoomError["status"],
  code: string,
  message: string,
  details?: unknown,
): { ok: false; error: RoomError } => ({ ok: false, error: { status, code, message, details } });

/** Thrown inside the object to stop an operation with a client-facing error; caught at the RPC boundary. */
export class RoomFailure extends Error {
  constructor(readonly error: RoomError) {
    super(error.message);
  }
}

export function refuse(status: RoomError["status"], code: string, message: string, details?: unknown): never {
  throw new RoomFailure({ status, code, message, details });
}
