/**
 * The one request the Worker sends the session's object instead of an RPC call: the WebSocket upgrade (a WebSocket
 * cannot be returned over RPC). The verified actor and the upgrade's parameters travel as typed fields of the
 * internal URL, written and read only here.
 */
import type { Actor } from "../domain/actor";
import type { Admission } from "./realtime";

const ORIGIN = "https://session-room";
const PATH = "/ws";

export function upgradeRequest({ actor, clientId, ticketId, sinceRev }: Admission): Request {
  const url = new URL(PATH, ORIGIN);
  const fields: Record<string, string | null> = {
    user_id: actor.userId,
    email: actor.email,
    name: actor.name,
    admin: actor.isAdmin ? "1" : null,
    client_id: clientId,
    ticket_id: ticketId || null,
    since_rev: sinceRev === null ? null : String(sinceRev),
  };
  for (const [key, value] of Object.entries(fields)) if (value !== null) url.searchParams.set(key, value);
  return new Request(url, { headers: { Upgrade: "websocket" } });
}

/** The admission an upgrade request carries; null for anything else. */
export function readUpgrade(request: Request): Admission | null {
  const url = new URL(request.url);
  const field = (key: string) => url.searchParams.get(key);
  const userId = field("user_id");
  const clientId = field("client_id");
  if (url.pathname !== PATH || request.headers.get("Upgrade") !== "websocket" || !userId || !clientId) return null;
  const actor: Actor = { userId, email: field("email"), name: field("name"), isAdmin: field("admin") === "1" };
  const sinceRev = field("since_rev");
  return { actor, clientId, ticketId: field("ticket_id") ?? "", sinceRev: sinceRev === null ? null : Number(sinceRev) };
}
