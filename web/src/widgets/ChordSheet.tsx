/**
 * A song as a chord sheet: each chord over the syllable it precedes (a column per chord and its text, so proportional
 * fonts keep the alignment), words kept whole when a line wraps, sections set apart, the leader's line lit up.
 * Screen readers hear each chord in words before its text ("chord F sharp minor, …").
 */
import { memo, type ReactNode } from "react";
import type { Pair, Section, SheetLine, Song } from "../lib/chordpro";
import { chordWords } from "../lib/chords";

interface ChordSheetProps {
  song: Song;
  /** How the reader sees a chord: transposed, as capo shapes. */
  chord: (symbol: string) => string;
  /** The text line (0-based) the leader is on, as shown, or null. */
  leaderLine: number | null;
  /** The leader's own sheet: each line is a button that shares it with the band. */
  onShare?: (line: number) => void;
}

const SECTION_NAMES: Record<Section["kind"], string | null> = {
  verse: "Verse",
  chorus: "Chorus",
  bridge: "Bridge",
  tab: "Tab",
  grid: "Grid",
  part: null,
};

export const ChordSheet = memo(function ChordSheet({ song, chord, leaderLine, onShare }: ChordSheetProps) {
  if (song.sections.length === 0) return <p className="muted">The chord sheet is empty.</p>;
  return (
    <div className="sheet-sections">
      {song.sections.map((section, index) => {
        const label = section.label ?? SECTION_NAMES[section.kind];
        return (
          <section key={section.lines[0]?.line ?? `empty-${index}`} className={`sheet-section ${section.kind}`}>
            {label ? <h3 className="section-label">{label}</h3> : null}
            {section.lines.map((line) => (
              <LineBox key={line.line} line={line} leader={line.line === leaderLine} onShare={onShare}>
                <LineContent line={line} chord={chord} />
              </LineBox>
            ))}
          </section>
        );
      })}
    </div>
  );
});

function LineBox({
  line,
  leader,
  onShare,
  children,
}: {
  line: SheetLine;
  leader: boolean;
  onShare?: (line: number) => void;
  children: ReactNode;
}) {
  const className = `sheet-line ${line.type}${leader ? " leader-line" : ""}`;
  if (onShare) {
    return (
      <button
        type="button"
        className={className}
        data-line={line.line}
        aria-current={leader ? "true" : undefined}
        onClick={() => onShare(line.line)}
      >
        {children}
      </button>
    );
  }
  return (
    <div className={className} data-line={line.line} aria-current={leader ? "true" : undefined}>
      {children}
    </div>
  );
}

function LineContent({ line, chord }: { line: SheetLine; chord: (symbol: string) => string }) {
  if (line.type === "comment") return <span className="sheet-comment">{line.text}</span>;
  if (line.type === "verbatim") return <span className="sheet-verbatim">{line.text || "\u200b"}</span>;
  const hasChords = line.pairs.some((pair) => pair.chord !== null);
  const hasLyrics = line.pairs.some((pair) => pair.lyric.trim() !== "");
  return (
    <>
      {words(line.pairs).map((word, wordIndex) => (
        // A line's words never move about, and an index is all they have.
        // biome-ignore lint/suspicious/noArrayIndexKey: see above
        <span key={wordIndex} className="word">
          {word.map((piece, pieceIndex) => {
            const shown = piece.chord === null ? null : chord(piece.chord);
            return (
              // biome-ignore lint/suspicious/noArrayIndexKey: pieces of a word, in order
              <span key={pieceIndex} className="piece">
                {hasChords ? (
                  // Text without a chord over it still keeps the chords' row, without widening its column.
                  <span className={shown === null ? "chord none" : "chord"} aria-hidden="true">
                    {shown ?? "\u200b"}
                  </span>
                ) : null}
                {shown !== null ? <span className="visually-hidden">{`chord ${chordWords(shown)}, `}</span> : null}
                {hasLyrics ? <span className="lyric">{piece.text || "\u200b"}</span> : null}
              </span>
            );
          })}
        </span>
      ))}
    </>
  );
}

interface Piece {
  chord: string | null;
  text: string;
}

/**
 * The pairs of a line cut into words, each a list of pieces (a chord and the text under it): a line wraps between
 * words only, so a chord in the middle of a word stays with it.
 */
export function words(pairs: Pair[]): Piece[][] {
  const result: Piece[][] = [];
  let word: Piece[] = [];
  for (const pair of pairs) {
    const chunks = pair.lyric.match(/\S*\s+|\S+/g) ?? [""];
    chunks.forEach((chunk, index) => {
      word.push({ chord: index === 0 ? pair.chord : null, text: chunk });
      if (/\s$/.test(chunk)) {
        result.push(word);
        word = [];
      }
    });
  }
  if (word.length > 0) result.push(word);
  return result;
}
