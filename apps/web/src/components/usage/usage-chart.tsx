import type { UsageReport } from '@paddock/api';
import { usd } from '../../lib/format.ts';
import { dayStack, keyLabel, niceMax } from './usage-model.ts';

const WIDTH = 720;
const HEIGHT = 240;
const PAD = { top: 12, right: 8, bottom: 28, left: 56 };

/**
 * Cost per UTC day as stacked bars, one colour per series (`series-N` classes), with a legend.
 * The SVG is labelled as an image; the legend and the top spenders table carry the numbers.
 */
export function UsageChart({ report, series }: { report: UsageReport; series: readonly string[] }) {
  const days = report.days;
  const max = niceMax(Math.max(0, ...days.map((d) => d.usage.costUsd)));
  const plotWidth = WIDTH - PAD.left - PAD.right;
  const plotHeight = HEIGHT - PAD.top - PAD.bottom;
  const slot = plotWidth / Math.max(1, days.length);
  const barWidth = Math.max(2, Math.min(48, slot * 0.7));
  const y = (usdAmount: number) => PAD.top + plotHeight - (usdAmount / max) * plotHeight;
  const labelEvery = Math.ceil(days.length / 10);
  const total = report.total.costUsd;
  return (
    <figure className="usage-chart">
      <svg
        viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
        role="img"
        aria-label={`Cost per day, ${days.length} days, ${usd(total)} in total`}
      >
        {[0, 0.5, 1].map((f) => (
          <g key={f} className="usage-grid">
            <line x1={PAD.left} x2={WIDTH - PAD.right} y1={y(max * f)} y2={y(max * f)} />
            <text x={PAD.left - 6} y={y(max * f) + 4} textAnchor="end">
              {usd(max * f)}
            </text>
          </g>
        ))}
        {days.map((day, i) => {
          const x = PAD.left + i * slot + (slot - barWidth) / 2;
          let base = 0;
          const parts =
            series.length > 0 ? dayStack(day, series) : [{ key: '', costUsd: day.usage.costUsd }];
          return (
            <g key={day.day} className="usage-bar" data-day={day.day} data-cost={day.usage.costUsd}>
              <title>{`${day.day}: ${usd(day.usage.costUsd)}, ${day.usage.calls} calls`}</title>
              {parts.map((part, s) => {
                const top = y(base + part.costUsd);
                const height = y(base) - top;
                base += part.costUsd;
                return part.costUsd > 0 ? (
                  <rect
                    key={part.key}
                    className={series.length > 0 ? `series-${s}` : 'series-total'}
                    data-key={part.key}
                    data-cost={part.costUsd}
                    x={x}
                    y={top}
                    width={barWidth}
                    height={Math.max(1, height)}
                  />
                ) : null;
              })}
              {i % labelEvery === 0 ? (
                <text x={x + barWidth / 2} y={HEIGHT - 8} textAnchor="middle">
                  {day.day.slice(5)}
                </text>
              ) : null}
            </g>
          );
        })}
      </svg>
      {series.length > 0 ? (
        <figcaption>
          <ul className="usage-legend" aria-label="Series">
            {series.map((key, s) => (
              <li key={key}>
                <span className={`usage-swatch series-${s}`} aria-hidden="true" />
                {keyLabel(key)}
              </li>
            ))}
          </ul>
        </figcaption>
      ) : null}
    </figure>
  );
}
