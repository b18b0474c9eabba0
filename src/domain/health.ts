/**
 * Session health: a 0..100 score from what really happens in the session, with the factors that made it.
 *
 *   participation  active participants ÷ max participants: > 0.8 → 20, > 0.5 → 15, > 0.2 → 10, else 5
 *   online         participants online now ÷ active:        ≥ 0.5 → 20, > 0 → 10, else 0
 *   recency        hours since the last activity:           < 1 → 25, < 24 → 15, < 168 → 5, else 0
 *   contributors   share who edited or commented in 24 h:   ≥ 0.5 → 15, > 0 → 8, else 0
 *   edits          edits in the last hour:                  ≥ 50 → 10, ≥ 10 → 7, ≥ 1 → 4, else 0
 *   conversation   comments in the last 24 h:               ≥ 1 → 5, else 0
 *   recording      recording now or recorded before:        5, else 0
 *
 * Levels: ≥ 80 excellent, ≥ 60 good, ≥ 40 fair, else poor.
 */

export interface HealthInputs {
  activeParticipants: number;
  maxParticipants: number;
  onlineParticipants: number;
  hoursSinceActivity: number;
  contributors24h: number;
  editsLastHour: number;
  comments24h: number;
  hasRecording: boolean;
}

export interface HealthFactor {
  name: string;
  points: number;
  detail: string;
}

export interface Health {
  score: number;
  level: "excellent" | "good" | "fair" | "poor";
  factors: HealthFactor[];
}

const step = (value: number, steps: [number, number][], otherwise: number) =>
  steps.find(([threshold]) => value >= threshold)?.[1] ?? otherwise;

export function healthOf(inputs: HealthInputs): Health {
  const active = Math.max(inputs.activeParticipants, 1);
  const fill = inputs.activeParticipants / Math.max(inputs.maxParticipants, 1);
  const onlineShare = inputs.onlineParticipants / active;
  const contributorShare = inputs.contributors24h / active;
  const hours = inputs.hoursSinceActivity;
  const factors: HealthFactor[] = [
    {
      name: "participation",
      points: fill > 0.8 ? 20 : fill > 0.5 ? 15 : fill > 0.2 ? 10 : 5,
      detail: `${inputs.activeParticipants} of ${inputs.maxParticipants} places taken`,
    },
    {
      name: "online",
      points: onlineShare >= 0.5 ? 20 : onlineShare > 0 ? 10 : 0,
      detail: `${inputs.onlineParticipants} online now`,
    },
    {
      name: "recency",
      points: hours < 1 ? 25 : hours < 24 ? 15 : hours < 168 ? 5 : 0,
      detail: hours < 1 ? "active in the last hour" : `last active ${Math.floor(hours)} h ago`,
    },
    {
      name: "contributors",
      points: contributorShare >= 0.5 ? 15 : contributorShare > 0 ? 8 : 0,
      detail: `${inputs.contributors24h} contributed in the last 24 h`,
    },
    {
      name: "edits",
      points: step(
        inputs.editsLastHour,
        [
          [50, 10],
          [10, 7],
          [1, 4],
        ],
        0,
      ),
      detail: `${inputs.editsLastHour} edits in the last hour`,
    },
    {
      name: "conversation",
      points: inputs.comments24h >= 1 ? 5 : 0,
      detail: `${inputs.comments24h} comments in the last 24 h`,
    },
    {
      name: "recording",
      points: inputs.hasRecording ? 5 : 0,
      detail: inputs.hasRecording ? "recorded" : "never recorded",
    },
  ];
  const score = factors.reduce((total, factor) => total + factor.points, 0);
  const level = score >= 80 ? "excellent" : score >= 60 ? "good" : score >= 40 ? "fair" : "poor";
  return { score, level, factors };
}
