import type { UsageBudget } from '@paddock/api';
import { usd } from '../../lib/format.ts';

const WIDTH = 320;
const HEIGHT = 120;
const PAD = { top: 8, right: 16, bottom: 20, left: 16 };
const HOURS = 24;

/**
 * One daily budget over its UTC day: what remained at the end of each hour (a falling line), the
 * limit above it, and the spend as text (the accessible form).
 */
export function BurnDown({ budget }: { budget: UsageBudget }) {
  const share = budget.limitUsd > 0 ? budget.spentUsd / budget.limitUsd : 0;
  const plotWidth = WIDTH - PAD.left - PAD.right;
  const plotHeight = HEIGHT - PAD.top - PAD.bottom;
  const low = Math.min(0, ...budget.burnDown.map((p) => p.remainingUsd));
  const span = Math.max(budget.limitUsd - low, 1e-9);
  const x = (hour: number) => PAD.left + (hour / HOURS) * plotWidth;
  const y = (usdAmount: number) => PAD.top + ((budget.limitUsd - usdAmount) / span) * plotHeight;
  const points = budget.burnDown.map((p, i) => `${x(i + 1)},${y(p.remainingUsd)}`);
  const state = share >= 1 ? 'bad' : share >= 0.8 ? 'warn' : 'ok';
  const title = `${budget.scope === 'namespace' ? 'Namespace' : 'User'} ${budget.key}`;
  return (
    <section
      className="card usage-budget"
      aria-label={`${title} daily budget`}
      data-budget={`${budget.scope}/${budget.key}`}
      data-spent={budget.spentUsd}
    >
      <h3>{title}</h3>
      <p className={`usage-budget-text ${state}`}>
        {usd(budget.spentUsd)} of {usd(budget.limitUsd)} spent on {budget.day} (
        {Math.round(share * 100)}%), {usd(budget.limitUsd - budget.spentUsd)} left
      </p>
      <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} aria-hidden="true" className="usage-burn">
        <line
          className="usage-burn-limit"
          x1={x(0)}
          x2={x(HOURS)}
          y1={y(budget.limitUsd)}
          y2={y(budget.limitUsd)}
        />
        <line className="usage-burn-zero" x1={x(0)} x2={x(HOURS)} y1={y(0)} y2={y(0)} />
        <polyline
          className={`usage-burn-line ${state}`}
          points={[`${x(0)},${y(budget.limitUsd)}`, ...points].join(' ')}
        />
        {[0, 6, 12, 18, 24].map((h) => (
          <text key={h} x={x(h)} y={HEIGHT - 4} textAnchor="middle">
            {String(h).padStart(2, '0')}h
          </text>
        ))}
      </svg>
    </section>
  );
}
