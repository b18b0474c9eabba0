/** The upgrade request the Worker sends the session's object: the actor and parameters survive the trip, typed. */
import { describe, expect, it } from "vitest";
import type { Admission } from "../../src/room/realtime";
import { readUpgrade, upgradeRequest } from "../../src/room/upgrade-request";

const admission: Admission = {
  actor: { userId: "user-1", email: "ann@example.com", name: 'Ann & Co = "us"', isAdmin: false },
  clientId: "tab_1",
  ticketId: "ticket-id",
  sinceRev: 42,
};

describe("upgrade-request", () => {
  it("carries the actor and the parameters as written", () => {
    expect(readUpgrade(upgradeRequest(admission))).toEqual(admission);
  });

  it("keeps what is absent absent: no email, no name, no ticket, no revision; an admin stays an admin", () => {
    const bare: Admission = {
      actor: { userId: "u", email: null, name: null, isAdmin: true },
      clientId: "c",
      ticketId: "",
      sinceRev: null,
    };
    expect(readUpgrade(upgradeRequest(bare))).toEqual(bare);
    expect(readUpgrade(upgradeRequest({ ...bare, sinceRev: 0 }))?.sinceRev).toBe(0);
  });

  it("reads nothing from a request that is not an upgrade, or that names no user or client", () => {
    const request = upgradeRequest(admission);
    expect(readUpgrade(new Request(request.url))).toBeNull();
    const url = new URL(request.url);
    url.searchParams.delete("user_id");
    expect(readUpgrade(new Request(url, { headers: { Upgrade: "websocket" } }))).toBeNull();
    const elsewhere = new URL(request.url);
    elsewhere.pathname = "/other";
    expect(readUpgrade(new Request(elsewhere, { headers: { Upgrade: "websocket" } }))).toBeNull();
  });

  it("sends no header but Upgrade: the actor travels in the URL only", () => {
    const request = upgradeRequest(admission);
    expect([...request.headers.keys()]).toEqual(["upgrade"]);
  });
});
