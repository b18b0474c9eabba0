/**
 * Cloudflare's published prices used to turn counted operations into money (Workers Paid plan, beyond the
 * included amounts, USD), from the pricing pages named in `source`; `as_of` says which published rates these are.
 */
export const PRICES = {
  as_of:
    "the published Workers Paid rates (the SQLite-backed Durable Object storage rates are those billed since January 2026)",
  source: [
    "https://developers.cloudflare.com/durable-objects/platform/pricing/",
    "https://developers.cloudflare.com/d1/platform/pricing/",
    "https://developers.cloudflare.com/r2/pricing/",
  ],
  /** Durable Objects: requests (incoming WebSocket messages count 1/20 of a request). */
  do_request_per_million: 0.15,
  do_websocket_messages_per_request: 20,
  /** SQLite-backed Durable Objects storage. */
  do_rows_written_per_million: 1.0,
  do_rows_read_per_million: 0.001,
  d1_rows_written_per_million: 1.0,
  d1_rows_read_per_million: 0.001,
  /** R2 Class A (put, list, multipart) and Class B (get, head) operations. */
  r2_class_a_per_million: 4.5,
  r2_class_b_per_million: 0.36,
};

const CLASS_A = new Set(["put", "list", "createMultipartUpload", "resumeMultipartUpload"]);
const CLASS_B = new Set(["get", "head"]);

export function r2Classes(operations) {
  let a = 0;
  let b = 0;
  for (const [method, count] of Object.entries(operations ?? {})) {
    if (CLASS_A.has(method)) a += count;
    else if (CLASS_B.has(method)) b += count;
  }
  return { class_a: a, class_b: b };
}

/** Dollars for a set of counted operations. */
export function dollars({
  ws_messages = 0,
  do_rows_written = 0,
  do_rows_read = 0,
  d1_rows_written = 0,
  d1_rows_read = 0,
  r2_class_a = 0,
  r2_class_b = 0,
}) {
  const p = PRICES;
  return (
    ((ws_messages / p.do_websocket_messages_per_request) * p.do_request_per_million +
      do_rows_written * p.do_rows_written_per_million +
      do_rows_read * p.do_rows_read_per_million +
      d1_rows_written * p.d1_rows_written_per_million +
      d1_rows_read * p.d1_rows_read_per_million +
      r2_class_a * p.r2_class_a_per_million +
      r2_class_b * p.r2_class_b_per_million) /
    1e6
  );
}
