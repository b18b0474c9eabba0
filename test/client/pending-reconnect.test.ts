// Tests what a page needs to show saving state and to come back quickly: pendingEdits and `pending`, reconnectNow()
// and dropConnection().
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { withServer } from "./fake-server";
import { connectAll, record, session, settle } from "./harness";

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(() => {
  vi.useRealTimers();
});

describe("RealtimeSession pending edits", () => {
  it("counts the edits in flight and buffered, and announces each change until they are acknowledged", () =>
    withServer("Let it be", { alice: "owner" }, async (server) => {
      const alice = session(server, "alice");
      await connectAll(alice);
      expect(alice.pendingEdits).toBe(0);
      const pending = record(alice, "pending");
      alice.insert(0, "A");
      alice.insert(1, "B");
      expect(alice.pendingEdits).toBe(2);
      await settle();
      expect(alice.pendingEdits).toBe(0);
      expect(alice.synchronized).toBe(true);
      expect(pending.at(0)).toEqual({ count: 1 });
      expect(pending.at(-1)).toEqual({ count: 0 });
      expect(server.text).toBe("ABLet it be");
    }));

  it("keeps edits made while disconnected pending, and sends them after the reconnect", () =>
    withServer("Let it be", { alice: "owner" }, async (server) => {
      const alice = session(server, "alice", { random: () => 0.99, backoff: { initialMs: 60_000, maxMs: 60_000 } });
      await connectAll(alice);
      alice.dropConnection();
      await settle();
      expect(alice.status).toBe("reconnecting");
      alice.insert(0, "X");
      await settle();
      expect(alice.pendingEdits).toBe(1);
      expect(server.text).toBe("Let it be");

      const pending = record(alice, "pending");
      alice.reconnectNow();
      await settle();
      expect(alice.status).toBe("connected");
      expect(alice.pendingEdits).toBe(0);
      expect(pending).toEqual([{ count: 0 }]);
      expect(server.text).toBe("XLet it be");
    }));
});

describe("RealtimeSession.reconnectNow", () => {
  it("skips the backoff wait, and opens no second socket while one is open or being opened", () =>
    withServer("Let it be", { alice: "owner" }, async (server) => {
      const alice = session(server, "alice", { random: () => 0.99, backoff: { initialMs: 60_000, maxMs: 60_000 } });
      await connectAll(alice);
      alice.reconnectNow();
      await settle();
      expect(server.ticketTimes).toHaveLength(1);

      server.connection(alice.clientId).socket.close(1006, "gone");
      await settle();
      expect(alice.status).toBe("reconnecting");
      alice.reconnectNow();
      alice.reconnectNow();
      await settle();
      expect(alice.status).toBe("connected");
      expect(server.ticketTimes).toHaveLength(2);
      expect(server.connections.size).toBe(1);
      // The backoff timer that was skipped does not open another socket later.
      await vi.advanceTimersByTimeAsync(120_000);
      expect(server.ticketTimes).toHaveLength(2);
    }));

  it("does nothing after close()", () =>
    withServer("Let it be", { alice: "owner" }, async (server) => {
      const alice = session(server, "alice");
      await connectAll(alice);
      alice.close();
      alice.reconnectNow();
      await settle();
      expect(alice.status).toBe("closed");
      expect(server.ticketTimes).toHaveLength(1);
    }));
});
