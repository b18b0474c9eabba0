// Tests the connection state machine (src/client/connection.ts): tickets, backoff, final codes, `closing`, heartbeat.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { withServer } from "./fake-server";
import { connectAll, FINAL_CLOSE_CODES, record, session, settle } from "./harness";

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(() => {
  vi.useRealTimers();
});

describe("RealtimeSession reconnecting", () => {
  it.each(FINAL_CLOSE_CODES)("stops for good on close code %i", (code) =>
    withServer("Let it be", { alice: "owner" }, async (server) => {
      const alice = session(server, "alice");
      await connectAll(alice);
      const statuses = record(alice, "status");
      server.connection(alice.clientId).socket.close(code, "bye");
      await settle();
      await vi.advanceTimersByTimeAsync(10 * 60_000);
      expect(statuses).toEqual([{ status: "closed", code, reason: "bye", terminal: true }]);
      expect(server.ticketTimes).toHaveLength(1);
      expect(alice.status).toBe("closed");
    }),
  );

  it("rejects connect() when the first connection is refused for good", () =>
    withServer("Let it be", { alice: "owner" }, async (server) => {
      server.refuseNext.push(4404);
      const alice = session(server, "alice");
      const ready = alice.connect();
      await settle();
      await expect(ready).rejects.toMatchObject({ code: "CLOSED", closeCode: 4404 });
      expect(server.ticketTimes).toHaveLength(1);
    }));

  it("treats a refused ticket request as final", () =>
    withServer("Let it be", { alice: "owner" }, async (server) => {
      const mallory = session(server, "mallory");
      const errors = record(mallory, "error");
      const ready = mallory.connect();
      await settle();
      await expect(ready).rejects.toMatchObject({ closeCode: 4403 });
      expect(errors).toEqual([{ code: "FORBIDDEN", message: "Not a participant" }]);
      expect(server.urls).toHaveLength(0);
    }));

  it.each([4401, 1006, 4409])(
    "reconnects after %i with a fresh ticket and exponential backoff with full jitter",
    (code) =>
      withServer("Let it be", { alice: "owner" }, async (server) => {
        const alice = session(server, "alice", { backoff: { initialMs: 100, maxMs: 1_000 }, random: () => 0.5 });
        await connectAll(alice);
        const statuses = record(alice, "status");
        server.refuseNext.push(code, code, code, code, code);
        const connection = server.connection(alice.clientId);
        if (code === 1006) connection.socket.abort();
        else connection.socket.close(code, "again");
        await settle();

        // Half of min(1000, 100 * 2^attempt): the ceiling doubles, then stays at the maximum.
        const expected = [50, 100, 200, 400, 500, 500];
        for (const delay of expected) {
          const tickets = server.ticketTimes.length;
          await vi.advanceTimersByTimeAsync(delay - 1);
          expect(server.ticketTimes).toHaveLength(tickets);
          await vi.advanceTimersByTimeAsync(1);
          await settle();
          expect(server.ticketTimes).toHaveLength(tickets + 1);
        }
        const delays = statuses.flatMap((event) => (event.status === "reconnecting" ? [event.delayMs] : []));
        expect(delays).toEqual(expected);
        expect(
          statuses
            .filter((event) => event.status === "reconnecting")
            .every((event) => "code" in event && event.code === code),
        ).toBe(true);
        expect(alice.status).toBe("connected");
        expect(new Set(server.urls.map((url) => url.searchParams.get("ticket"))).size).toBe(server.urls.length);

        // A welcome resets the backoff.
        server.connection(alice.clientId).socket.abort();
        await settle();
        expect(statuses.at(-1)).toMatchObject({ status: "reconnecting", delayMs: 50, attempt: 1 });
      }),
  );

  it("keeps every delay within [0, maxMs) whatever the jitter", () =>
    withServer("", { alice: "owner" }, async (server) => {
      const alice = session(server, "alice", { backoff: { initialMs: 100, maxMs: 1_000 }, random: () => 0.999_999 });
      await connectAll(alice);
      const statuses = record(alice, "status");
      server.refuseNext.push(...Array.from({ length: 40 }, () => 1006));
      server.connection(alice.clientId).socket.abort();
      await settle();
      for (let second = 0; second < 60; second++) {
        await vi.advanceTimersByTimeAsync(1_000);
        await settle();
      }
      const delays = statuses.flatMap((event) => (event.status === "reconnecting" ? [event.delayMs] : []));
      expect(alice.status).toBe("connected");
      expect(delays.slice(0, 5)).toEqual([99, 199, 399, 799, 999]);
      expect(delays.length).toBeGreaterThan(40);
      expect(Math.max(...delays)).toBe(999);
    }));

  it.each([
    [409, "TOO_MANY_CONNECTIONS", null],
    [401, "UNAUTHORIZED", null],
    [503, "UNAVAILABLE", null],
    [409, "SESSION_NOT_ACTIVE", 4410],
    [404, "NOT_FOUND", 4404],
  ])("after a ticket refusal %i %s, retries or stops (%s)", (status, code, closeCode) =>
    withServer("Let it be", { alice: "owner" }, async (server) => {
      server.ticketRefusals.push({ status, code });
      const getToken = vi.fn(() => "alice");
      const alice = session(server, "alice", { getToken });
      const errors = record(alice, "error");
      const ready = alice.connect();
      await settle();
      expect(errors).toEqual([{ code, message: `Refused: ${code}` }]);
      if (closeCode === null) {
        await ready;
        expect(server.ticketTimes).toHaveLength(2);
        expect(getToken).toHaveBeenCalledTimes(2);
      } else {
        await expect(ready).rejects.toMatchObject({ code: "CLOSED", closeCode });
        expect(alice.status).toBe("closed");
        expect(server.ticketTimes).toHaveLength(1);
      }
    }),
  );

  it("gives up a connection that never sends its welcome, and retries a token that could not be had", () =>
    withServer("Let it be", { alice: "owner" }, async (server) => {
      server.withholdWelcomes = 1;
      let tokenFails = true;
      const getToken = () => {
        if (tokenFails) {
          tokenFails = false;
          throw new Error("signed out");
        }
        return "alice";
      };
      const alice = session(server, "alice", { getToken, heartbeatMs: 1_000 });
      const statuses = record(alice, "status");
      const errors = record(alice, "error");
      const ready = alice.connect();
      await settle();
      expect(errors).toEqual([{ code: "TOKEN_UNAVAILABLE", message: "signed out" }]);
      expect(server.urls).toHaveLength(1);
      expect(alice.status).toBe("connecting");
      await vi.advanceTimersByTimeAsync(2_001);
      await settle();
      await ready;
      expect(statuses.map((event) => event.status)).toEqual([
        "connecting",
        "reconnecting",
        "connecting",
        "reconnecting",
        "connecting",
        "connected",
      ]);
      expect(server.urls).toHaveLength(2);
    }));

  it("gives up a ticket request that never answers after connectTimeoutMs, aborts it, and tries again", () =>
    withServer("Let it be", { alice: "owner" }, async (server) => {
      server.stallTickets = 1;
      const alice = session(server, "alice", { connectTimeoutMs: 5_000 });
      const statuses = record(alice, "status");
      const ready = alice.connect();
      await vi.advanceTimersByTimeAsync(4_999);
      expect(alice.status).toBe("connecting");
      expect(server.ticketTimes).toHaveLength(1);
      // The retry, with no jitter wait, is set inside the deadline's timer: it runs a millisecond later.
      await vi.advanceTimersByTimeAsync(2);
      await settle();
      await ready;
      expect(statuses.map((event) => event.status)).toEqual(["connecting", "reconnecting", "connecting", "connected"]);
      expect(statuses[1]).toMatchObject({ code: 4000, reason: "no answer within 5 s" });
      expect(server.abortedTickets).toBe(1);
      expect(server.ticketTimes).toHaveLength(2);
    }));

  it("gives up a handshake that never completes, but not an open socket still waiting for its welcome", () =>
    withServer("Let it be", { alice: "owner" }, async (server) => {
      server.stallHandshakes = 1;
      const alice = session(server, "alice", { connectTimeoutMs: 5_000 });
      const statuses = record(alice, "status");
      const ready = alice.connect();
      await vi.advanceTimersByTimeAsync(5_001);
      await settle();
      await ready;
      expect(statuses.map((event) => event.status)).toEqual(["connecting", "reconnecting", "connecting", "connected"]);
      expect(server.urls).toHaveLength(2);

      // Open and silent (a large welcome on a slow link looks the same): the deadline leaves it be.
      server.withholdWelcomes = 1;
      server.close(server.connection(alice.clientId).socket, 1012, "restarting");
      await settle();
      await vi.advanceTimersByTimeAsync(60_000);
      expect(alice.status).toBe("connecting");
      expect(server.urls).toHaveLength(3);
      alice.close();
    }));

  it("stops waiting for a stalled ticket request on close(), and never connects after it", () =>
    withServer("Let it be", { alice: "owner" }, async (server) => {
      server.stallTickets = 1;
      const alice = session(server, "alice", { connectTimeoutMs: 5_000 });
      void alice.connect();
      await settle();
      alice.close();
      await settle();
      expect(server.abortedTickets).toBe(1);
      await vi.advanceTimersByTimeAsync(60_000);
      expect(alice.status).toBe("closed");
      expect(server.ticketTimes).toHaveLength(1);
    }));

  it("does not reconnect after close()", () =>
    withServer("Let it be", { alice: "owner" }, async (server) => {
      const alice = session(server, "alice");
      await connectAll(alice);
      const statuses = record(alice, "status");
      alice.close();
      await settle();
      await vi.advanceTimersByTimeAsync(60_000);
      expect(statuses).toEqual([{ status: "closed", code: 1000, reason: "closed by client", terminal: false }]);
      expect(server.connections.size).toBe(0);
      expect(server.ticketTimes).toHaveLength(1);
    }));

  it("drops a connection that stops answering pings, and resumes", () =>
    withServer("Let it be", { alice: "owner" }, async (server) => {
      const alice = session(server, "alice", { heartbeatMs: 1_000 });
      await connectAll(alice);
      await vi.advanceTimersByTimeAsync(5_000);
      expect(server.framesFrom(alice.clientId, "ping").length).toBeGreaterThanOrEqual(4);
      expect(server.ticketTimes).toHaveLength(1);

      server.answerPings = false;
      const statuses = record(alice, "status");
      await vi.advanceTimersByTimeAsync(1_999);
      expect(statuses).toEqual([]);
      // A zero delay set inside a timer callback runs a millisecond later under fake timers.
      await vi.advanceTimersByTimeAsync(2);
      await settle();
      expect(statuses[0]).toMatchObject({ status: "reconnecting", code: 4000 });
      expect(alice.status).toBe("connected");
      expect(server.urls.at(-1)?.searchParams.get("since_rev")).toBe("0");
    }));
});

