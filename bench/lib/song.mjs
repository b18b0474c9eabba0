/** The chord sheet every benchmark session starts from (about 1 KB of ChordPro, ASCII only). */
export const SONG_TITLE = "Benchmark Blues";

export const SONG = `{title: Benchmark Blues}
{artist: The Load Drivers}
{key: E}
{tempo: 96}

{start_of_verse: Verse 1}
[E]Woke up this morning, the [A]latency was high
[E]Ninety-ninth percentile [E7]reaching for the sky
[A]Every op I typed, it [A7]came back late
[E]Waiting on the [C#m]ack, just [B]sealing my fate
{end_of_verse}

{start_of_chorus}
[A]Ack me, baby, [E]ack me right away
[A]Broadcast my [E]edits to the [C#m]band today
[F#m]One revision [B]at a time
[E]Converge with me and [B7]we'll be fine
{end_of_chorus}

{start_of_verse: Verse 2}
[E]Sixteen editors [A]typing all at once
[E]Closed loop hammering, [E7]no time for lunch
[A]The relay hit the ceiling, [A7]Yjs held the line
[E]Our little sequencer [C#m]kept the [B]songs in time
{end_of_verse}

{comment: Bridge, half time}
[C#m]Hibernate, [G#m]hibernate, [A]let the object [B]sleep
[C#m]No timers pending, [G#m]the silence runs [A]deep [B]
`;

/** Characters the typists insert: chord letters, brackets and lyric letters, one code point each. */
export const ALPHABET = "ABCDEFGabcdefg m7#[]oe ";
