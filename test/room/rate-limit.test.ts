/** The token bucket per connection: a burst of three seconds' worth, refilled continuously. */
import { describe, expect, it } from "vitest";
import { burstSize, messagesPerSecond, takeToken } from "../../src/room/rate-limit";

describe("rate-limit", () => {
  it("lets a full burst through, then refuses until time refills it", () => {
    const bucket = { tokens: burstSize(10), refilled_at: 0 };
    let taken = 0;
    while (takeToken(bucket, 0, 10)) taken += 1;
    expect(taken).toBe(30);
    expect(takeToken(bucket, 50, 10)).toBe(false);
    expect(takeToken(bucket, 100, 10)).toBe(true);
  });

  it("never holds more than a burst, however long the connection was quiet", () => {
    const bucket = { tokens: 0, refilled_at: 0 };
    takeToken(bucket, 3_600_000, 10);
    expect(bucket.tokens).toBe(29);
  });

  it("reads the configured rate, 40 when unset or not a positive number", () => {
    expect(messagesPerSecond("400")).toBe(400);
    for (const configured of [undefined, "", "0", "-5", "many"]) expect(messagesPerSecond(configured)).toBe(40);
  });
});
