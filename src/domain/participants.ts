/** Colours given to participants in join order, so cursors are told apart at a glance. */
export const PARTICIPANT_COLORS = [
  "#FF6B6B",
  "#4ECDC4",
  "#45B7D1",
  "#96CEB4",
  "#FFEAA7",
  "#DDA0DD",
  "#98D8C8",
  "#FDA7DF",
  "#F7DC6F",
  "#BB8FCE",
] as const;

export function colorFor(joinIndex: number): string {
  return PARTICIPANT_COLORS[joinIndex % PARTICIPANT_COLORS.length]!;
}
