#!/usr/bin/env node
/**
 * node bench/editor.mjs [--rounds=5]
 *
 * What the chord sheet editor does per keystroke besides drawing it, on sheets of 1,000 to 100,000 characters (the
 * largest a session holds): turning a typed character into an op (UTF-16 to code points), taking a remote op in
 * (code points to UTF-16, applied, and the check that the texts still agree), a paste of 30,000 characters split
 * into ops, and the highlighter's scan of the lines above the view (a chorus starts somewhere above). Loads the
 * editor's own modules through Vite, in Node; prints microseconds per keystroke, the median of the rounds.
 */
import { createServer } from "vite";

const rounds = Number(process.argv.find((arg) => arg.startsWith("--rounds="))?.slice("--rounds=".length) ?? 5);
const SIZES = [1_000, 10_000, 100_000];
const VERSE = "{start_of_chorus}\n[C]Let it be, let it [G]be, é 🎸\n[Am]Whisper words of [F]wisdom\n{end_of_chorus}\n";

const vite = await createServer({
  root: new URL("..", import.meta.url).pathname,
  configFile: false,
  logLevel: "error",
  appType: "custom",
  server: { middlewareMode: true, hmr: false },
});

try {
  const { ChangeSet, Text } = await vite.ssrLoadModule("@codemirror/state");
  const { changesToOps, opToChanges } = await vite.ssrLoadModule("/web/src/editor/positions.ts");
  const { parseDirective } = await vite.ssrLoadModule("/web/src/lib/chordpro.ts");

  /** Microseconds per call of `step`, the median over the rounds. */
  function time(step, calls) {
    const results = [];
    for (let round = 0; round < rounds; round++) {
      const start = process.hrtime.bigint();
      for (let call = 0; call < calls; call++) step(call);
      results.push(Number(process.hrtime.bigint() - start) / 1_000 / calls);
    }
    results.sort((left, right) => left - right);
    return results[Math.floor(results.length / 2)];
  }

  const rows = [];
  for (const size of SIZES) {
    const text = VERSE.repeat(Math.ceil(size / VERSE.length))
      .slice(0, size)
      .replace(/\uD83C$/, "");
    const doc = Text.of(text.split("\n"));
    const calls = Math.max(20, Math.round(200_000 / size));
    const middle = Math.floor(doc.length / 2) & ~1;
    const typeAt = (at) => ChangeSet.of([{ from: at, insert: "a" }], doc.length, "\n");
    const atEnd = typeAt(doc.length);
    const inMiddle = typeAt(middle);
    const paste = ChangeSet.of([{ from: middle, insert: "[D]la ".repeat(5_000) }], doc.length, "\n");
    const remoteOp = [Array.from(text.slice(0, middle)).length, "a"];
    const expected = `${text.slice(0, middle)}a${text.slice(middle)}`;
    rows.push({
      size,
      typedAtEnd: time(() => changesToOps(doc, atEnd), calls),
      typedInMiddle: time(() => changesToOps(doc, inMiddle), calls),
      remoteOp: time(() => {
        const changes = ChangeSet.of(opToChanges(doc, remoteOp), doc.length, "\n");
        if (changes.apply(doc).toString() !== expected) throw new Error("the remote op landed elsewhere");
      }, calls),
      paste: time(() => changesToOps(doc, paste), Math.max(5, Math.round(calls / 10))),
      highlightScan: time(() => {
        for (let number = 1; number <= doc.lines; number++) parseDirective(doc.line(number).text);
      }, calls),
    });
  }

  const columns = [
    ["characters", (row) => row.size.toLocaleString("en")],
    ["typed at end", (row) => row.typedAtEnd],
    ["typed mid-sheet", (row) => row.typedInMiddle],
    ["remote op in", (row) => row.remoteOp],
    ["30k paste out", (row) => row.paste],
    ["highlight scan", (row) => row.highlightScan],
  ];
  const cell = (value) => (typeof value === "number" ? `${value.toFixed(1)} µs` : value);
  console.log(`The editor's work per keystroke, besides drawing (median of ${rounds} rounds)`);
  console.log(columns.map(([name]) => name.padStart(16)).join(""));
  for (const row of rows) console.log(columns.map(([, pick]) => cell(pick(row)).padStart(16)).join(""));
} finally {
  await vite.close();
}
