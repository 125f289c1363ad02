import { isPaddockError } from '@paddock/core';
import type { ReactNode } from 'react';

/** A placeholder while data loads; announced to screen readers. */
export function Loading({ what = 'Loading' }: { what?: string }) {
  return (
    <div className="state" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" /> {what}…
    </div>
  );
}

/** Nothing to show yet, and what to do about it. */
export function Empty({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="state empty">
      <strong>{title}</strong>
      {children ? <div>{children}</div> : null}
    </div>
  );
}

/** A failed request: its code and message, and a retry. The page around it stays usable. */
export function ErrorState({ error, retry }: { error: unknown; retry?: () => void }) {
  const code = isPaddockError(error) ? error.code : 'internal';
  const message = error instanceof Error ? error.message : String(error);
  return (
    <div className="state error" role="alert">
      <strong>{code}</strong>: {message}
      {retry ? (
        <button type="button" className="button small" onClick={retry}>
          Retry
        </button>
      ) : null}
    </div>
  );
}

/** Loading, error or content for one query. */
export function QueryView<T>({
  query,
  children,
  what,
}: {
  query: { data: T | undefined; error: unknown; isPending: boolean; refetch: () => unknown };
  children: (data: T) => ReactNode;
  what?: string;
}) {
  if (query.error && query.data === undefined) {
    return <ErrorState error={query.error} retry={() => void query.refetch()} />;
  }
  if (query.isPending || query.data === undefined) return <Loading {...(what ? { what } : {})} />;
  return (
    <>
      {query.error ? <ErrorState error={query.error} retry={() => void query.refetch()} /> : null}
      {children(query.data)}
    </>
  );
}
