const TONES: Readonly<Record<string, 'ok' | 'warn' | 'bad' | ''>> = {
  Pending: '',
  Starting: 'warn',
  Running: 'ok',
  Succeeded: 'ok',
  Failed: 'bad',
  Cancelled: 'warn',
  BudgetExceeded: 'bad',
  TimedOut: 'bad',
};

/** A run's phase as a badge: the phase is written out, the colour only repeats it. */
export function RunPhaseBadge({ phase }: { phase: string | undefined }) {
  const shown = phase ?? 'Pending';
  const tone = TONES[shown] ?? '';
  return <span className={tone ? `badge run-badge ${tone}` : 'badge run-badge'}>{shown}</span>;
}
