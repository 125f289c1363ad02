import type { SandboxPhase } from '@paddock/core';

const TONE: Record<SandboxPhase, '' | 'ok' | 'warn' | 'bad'> = {
  Pending: 'warn',
  Creating: 'warn',
  Running: 'ok',
  Stopped: '',
  Paused: '',
  Deleting: 'warn',
  Error: 'bad',
};

/** A sandbox's phase as a badge: the word itself, coloured by tone (never colour alone). */
export function PhaseBadge({ phase }: { phase: SandboxPhase | undefined }) {
  const shown = phase ?? 'Pending';
  const tone = TONE[shown];
  return <span className={tone ? `badge ${tone}` : 'badge'}>{shown}</span>;
}
