// Tests RealtimeSession (src/client/realtime.ts): connecting, acknowledged edits, roles, comments, presence throttle.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { RealtimeError } from "../../src/client/realtime";
import { withServer } from "./fake-server";
import { connectAll, record, session, settle } from "./harness";

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(() => {
  vi.useRealTimers();
});

describe("RealtimeSession editing", () => {
  it("connects with a ticket and its client id, then gets each edit acknowledged, one op in flight", () =>
    withServer("Amazing grace", { alice: "owner" }, async (server) => {
      const alice = session(server, "alice", { clientId: "tab-1" });
      const statuses = record(alice, "status");
      await connectAll(alice);
      expect(statuses.map((event) => event.status)).toEqual(["connecting", "connected"]);
      expect(server.urls[0]?.searchParams.get("client_id")).toBe("tab-1");
      expect(server.urls[0]?.searchParams.has("since_rev")).toBe(false);
      expect(alice.text).toBe("Amazing grace");
      expect(alice.role).toBe("owner");
      expect(alice.permissions).toContain("edit");

      server.connection("tab-1").socket.outgoing = "hold";
      alice.insert(0, "[G]");
      alice.insert(11, "[C]");
      await settle();
      expect(alice.text).toBe("[G]Amazing [C]grace");
      expect(server.opsFrom("tab-1")).toEqual([{ seq: 1, rev: 0, op: ["[G]"] }]);
      expect(alice.synchronized).toBe(false);

      server.connection("tab-1").socket.release();
      await settle();
      expect(server.opsFrom("tab-1")).toEqual([
        { seq: 1, rev: 0, op: ["[G]"] },
        { seq: 2, rev: 1, op: [11, "[C]"] },
      ]);
      expect(server.text).toBe("[G]Amazing [C]grace");
      expect(alice.rev).toBe(2);
      expect(alice.synchronized).toBe(true);
    }));

  it("makes local edits throw once the role loses `edit`, and accepts them again when it comes back", () =>
    withServer("Let it be", { alice: "owner", bob: "editor" }, async (server) => {
      const alice = session(server, "alice");
      const bob = session(server, "bob");
      await connectAll(alice, bob);
      const roles = record(bob, "role");
      const aliceRoles = record(alice, "role");

      server.setRole("bob", "viewer");
      await settle();
      expect(roles).toEqual([{ role: "viewer", permissions: ["read"] }]);
      expect(bob.role).toBe("viewer");
      expect(aliceRoles).toEqual([]);
      expect(alice.participants.find((entry) => entry.user_id === "bob")?.role).toBe("viewer");
      expect(() => bob.insert(0, "x")).toThrow(RealtimeError);
      expect(() => bob.applyLocal([{ d: 3 }])).toThrow(expect.objectContaining({ code: "FORBIDDEN" }));
      expect(bob.text).toBe("Let it be");
      await settle();
      expect(server.opsFrom(bob.clientId)).toEqual([]);

      server.setRole("bob", "editor");
      await settle();
      bob.insert(9, "!");
      await settle();
      expect(server.text).toBe("Let it be!");
    }));

  it("refuses edits before the first welcome, and client ids the server would refuse", () =>
    withServer("", { alice: "owner" }, (server) => {
      const alice = session(server, "alice");
      expect(alice.clientId).toMatch(/^[0-9a-f-]{36}$/);
      expect(() => alice.insert(0, "x")).toThrow(expect.objectContaining({ code: "NOT_CONNECTED" }));
      expect(() => session(server, "alice", { clientId: "tab 1" })).toThrow(TypeError);
    }));

  it("announces each comment once, those posted while it was away included", () =>
    withServer("Let it be", { alice: "owner", bob: "editor" }, async (server) => {
      const alice = session(server, "alice");
      const bob = session(server, "bob", { backoff: { initialMs: 1_000, maxMs: 1_000 }, random: () => 1 });
      await connectAll(alice, bob);
      const comments = record(bob, "comment");
      alice.comment("one");
      await settle();
      server.connection(bob.clientId).socket.abort();
      await settle();
      expect(bob.status).toBe("reconnecting");
      alice.comment("two");
      await settle();
      await vi.advanceTimersByTimeAsync(1_000);
      await settle();
      expect(bob.status).toBe("connected");
      expect(comments.map((comment) => comment.text)).toEqual(["one", "two"]);
      expect(bob.comments.map((comment) => comment.id)).toEqual([1, 2]);
    }));

  it("sends comments and delivers everyone's comments as events", () =>
    withServer("Let it be", { alice: "owner", carol: "viewer" }, async (server) => {
      const alice = session(server, "alice");
      const carol = session(server, "carol");
      await connectAll(alice, carol);
      const comments = record(carol, "comment");
      alice.comment("Slower here", { from: 0, to: 3 });
      await settle();
      expect(comments).toEqual([
        expect.objectContaining({ user_id: "alice", text: "Slower here", anchor: { from: 0, to: 3 } }),
      ]);
      expect(() => carol.comment("me too")).toThrow(expect.objectContaining({ code: "FORBIDDEN" }));
      expect(() => alice.comment("   ")).toThrow(expect.objectContaining({ code: "INVALID_COMMENT" }));
    }));
});