/** How long workerd may keep a connection it closed before Node's `ws` sees the close. */
const LINGER_MS = 30_000;

describe("RealtimeSession when the server announces a close", () => {
  it.each(FINAL_CLOSE_CODES)("stops for good on `closing` %i at once, not when the close arrives", (code) =>
    withServer("Let it be", { alice: "owner" }, async (server) => {
      const alice = session(server, "alice");
      await connectAll(alice);
      const statuses = record(alice, "status");
      server.announceClosesMs = LINGER_MS;
      server.close(server.connection(alice.clientId).socket, code, "You were removed from the session");
      await settle();
      expect(statuses).toEqual([
        { status: "closed", code, reason: "You were removed from the session", terminal: true },
      ]);
      expect(alice.status).toBe("closed");

      // The close itself comes much later and changes nothing.
      await vi.advanceTimersByTimeAsync(LINGER_MS + 1);
      await settle();
      expect(statuses).toHaveLength(1);
      expect(server.ticketTimes).toHaveLength(1);
      expect(server.connections.size).toBe(0);
    }),
  );

  it.each([4409, 4401])("reconnects at once on `closing` %i, and only once", (code) =>
    withServer("Let it be", { alice: "owner" }, async (server) => {
      const alice = session(server, "alice");
      await connectAll(alice);
      const statuses = record(alice, "status");
      server.announceClosesMs = LINGER_MS;
      server.close(server.connection(alice.clientId).socket, code, "again");
      await settle();
      expect(statuses.map((event) => event.status)).toEqual(["reconnecting", "connecting", "connected"]);
      expect(statuses[0]).toMatchObject({ code, reason: "again", attempt: 1 });
      expect(server.ticketTimes).toHaveLength(2);

      await vi.advanceTimersByTimeAsync(LINGER_MS + 1);
      await settle();
      expect(statuses).toHaveLength(3);
      expect(server.ticketTimes).toHaveLength(2);
      expect(alice.status).toBe("connected");
      alice.insert(9, "!");
      await settle();
      expect(server.text).toBe("Let it be!");
    }),
  );

  it("acts on a `closing` that comes instead of a welcome", () =>
    withServer("Let it be", { alice: "owner" }, async (server) => {
      server.announceClosesMs = LINGER_MS;
      server.refuseNext.push(4409);
      const alice = session(server, "alice");
      const statuses = record(alice, "status");
      await connectAll(alice);
      expect(statuses.map((event) => event.status)).toEqual(["connecting", "reconnecting", "connecting", "connected"]);
      expect(statuses[1]).toMatchObject({ code: 4409, reason: "refused" });

      const refused = record(alice, "status");
      server.refuseNext.push(4404);
      server.connection(alice.clientId).socket.abort();
      await settle();
      expect(refused.at(-1)).toEqual({ status: "closed", code: 4404, reason: "refused", terminal: true });
    }));

  it("starts over at once after `closing` 1009, reporting the op the server refused", () =>
    withServer("Let it be", { alice: "owner" }, async (server) => {
      const alice = session(server, "alice");
      await connectAll(alice);
      const lost = record(alice, "lost_edits");
      server.connection(alice.clientId).socket.peer.outgoing = "drop";
      alice.insert(0, "big");
      server.announceClosesMs = LINGER_MS;
      server.close(server.connection(alice.clientId).socket, 1009, "too big");
      await settle();
      expect(lost).toEqual([{ ops: [["big"]], text: "bigLet it be", reason: "MESSAGE_TOO_BIG" }]);
      expect(alice.text).toBe("Let it be");
      expect(alice.status).toBe("connected");
      await vi.advanceTimersByTimeAsync(LINGER_MS + 1);
      await settle();
      expect(lost).toHaveLength(1);
      expect(server.ticketTimes).toHaveLength(2);
    }));
});
