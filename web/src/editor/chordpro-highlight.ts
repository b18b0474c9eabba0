/**
 * ChordPro in colour: chords `[Am7]`, directives `{title: …}` (the section ones, `{start_of_chorus}`, stand out),
 * `#` comment lines, and a bar beside the lines of a chorus. What counts as a directive is the performance view's
 * rule (lib/chordpro.ts).
 */
import type { Range } from "@codemirror/state";
import { Decoration, type DecorationSet, type EditorView, ViewPlugin, type ViewUpdate } from "@codemirror/view";
import { parseDirective } from "../lib/chordpro";

const chord = Decoration.mark({ class: "cp-chord" });
const directive = Decoration.mark({ class: "cp-directive" });
const sectionDirective = Decoration.mark({ class: "cp-directive cp-section" });
const comment = Decoration.mark({ class: "cp-comment" });
const chorusLine = Decoration.line({ class: "cp-chorus" });

const CHORD = /\[[^\]\n]*\]/g;

function decorations(view: EditorView): DecorationSet {
  const { doc } = view.state;
  const ranges: Range<Decoration>[] = [];
  const last = view.visibleRanges.at(-1);
  if (!last) return Decoration.none;
  const visible = view.visibleRanges;
  // Whether a line is in a chorus depends on every line above it, so the scan starts at the top.
  let inChorus = false;
  const lastLine = doc.lineAt(last.to).number;
  for (let number = 1; number <= lastLine; number++) {
    const line = doc.line(number);
    const shown = visible.some((range) => line.to >= range.from && line.from <= range.to);
    const found = parseDirective(line.text);
    if (found?.name === "start_of_chorus") inChorus = true;
    if (shown && inChorus) ranges.push(chorusLine.range(line.from));
    if (found?.name === "end_of_chorus") inChorus = false;
    if (!shown || line.length === 0) continue;
    if (found) {
      const start = line.from + line.text.indexOf("{");
      const end = line.from + line.text.lastIndexOf("}") + 1;
      const section = found.name.startsWith("start_of_") || found.name.startsWith("end_of_");
      ranges.push((section ? sectionDirective : directive).range(start, end));
    } else if (line.text.startsWith("#")) {
      ranges.push(comment.range(line.from, line.to));
    } else {
      for (const match of line.text.matchAll(CHORD)) {
        ranges.push(chord.range(line.from + match.index, line.from + match.index + match[0].length));
      }
    }
  }
  return Decoration.set(ranges, true);
}

export const chordProHighlight = ViewPlugin.fromClass(
  class {
    decorations: DecorationSet;

    constructor(view: EditorView) {
      this.decorations = decorations(view);
    }

    update(update: ViewUpdate) {
      if (update.docChanged || update.viewportChanged) this.decorations = decorations(update.view);
    }
  },
  { decorations: (plugin) => plugin.decorations },
);
