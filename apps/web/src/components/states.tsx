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

/** The error code (`internal` for anything not a PaddockError) and message of a failure. */
function describeError(error: unknown): { code: string; message: string } {
  return {
    code: isPaddockError(error) ? error.code : 'internal',
    message: error instanceof Error ? error.message : String(error),
  };
}

/** A failed request: its code and message, and a retry. The page around it stays usable. */
export function ErrorState({ error, retry }: { error: unknown; retry?: () => void }) {
  const { code, message } = describeError(error);
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

/**
 * A failed action's code and message, announced, next to the control that started it: a
 * paragraph, or with `isInline` a small span inside a row of buttons. Nothing without an error.
 */
export function MutationError({
  error,
  id,
  isInline = false,
}: {
  error: unknown;
  id?: string;
  isInline?: boolean;
}) {
  if (!error) return null;
  const { code, message } = describeError(error);
  const Tag = isInline ? 'span' : 'p';
  return (
    <Tag className={isInline ? 'form-error small' : 'form-error'} role="alert" id={id}>
      <strong>{code}</strong>: {message}
    </Tag>
  );
}
