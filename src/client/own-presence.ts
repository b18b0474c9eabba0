/**
 * This user's own presence as the server should see it: the cursor and status they share and the lead they handed,
 * sent at most once per 50 ms with the latest value last, sent again on a new connection, after a message dropped
 * for flooding, and once the edits it was placed on have all been applied; the cursor moves with remote changes.
 */
import type { ClientMessage, PresenceStatus } from "../domain/protocol";
import { cancel, type Timer } from "./connection";
import { type Cursor, type TextOp, transformCursor } from "./ot-client";

const PRESENCE_INTERVAL_MS = 50;

type PresenceMessage = Extract<ClientMessage, { type: "presence" }>;

export interface OwnPresencePort {
  /** A connection is open and welcomed: messages may go. */
  live(): boolean;
  /** Every local edit has been applied by the server. */
  synchronized(): boolean;
  send(message: PresenceMessage): void;
}

export class OwnPresence {
  readonly #port: OwnPresencePort;
  #shared: { cursor: Cursor | null; status?: PresenceStatus } | null = null;
  #dirty = false;
  /** Whom this user has handed the lead to (null: nobody, they lead), and whether this connection has been told. */
  #lead: string | null = null;
  #leadUnsent = false;
  /** The last message sent was placed on edits the server had not applied yet. */
  #aheadOfServer = false;
  #sentAt = Number.NEGATIVE_INFINITY;
  #timer: Timer | null = null;

  constructor(port: OwnPresencePort) {
    this.#port = port;
  }

  get lead(): string | null {
    return this.#lead;
  }

  set(cursor: Cursor | null, status?: PresenceStatus): void {
    this.#shared = status === undefined ? { cursor } : { cursor, status };
    this.#markDirty();
  }

  /** Hands the lead to `lead`, or takes it back with null; the caller has checked the right to. */
  handLead(lead: string | null): void {
    if (lead === this.#lead) return;
    this.#lead = lead;
    this.#leadUnsent = true;
    this.#shared ??= { cursor: null };
    this.#markDirty();
  }

  /** This user no longer runs the session: the server lets their lead lapse, and so does this client. */
  dropLead(): void {
    this.#lead = null;
    this.#leadUnsent = false;
  }

  /** A new connection: the others lost this user's cursor and lead with the old one. */
  welcomed(): void {
    if (this.#lead !== null) {
      this.#leadUnsent = true;
      this.#shared ??= { cursor: null };
    }
    this.resend();
  }

  /** The server dropped a message for flooding, perhaps this one: send it again. */
  resend(): void {
    if (this.#shared) this.#markDirty();
    else this.#flush();
  }

  /**
   * An edit of this user's was acknowledged. A cursor sent while their edits were on their way counts positions in
   * text the others did not have yet (a selection made just after typing reached them shifted): once every edit is
   * applied, the same cursor goes again, on the text everyone shares.
   */
  acknowledged(): void {
    if (!this.#aheadOfServer || !this.#port.synchronized() || !this.#shared) return;
    this.#aheadOfServer = false;
    this.#markDirty();
  }

  /** The text changed under the cursor (`op` came from the server): the cursor moves with it. */
  shift(op: TextOp): void {
    if (this.#shared?.cursor) {
      this.#shared = { ...this.#shared, cursor: transformCursor(this.#shared.cursor, op, false) };
    }
  }

  stop(): void {
    this.#timer = cancel(this.#timer);
  }

  #markDirty(): void {
    this.#dirty = true;
    this.#flush();
  }

  #flush(): void {
    if (!this.#dirty || this.#timer !== null || !this.#port.live() || !this.#shared) return;
    const wait = this.#sentAt + PRESENCE_INTERVAL_MS - Date.now();
    if (wait > 0) {
      this.#timer = setTimeout(() => {
        this.#timer = null;
        this.#flush();
      }, wait);
      return;
    }
    this.#dirty = false;
    this.#sentAt = Date.now();
    this.#port.send({ type: "presence", ...this.#shared, ...(this.#leadUnsent ? { lead: this.#lead } : {}) });
    this.#leadUnsent = false;
    this.#aheadOfServer = !this.#port.synchronized();
  }
}