describe("RealtimeSession presence", () => {
  it("sends at most one presence per 50 ms, and the latest one last", () =>
    withServer("Let it be", { alice: "owner", bob: "editor" }, async (server) => {
      const alice = session(server, "alice");
      const bob = session(server, "bob");
      await connectAll(alice, bob);
      const sent = () => server.framesFrom(alice.clientId, "presence");

      alice.setPresence({ anchor: 0, head: 0 });
      alice.setPresence({ anchor: 1, head: 1 });
      alice.setPresence({ anchor: 2, head: 2 }, "idle");
      await settle();
      expect(sent()).toEqual([{ type: "presence", cursor: { anchor: 0, head: 0 } }]);
      await vi.advanceTimersByTimeAsync(49);
      expect(sent()).toHaveLength(1);
      await vi.advanceTimersByTimeAsync(1);
      expect(sent()).toEqual([
        { type: "presence", cursor: { anchor: 0, head: 0 } },
        { type: "presence", cursor: { anchor: 2, head: 2 }, status: "idle" },
      ]);
      await vi.advanceTimersByTimeAsync(500);
      expect(sent()).toHaveLength(2);
      expect(bob.presence.get("alice")).toMatchObject({ cursor: { anchor: 2, head: 2 }, status: "idle" });
    }));
});

describe("RealtimeSession handing the lead", () => {
  it("sends the lead once, keeps it through a reconnect, and shows it in the owner's presence", () =>
    withServer("Let it be", { alice: "owner", bob: "editor" }, async (server) => {
      const alice = session(server, "alice", { backoff: { initialMs: 1_000, maxMs: 1_000 }, random: () => 1 });
      const bob = session(server, "bob");
      await connectAll(alice, bob);
      const sent = () => server.framesFrom(alice.clientId, "presence");

      expect(() => bob.handLead("alice")).toThrow(expect.objectContaining({ code: "FORBIDDEN" }));
      alice.handLead("bob");
      await settle();
      expect(alice.lead).toBe("bob");
      expect(sent()).toEqual([{ type: "presence", cursor: null, lead: "bob" }]);
      expect(bob.presence.get("alice")).toMatchObject({ lead: "bob" });
      await vi.advanceTimersByTimeAsync(100);
      alice.setPresence({ anchor: 2, head: 2 });
      await settle();
      // Later presence leaves the lead as it is: the server keeps it.
      expect(sent().at(-1)).toEqual({ type: "presence", cursor: { anchor: 2, head: 2 } });

      server.connection(alice.clientId).socket.abort();
      await settle();
      await vi.advanceTimersByTimeAsync(1_000);
      await settle();
      expect(alice.status).toBe("connected");
      // A new connection starts without it, so it goes again.
      expect(sent().at(-1)).toEqual({ type: "presence", cursor: { anchor: 2, head: 2 }, lead: "bob" });

      await vi.advanceTimersByTimeAsync(100);
      alice.handLead("alice");
      await settle();
      expect(alice.lead).toBeNull();
      expect(sent().at(-1)).toEqual({ type: "presence", cursor: { anchor: 2, head: 2 }, lead: null });
    }));

  it("forgets the lead it handed once it no longer runs the session", () =>
    withServer("Let it be", { alice: "owner", bob: "editor" }, async (server) => {
      const alice = session(server, "alice");
      const bob = session(server, "bob");
      await connectAll(alice, bob);
      alice.handLead("bob");
      await settle();
      server.setRole("alice", "editor");
      await settle();
      expect(alice.lead).toBeNull();
      expect(() => alice.handLead("bob")).toThrow(expect.objectContaining({ code: "FORBIDDEN" }));
    }));
});

describe("RealtimeSession presence around its own edits", () => {
  it("sends a cursor placed on unacknowledged edits again once they are applied, moved with others' edits", () =>
    withServer("Let it be", { alice: "owner", bob: "editor" }, async (server) => {
      const alice = session(server, "alice");
      const bob = session(server, "bob");
      await connectAll(alice, bob);
      const sent = () => server.framesFrom(alice.clientId, "presence");
      // Alice selects what she just typed before the server has it; Bob types at the start meanwhile.
      alice.insert(9, " now");
      alice.setPresence({ anchor: 13, head: 9 });
      bob.insert(0, "Oh ");
      await settle();
      await vi.advanceTimersByTimeAsync(100);
      await settle();
      expect(alice.text).toBe("Oh Let it be now");
      expect(sent()).toEqual([
        { type: "presence", cursor: { anchor: 13, head: 9 } },
        { type: "presence", cursor: { anchor: 16, head: 12 } },
      ]);
      expect(bob.presence.get("alice")?.cursor).toEqual({ anchor: 16, head: 12 });
    }));
});
