import { SandboxPhase } from '@paddock/core';

const PHASES = Object.values(SandboxPhase);

/** Counts of sandboxes per phase, in lifecycle order (every phase present, zero or not). */
export function countByPhase(phases: ReadonlyArray<string | undefined>): Map<string, number> {
  const counts = new Map<string, number>(PHASES.map((phase) => [phase, 0]));
  for (const phase of phases) {
    const key = phase ?? SandboxPhase.Pending;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

/**
 * A stacked bar of sandboxes by phase with a legend of counts. The legend is the accessible form:
 * every phase as text with its number; the bar is decoration.
 */
export function PhaseChart({ counts }: { counts: Map<string, number> }) {
  const total = [...counts.values()].reduce((sum, n) => sum + n, 0);
  const shown = [...counts.entries()].filter(([, n]) => n > 0);
  return (
    <div className="phase-chart">
      <p className="stat">
        {total} <span className="muted small">{total === 1 ? 'sandbox' : 'sandboxes'}</span>
      </p>
      {total > 0 ? (
        <div className="phase-stack" aria-hidden="true">
          {shown.map(([phase, n]) => (
            <span
              key={phase}
              className={`phase-segment phase-${phase.toLowerCase()}`}
              style={{ flexGrow: n }}
            />
          ))}
        </div>
      ) : null}
      <ul className="phase-legend" aria-label="Sandboxes by phase">
        {[...counts.entries()].map(([phase, n]) => (
          <li key={phase} className={n === 0 ? 'muted' : undefined}>
            <span className={`phase-swatch phase-${phase.toLowerCase()}`} aria-hidden="true" />
            {phase}: <strong>{n}</strong>
          </li>
        ))}
      </ul>
    </div>
  );
}
