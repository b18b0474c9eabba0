/**
 * The performance view's controls, each labelled, with the values they set announced: the reading settings above the
 * sheet (transpose, capo, text size, stage mode, print) and the bar that stays at the bottom of the screen (following
 * the leader or sharing one's line, auto-scroll).
 */
import { LIMITS, type PerformSettings, signed } from "../lib/perform";

interface StepperProps {
  id: string;
  label: string;
  /** What the output says, visibly. */
  value: string;
  /** What the output says to a screen reader, when it changes. */
  spoken: string;
  down: { label: string; onClick: () => void; disabled: boolean };
  up: { label: string; onClick: () => void; disabled: boolean };
}

function Stepper({ id, label, value, spoken, down, up }: StepperProps) {
  return (
    <fieldset className="stepper">
      <legend>{label}</legend>
      <button type="button" aria-label={down.label} onClick={down.onClick} disabled={down.disabled}>
        −
      </button>
      <output id={id} aria-live="polite">
        <span aria-hidden="true">{value}</span>
        <span className="visually-hidden">{spoken}</span>
      </output>
      <button type="button" aria-label={up.label} onClick={up.onClick} disabled={up.disabled}>
        +
      </button>
    </fieldset>
  );
}

const semitones = (count: number) => (Math.abs(count) === 1 ? "semitone" : "semitones");

interface ReadingControlsProps {
  settings: PerformSettings;
  update: (change: Partial<PerformSettings>) => void;
  /** The key the song sounds in, transposed. */
  soundingKey: string | null;
  /** The key of the shapes played with the capo on. */
  shapesKey: string | null;
}

/** Transpose, capo, text size, stage mode and print: this reader's, never the song's. */
export function ReadingControls({ settings, update, soundingKey, shapesKey }: ReadingControlsProps) {
  const { transpose, capo, fontSize, stage } = settings;
  const keyWords = soundingKey ? `, key of ${soundingKey}` : "";
  const shapes = capo > 0 && shapesKey ? ` · ${shapesKey} shapes` : "";
  return (
    <fieldset className="perform-controls">
      <legend className="visually-hidden">Reading settings</legend>
      <Stepper
        id="perform-transpose"
        label="Transpose"
        value={`${signed(transpose)}${soundingKey ? ` · ${soundingKey}` : ""}`}
        spoken={`Transposed ${transpose === 0 ? "not at all" : `${signed(transpose)} ${semitones(transpose)}`}${keyWords}`}
        down={{
          label: "Transpose down a semitone",
          onClick: () => update({ transpose: transpose - 1 }),
          disabled: transpose <= LIMITS.transpose.min,
        }}
        up={{
          label: "Transpose up a semitone",
          onClick: () => update({ transpose: transpose + 1 }),
          disabled: transpose >= LIMITS.transpose.max,
        }}
      />
      <Stepper
        id="perform-capo"
        label="Capo"
        value={capo === 0 ? "none" : `${capo}${shapes}`}
        spoken={capo === 0 ? "No capo" : `Capo on fret ${capo}${shapesKey ? `, playing ${shapesKey} shapes` : ""}`}
        down={{ label: "Capo down a fret", onClick: () => update({ capo: capo - 1 }), disabled: capo <= 0 }}
        up={{
          label: "Capo up a fret",
          onClick: () => update({ capo: capo + 1 }),
          disabled: capo >= LIMITS.capo.max,
        }}
      />
      <Stepper
        id="perform-size"
        label="Text size"
        value={`${fontSize}%`}
        spoken={`Text size ${fontSize}%`}
        down={{
          label: "Smaller text",
          onClick: () => update({ fontSize: fontSize - LIMITS.fontSize.step }),
          disabled: fontSize <= LIMITS.fontSize.min,
        }}
        up={{
          label: "Larger text",
          onClick: () => update({ fontSize: fontSize + LIMITS.fontSize.step }),
          disabled: fontSize >= LIMITS.fontSize.max,
        }}
      />
      <div className="actions">
        {transpose !== 0 || capo !== 0 ? (
          <button type="button" onClick={() => update({ transpose: 0, capo: 0 })}>
            As written
          </button>
        ) : null}
        <button type="button" aria-pressed={stage} onClick={() => update({ stage: !stage })}>
          Stage mode
        </button>
        <button type="button" onClick={() => window.print()}>
          Print or save as PDF
        </button>
      </div>
    </fieldset>
  );
}

interface PerformBarProps {
  /** What the bar says about the leader's line. */
  status: string;
  /** For everyone but the leader: following, and whether it waits because the reader scrolled. */
  follow: { on: boolean; paused: boolean; onChange: (on: boolean) => void; onResume: () => void } | null;
  /** For the leader: moving the shared line. */
  share: { onPrevious: (() => void) | null; onNext: (() => void) | null } | null;
  /** For the session's owner: who leads (whose line the band follows). */
  lead: { value: string; choices: { id: string; name: string }[]; onChange: (id: string) => void } | null;
  scroll: { running: boolean; onToggle: () => void; speed: number; onSpeed: (speed: number) => void };
}

/** The bar at the bottom of the screen: the leader's line, following it or sharing it, and auto-scroll. */
export function PerformBar({ status, follow, share, lead, scroll }: PerformBarProps) {
  return (
    <fieldset className="perform-bar">
      <legend className="visually-hidden">Following and scrolling</legend>
      <p className="leader-status" role="status">
        {status}
      </p>
      {follow ? (
        <label className="inline">
          <input type="checkbox" checked={follow.on} onChange={(event) => follow.onChange(event.target.checked)} />
          Follow the leader
        </label>
      ) : null}
      {follow?.on && follow.paused ? (
        <button type="button" className="primary" onClick={follow.onResume}>
          Resume following
        </button>
      ) : null}
      {share ? (
        <span className="actions">
          <button type="button" onClick={share.onPrevious ?? undefined} disabled={!share.onPrevious}>
            Share previous line
          </button>
          <button type="button" onClick={share.onNext ?? undefined} disabled={!share.onNext}>
            Share next line
          </button>
        </span>
      ) : null}
      {lead ? (
        <span className="inline">
          <label htmlFor="perform-lead">Who leads</label>{" "}
          <select id="perform-lead" value={lead.value} onChange={(event) => lead.onChange(event.target.value)}>
            {lead.choices.map((choice) => (
              <option key={choice.id} value={choice.id}>
                {choice.name}
              </option>
            ))}
          </select>
        </span>
      ) : null}
      <span className="actions auto-scroll">
        <button type="button" onClick={scroll.onToggle}>
          {scroll.running ? "Stop scrolling" : "Start scrolling"}
        </button>
        <label className="inline">
          Scroll speed
          <input
            type="range"
            min={LIMITS.scrollSpeed.min}
            max={LIMITS.scrollSpeed.max}
            step={LIMITS.scrollSpeed.step}
            value={scroll.speed}
            aria-valuetext={`${scroll.speed} pixels a second`}
            onChange={(event) => scroll.onSpeed(Number(event.target.value))}
          />
        </label>
      </span>
    </fieldset>
  );
}
