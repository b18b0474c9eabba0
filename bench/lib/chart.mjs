/**
 * The SVG chart of the benchmark, drawn by hand: (a) the rehearsal's latency distributions, latency (log scale)
 * against percentile on a "nines" scale, ack and broadcast for each system; (b) the saturation curve, sustained
 * ops/s against the number of closed-loop editors.
 */
const COLORS = { ours: "#d6336c", relay: "#1c7ed6", relay_store: "#74c0fc", hocuspocus: "#2f9e44" };
const LABELS = { ours: "ChordMe", relay: "relay", relay_store: "relay + SQLite insert", hocuspocus: "Hocuspocus" };

const escapeXml = (text) => String(text).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
const fixed = (value) => Number(value.toFixed(1));

function axisTicks(min, max) {
  const ticks = [];
  for (let exponent = Math.floor(Math.log10(min)); exponent <= Math.ceil(Math.log10(max)); exponent++) {
    for (const mantissa of [1, 2, 5]) {
      const value = mantissa * 10 ** exponent;
      if (value >= min * 0.999 && value <= max * 1.001) ticks.push(value);
    }
  }
  return ticks;
}

function latencyPanel(rehearsal, x0, y0, width, height) {
  const parts = [];
  const series = [];
  for (const [key, run] of Object.entries(rehearsal ?? {})) {
    if (!run?.quantiles) continue;
    series.push({ key, kind: "broadcast", points: run.quantiles.broadcast });
    series.push({ key, kind: "ack", points: run.quantiles.ack });
  }
  const values = series.flatMap((line) => line.points.map(([, ms]) => ms)).filter((ms) => ms > 0);
  if (values.length === 0) return "";
  const yMin = 10 ** Math.floor(Math.log10(Math.max(0.05, Math.min(...values))));
  const yMax = 10 ** Math.ceil(Math.log10(Math.max(...values)));
  const nines = (q) => -Math.log10(1 - q / 100);
  const xMax = nines(99.9);
  const sx = (q) => x0 + (nines(q) / xMax) * width;
  const sy = (ms) =>
    y0 + height - ((Math.log10(Math.max(ms, yMin)) - Math.log10(yMin)) / Math.log10(yMax / yMin)) * height;
  parts.push(
    `<text x="${x0}" y="${y0 - 14}" class="title">Rehearsal: latency by percentile (8 editors at 5 ops/s, 24 viewers)</text>`,
  );
  for (const tick of axisTicks(yMin, yMax)) {
    const y = fixed(sy(tick));
    parts.push(`<line x1="${x0}" x2="${x0 + width}" y1="${y}" y2="${y}" class="grid"/>`);
    parts.push(`<text x="${x0 - 6}" y="${y + 4}" class="tick" text-anchor="end">${tick} ms</text>`);
  }
  for (const q of [50, 90, 99, 99.9]) {
    const x = fixed(sx(q));
    parts.push(`<line x1="${x}" x2="${x}" y1="${y0}" y2="${y0 + height}" class="grid"/>`);
    parts.push(`<text x="${x}" y="${y0 + height + 16}" class="tick" text-anchor="middle">p${q}</text>`);
  }
  parts.push(`<rect x="${x0}" y="${y0}" width="${width}" height="${height}" class="frame"/>`);
  for (const line of series) {
    const d = line.points.map(([q, ms], index) => `${index ? "L" : "M"}${fixed(sx(q))},${fixed(sy(ms))}`).join(" ");
    const dash = line.kind === "ack" ? ' stroke-dasharray="5 4"' : "";
    parts.push(`<path d="${d}" stroke="${COLORS[line.key] ?? "#555"}" class="line"${dash}/>`);
  }
  const shown = Object.keys(rehearsal ?? {}).filter((key) => rehearsal[key]?.quantiles);
  parts.push(`<rect x="${x0 + 4}" y="${y0 + 4}" width="190" height="${shown.length * 18 + 44}" class="legendbox"/>`);
  let ly = y0 + 8;
  for (const key of Object.keys(rehearsal ?? {})) {
    if (!rehearsal[key]?.quantiles) continue;
    parts.push(
      `<line x1="${x0 + 10}" x2="${x0 + 34}" y1="${ly + 6}" y2="${ly + 6}" stroke="${COLORS[key]}" class="line"/>`,
      `<text x="${x0 + 40}" y="${ly + 10}" class="legend">${escapeXml(LABELS[key] ?? key)}</text>`,
    );
    ly += 18;
  }
  parts.push(
    `<text x="${x0 + 10}" y="${ly + 10}" class="legend">solid: broadcast to each other</text>`,
    `<text x="${x0 + 10}" y="${ly + 28}" class="legend">client; dashed: ack</text>`,
  );
  return parts.join("\n");
}

