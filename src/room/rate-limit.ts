/** A token bucket per connection (pure): a burst of three seconds' worth of messages, refilled continuously. */

export interface Bucket {
  tokens: number;
  refilled_at: number;
}

export function burstSize(messagesPerSecond: number): number {
  return messagesPerSecond * 3;
}

/** Takes one token from the bucket at `now` (ms), refilling it first; false when it is empty. */
export function takeToken(bucket: Bucket, now: number, messagesPerSecond: number): boolean {
  const refilled = bucket.tokens + ((now - bucket.refilled_at) / 1000) * messagesPerSecond;
  bucket.tokens = Math.min(burstSize(messagesPerSecond), refilled);
  bucket.refilled_at = now;
  if (bucket.tokens < 1) return false;
  bucket.tokens -= 1;
  return true;
}

/** The configured sustained rate (WS_MESSAGES_PER_SECOND), 40 when unset or not a positive number. */
export function messagesPerSecond(configured: string | undefined): number {
  const rate = Number(configured);
  return Number.isFinite(rate) && rate > 0 ? rate : 40;
}
