/** Percentiles, latency summaries, ratios and how figures are printed. */
import { round } from "./proc.mjs";

export function percentile(sorted, p) {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

/** n, mean, p50, p95, p99 and max of a list of milliseconds (rounded to 0.01 ms). */
export function summarize(values) {
  const sorted = Float64Array.from(values).sort();
  const n = sorted.length;
  let total = 0;
  for (const value of sorted) total += value;
  return {
    n,
    mean: n ? round(total / n) : null,
    p50: n ? round(percentile(sorted, 50)) : null,
    p95: n ? round(percentile(sorted, 95)) : null,
    p99: n ? round(percentile(sorted, 99)) : null,
    max: n ? round(sorted[n - 1]) : null,
  };
}

/** Cumulative distribution at fixed quantiles, for the chart (log-spaced toward the tail). */
export function quantiles(values) {
  const sorted = Float64Array.from(values).sort();
  const points = [];
  for (const q of [1, 5, 10, 20, 30, 40, 50, 60, 70, 80, 90, 95, 97, 98, 99, 99.5, 99.9]) {
    if (sorted.length) points.push([q, round(percentile(sorted, q), 3)]);
  }
  return points;
}

export function ratio(a, b, digits = 2) {
  if (!Number.isFinite(a) || !Number.isFinite(b) || b === 0) return null;
  return round(a / b, digits);
}

/** A count with thousands separators (10,000), or – when there is none. */
export const thousands = (value) => (Number.isFinite(value) ? value.toLocaleString("en-US") : "–");

/** A figure for a table: rounded to `digits`, or a dash when there is none. */
export const fmt = (value, digits = 1) =>
  value === null || value === undefined || Number.isNaN(value)
    ? "–"
    : typeof value === "number"
      ? String(round(value, digits))
      : String(value);