function saturationPanel(saturation, x0, y0, width, height) {
  const parts = [];
  const entries = Object.entries(saturation ?? {}).filter(([, run]) => run?.steps?.length);
  if (entries.length === 0) return "";
  const editors = [...new Set(entries.flatMap(([, run]) => run.steps.map((step) => step.editors)))].sort(
    (a, b) => a - b,
  );
  const yMax = Math.max(1, ...entries.flatMap(([, run]) => run.steps.map((step) => step.ops_per_s)));
  const top = 10 ** Math.floor(Math.log10(yMax));
  const yLimit = Math.ceil(yMax / top) * top;
  const xMin = Math.log2(editors[0]);
  const xSpan = Math.max(1, Math.log2(editors[editors.length - 1]) - xMin);
  const sx = (n) => x0 + ((Math.log2(n) - xMin) / xSpan) * width;
  const sy = (value) => y0 + height - (value / yLimit) * height;
  parts.push(
    `<text x="${x0}" y="${y0 - 14}" class="title">Saturation: acked ops/s of one room, closed-loop editors</text>`,
  );
  for (let value = 0; value <= yLimit; value += yLimit / 5) {
    const y = fixed(sy(value));
    parts.push(`<line x1="${x0}" x2="${x0 + width}" y1="${y}" y2="${y}" class="grid"/>`);
    parts.push(`<text x="${x0 - 6}" y="${y + 4}" class="tick" text-anchor="end">${Math.round(value)}</text>`);
  }
  for (const n of editors) {
    const x = fixed(sx(n));
    parts.push(`<text x="${x}" y="${y0 + height + 16}" class="tick" text-anchor="middle">${n}</text>`);
  }
  parts.push(
    `<text x="${x0 + width / 2}" y="${y0 + height + 32}" class="tick" text-anchor="middle">editors (each sends its next op when the last is acked)</text>`,
  );
  parts.push(`<rect x="${x0}" y="${y0}" width="${width}" height="${height}" class="frame"/>`);
  for (const [key, run] of entries) {
    const d = run.steps
      .map((step, index) => `${index ? "L" : "M"}${fixed(sx(step.editors))},${fixed(sy(step.ops_per_s))}`)
      .join(" ");
    parts.push(`<path d="${d}" stroke="${COLORS[key] ?? "#555"}" class="line"/>`);
    for (const step of run.steps) {
      const over = step.ack.p99 === null || step.ack.p99 >= (run.p99_limit_ms ?? 100);
      parts.push(
        `<circle cx="${fixed(sx(step.editors))}" cy="${fixed(sy(step.ops_per_s))}" r="3.5" fill="${over ? "#fff" : COLORS[key]}" stroke="${COLORS[key]}"/>`,
      );
    }
  }
  parts.push(
    `<rect x="${x0 + width - 196}" y="${y0 + 4}" width="192" height="${entries.length * 18 + 26}" class="legendbox"/>`,
  );
  let ly = y0 + 8;
  for (const [key] of entries) {
    parts.push(
      `<line x1="${x0 + width - 190}" x2="${x0 + width - 166}" y1="${ly + 6}" y2="${ly + 6}" stroke="${COLORS[key]}" class="line"/>`,
      `<text x="${x0 + width - 160}" y="${ly + 10}" class="legend">${escapeXml(LABELS[key] ?? key)}</text>`,
    );
    ly += 18;
  }
  parts.push(`<text x="${x0 + width - 190}" y="${ly + 10}" class="legend">hollow: p99 ack ≥ 100 ms</text>`);
  return parts.join("\n");
}

export function chartSvg(results) {
  const width = 1100;
  const height = 420;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif">
<style>
.title { font-size: 14px; font-weight: 600; fill: #222 }
.tick { font-size: 11px; fill: #555 }
.legend { font-size: 12px; fill: #222 }
.grid { stroke: #e9ecef; stroke-width: 1 }
.frame { fill: none; stroke: #adb5bd; stroke-width: 1 }
.line { fill: none; stroke-width: 2 }
.legendbox { fill: #fff; fill-opacity: 0.9; stroke: #dee2e6 }
</style>
<rect width="100%" height="100%" fill="#fff"/>
${latencyPanel(results.scenarios?.rehearsal, 70, 50, 440, 310)}
${saturationPanel(results.scenarios?.saturation, 620, 50, 440, 310)}
</svg>
`;
}
