// npm run size: builds the web app into a temporary directory and prints, for each page, the JavaScript the browser
// loads to show it (the entry, the page's chunk and everything they import statically), raw and gzipped. Chunks a
// page loads only when asked (the player, the settings dialog) are not counted. The session page loads its editor at
// once; the performance view (/sessions/<id>/perform) loads it only when the reader switches to the editor.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

/** 200 KB of gzipped JavaScript per page, counted in thousands of bytes (the stricter reading). */
const BUDGET = 200_000;
const PAGES = {
  "session page": ["src/pages/SessionPage.tsx", "src/widgets/ChordEditor.tsx"],
  "performance view": ["src/pages/SessionPage.tsx", "src/widgets/PerformanceView.tsx"],
  "home page": ["src/pages/HomePage.tsx"],
  "sign-in page": [],
};

process.chdir(fileURLToPath(new URL("..", import.meta.url)));
const out = mkdtempSync(path.join(tmpdir(), "web-size-"));
try {
  const build = spawnSync("npx", ["vite", "build", "web", "--outDir", out, "--manifest", "--logLevel", "warn"], {
    stdio: "inherit",
  });
  if (build.status !== 0) process.exit(build.status ?? 1);
  const manifest = JSON.parse(readFileSync(path.join(out, ".vite", "manifest.json"), "utf8"));
  const entry = Object.keys(manifest).find((key) => manifest[key].isEntry);

  /** The chunk files `key` needs before it runs: itself and its static imports, transitively. */
  const closure = (key, files = new Set()) => {
    const chunk = manifest[key];
    if (!chunk || files.has(chunk.file)) return files;
    files.add(chunk.file);
    for (const imported of chunk.imports ?? []) closure(imported, files);
    return files;
  };

  const rows = Object.entries(PAGES).map(([page, chunks]) => {
    const files = closure(entry);
    for (const key of chunks) closure(key, files);
    let raw = 0;
    let gzipped = 0;
    for (const file of files) {
      const bytes = readFileSync(path.join(out, file));
      raw += bytes.length;
      gzipped += gzipSync(bytes).length;
    }
    return { page, files: files.size, raw, gzipped };
  });
  const kb = (bytes) => `${(bytes / 1000).toFixed(1)} kB`;
  console.log(`${"page".padEnd(28)}${"files".padStart(6)}${"raw".padStart(12)}${"gzipped".padStart(12)}`);
  for (const row of rows) {
    console.log(
      `${row.page.padEnd(28)}${String(row.files).padStart(6)}${kb(row.raw).padStart(12)}${kb(row.gzipped).padStart(12)}` +
        (row.gzipped > BUDGET ? "  over the 200 KB budget" : ""),
    );
  }
  if (rows.some((row) => row.gzipped > BUDGET)) process.exitCode = 1;
} finally {
  rmSync(out, { recursive: true, force: true });
}
