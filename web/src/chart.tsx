// A stacked bar chart over time in plain SVG: one bar per time bucket, one
// colored segment per series.

const palette = ["#2563eb", "#16a34a", "#ea580c", "#9333ea", "#0891b2", "#db2777", "#ca8a04", "#4b5563"];

export type Series = { name: string; values: number[] };

const W = 760;
const H = 240;
const M = { top: 12, right: 12, bottom: 28, left: 64 };

// integer: the values are counts, so the axis ticks must be whole numbers.
export function StackedBars({ times, series, format, integer, testid }: { times: Date[]; series: Series[]; format: (v: number) => string; integer?: boolean; testid?: string }) {
  const totals = times.map((_, i) => series.reduce((s, x) => s + (x.values[i] ?? 0), 0));
  const max = Math.max(...totals, 0);
  let top = max === 0 ? 1 : niceCeil(max);
  if (integer) top = Math.max(4, Math.ceil(top / 4) * 4);
  const plotW = W - M.left - M.right;
  const plotH = H - M.top - M.bottom;
  const bw = plotW / Math.max(times.length, 1);
  const y = (v: number) => M.top + plotH - (v / top) * plotH;
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => f * top);
  const labelEvery = Math.max(1, Math.ceil(times.length / 6));
  const sameDay = times.length > 0 && times[0]!.toDateString() === times[times.length - 1]!.toDateString();

  return (
    <figure class="chart" data-testid={testid}>
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label="chart">
        {ticks.map((t) => (
          <g>
            <line x1={M.left} x2={W - M.right} y1={y(t)} y2={y(t)} class="grid" />
            <text x={M.left - 6} y={y(t) + 4} text-anchor="end" class="axis">
              {format(t)}
            </text>
          </g>
        ))}
        {times.map((t, i) => {
          let base = 0;
          return (
            <g>
              {series.map((s, si) => {
                const v = s.values[i] ?? 0;
                if (v <= 0) return null;
                const y0 = y(base);
                base += v;
                const y1 = y(base);
                return (
                  <rect x={M.left + i * bw + bw * 0.1} width={Math.max(bw * 0.8, 1)} y={y1} height={Math.max(y0 - y1, 1)} fill={palette[si % palette.length]} data-testid="bar">
                    <title>{`${t.toLocaleString()} · ${s.name}: ${format(v)}`}</title>
                  </rect>
                );
              })}
              {i % labelEvery === 0 && (
                <text x={M.left + i * bw + bw / 2} y={H - 8} text-anchor="middle" class="axis">
                  {sameDay ? t.toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" }) : t.toLocaleDateString(undefined, { month: "short", day: "numeric" })}
                </text>
              )}
            </g>
          );
        })}
        <line x1={M.left} x2={W - M.right} y1={y(0)} y2={y(0)} class="baseline" />
      </svg>
      <figcaption class="legend">
        {series.map((s, si) => (
          <span data-testid="legend-item">
            <i style={{ background: palette[si % palette.length] }} />
            {s.name}
          </span>
        ))}
      </figcaption>
    </figure>
  );
}

// niceCeil rounds v up to 1, 2 or 5 times a power of ten.
function niceCeil(v: number): number {
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}
