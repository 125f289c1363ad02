import type { ReactNode } from 'react';

/**
 * The frame a table scrolls in (sideways at phone width, or with long values): a named region
 * that takes keyboard focus, so people who do not use a mouse can scroll it too.
 */
export function TableFrame({ label, children }: { label: string; children: ReactNode }) {
  return (
    // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrolling region must be reachable by keyboard.
    <section className="table-wrap" tabIndex={0} aria-label={label}>
      {children}
    </section>
  );
}
