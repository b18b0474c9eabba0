import { useId } from "react";

export interface Bar {
  label: string;
  value: number;
  /** The bar's colour; the accent colour when absent. */
  color?: string;
}

interface BarChartProps {
  title: string;
  /** The value column's heading, e.g. "Edits". */
  valueLabel: string;
  bars: Bar[];
  /** The value in words, e.g. "12 edits". */
  format: (value: number) => string;
  empty?: string;
}

/**
 * A horizontal bar chart that is a table underneath: a screen reader reads each row's label and value, the bars are
 * decoration, sized by CSS.
 */
export function BarChart({ title, valueLabel, bars, format, empty = "Nothing to show yet." }: BarChartProps) {
  const id = useId();
  const largest = Math.max(1, ...bars.map((bar) => bar.value));
  return (
    <figure className="bar-chart" aria-labelledby={id}>
      <figcaption id={id}>{title}</figcaption>
      {bars.length === 0 ? (
        <p className="muted small">{empty}</p>
      ) : (
        <table>
          <thead className="visually-hidden">
            <tr>
              <th scope="col">Name</th>
              <th scope="col">{valueLabel}</th>
            </tr>
          </thead>
          <tbody>
            {bars.map((bar) => (
              <tr key={bar.label}>
                <th scope="row">{bar.label}</th>
                <td>
                  <span className="bar-track" aria-hidden="true">
                    <span
                      className="bar"
                      style={{ width: `${(bar.value / largest) * 100}%`, background: bar.color }}
                      data-value={bar.value}
                    />
                  </span>
                  <span className="bar-value">{format(bar.value)}</span>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </figure>
  );
}
