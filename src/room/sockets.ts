/**
 * The session's open sockets: each one's state (kept in its attachment across hibernation), sending, broadcasting,
 * who is online, and closing a socket from the object's side.
 */
import { CLOSE, type PresenceState, type PresenceStatus, type ServerMessage } from "../domain/protocol";
import type { SocketPort } from "./ports";

export interface SocketState {
  user_id: string;
  client_id: string;
  connected_at: number;
  /** Token bucket for rate limiting. */
  tokens: number;
  refilled_at: number;
  strikes: number;
  presence: {
    cursor: { anchor: number; head: number } | null;
    status: PresenceStatus;
    sent_at: number;
    /** Whom this user handed the lead to; absent in attachments written before leads existed. */
    lead?: string | null;
  };
}

/** The tag a user's sockets carry, so they are found without waking each one. */
export function userTag(userId: string): string {
  return `user:${userId}`;
}

export class Sockets {
  /** Each socket's state while the object is awake (the attachment keeps it across hibernation); null once gone. */
  private readonly states = new WeakMap<WebSocket, SocketState | null>();
  /** Called once for each socket that stops counting: closed by either side, superseded or errored. */
  onGone: (socket: WebSocket, state: SocketState) => void = () => undefined;

  constructor(private readonly port: SocketPort) {}

  accept(socket: WebSocket, state: SocketState): void {
    this.port.acceptWebSocket(socket, [userTag(state.user_id)]);
    this.keep(socket, state);
  }

  /** A socket's state, read from its attachment once per wake; null for a socket that closed or was refused. */
  stateOf(socket: WebSocket): SocketState | null {
    let state = this.states.get(socket);
    if (state === undefined) {
      state = socket.deserializeAttachment() as SocketState | null;
      this.states.set(socket, state);
    }
    return state;
  }

  /** Keeps a socket's state in memory and in its attachment, which is what survives hibernation. */
  keep(socket: WebSocket, state: SocketState | null): void {
    this.states.set(socket, state);
    socket.serializeAttachment(state);
  }

  /** Sockets the object has accepted and not closed (all of them, or one user's). */
  live(userId?: string): WebSocket[] {
    return this.port
      .getWebSockets(userId === undefined ? undefined : userTag(userId))
      .filter((socket) => this.stateOf(socket) !== null);
  }

  /** Users with at least one open socket. */
  onlineUsers(): Set<string> {
    const online = new Set<string>();
    for (const socket of this.port.getWebSockets()) {
      const state = this.stateOf(socket);
      if (state) online.add(state.user_id);
    }
    return online;
  }

  /** Each online user's presence: the one a socket of theirs last sent. */
  presence(): PresenceState[] {
    const byUser = new Map<string, PresenceState>();
    for (const socket of this.port.getWebSockets()) {
      const state = this.stateOf(socket);
      if (!state) continue;
      const known = byUser.get(state.user_id);
      if (!known || state.presence.sent_at > 0) {
        const { cursor, status, lead } = state.presence;
        byUser.set(state.user_id, { user_id: state.user_id, cursor, status, online: true, ...(lead ? { lead } : {}) });
      }
    }
    return [...byUser.values()];
  }

  send(socket: WebSocket, message: ServerMessage): void {
    try {
      socket.send(JSON.stringify(message));
    } catch {
      // the socket is closing; its close handler cleans up
    }
  }

  /** Sends a message to every open socket but one (or all of them). */
  broadcast(message: ServerMessage, except: WebSocket | null = null): void {
    this.sendWhere(() => true, message, except);
  }

  /** Sends a message to the open sockets of the users `include` accepts. */
  sendWhere(include: (userId: string) => boolean, message: ServerMessage, except: WebSocket | null = null): void {
    const text = JSON.stringify(message);
    for (const socket of this.port.getWebSockets()) {
      if (socket === except) continue;
      const state = this.stateOf(socket);
      if (!state || !include(state.user_id)) continue;
      try {
        socket.send(text);
      } catch {
        // closing
      }
    }
  }

  /** The socket stops counting and receiving; `onGone` learns of it once. */
  forget(socket: WebSocket): void {
    const state = this.stateOf(socket);
    if (!state) return;
    this.keep(socket, null);
    this.onGone(socket, state);
  }

  /** The client closed its socket: it stops counting, and the close is answered (1005 and 1006 are not sent). */
  closedByClient(socket: WebSocket, code: number, reason: string): void {
    this.forget(socket);
    try {
      socket.close(code === 1005 || code === 1006 ? 1000 : code, reason);
    } catch {
      // already closed
    }
  }

  /**
   * Closes a socket from the object's side. The `closing` message goes first: the runtime sends the close frame at
   * once but keeps a hibernatable socket's connection open until the object is evicted, so clients act on the
   * message. The socket stops counting, and receiving, at once.
   */
  close(socket: WebSocket, code: number, reason: string): void {
    if (!this.stateOf(socket)) return;
    this.send(socket, { type: "closing", code, reason });
    this.forget(socket);
    try {
      socket.close(code, reason);
    } catch {
      // already closed
    }
  }

  closeUser(userId: string, code: number, reason: string): void {
    for (const socket of this.port.getWebSockets(userTag(userId))) this.close(socket, code, reason);
  }

  closeAll(code: number, reason: string): void {
    for (const socket of this.port.getWebSockets()) this.close(socket, code, reason);
  }

  /** An older connection of the same client is dead to it: it gets nothing more and what arrives on it is ignored. */
  supersede(newer: WebSocket, userId: string, clientId: string): void {
    for (const older of this.live(userId)) {
      if (older === newer || this.stateOf(older)?.client_id !== clientId) continue;
      this.forget(older);
      try {
        older.close(CLOSE.superseded, "A newer connection of this client took over");
      } catch {
        // already closed
      }
    }
  }
}
