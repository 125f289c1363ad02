import { isPaddockError } from '@paddock/core';

/** A failed mutation's code and message, next to the control that caused it. */
export function MutationError({ error }: { error: unknown }) {
  if (!error) return null;
  const code = isPaddockError(error) ? error.code : 'internal';
  const message = error instanceof Error ? error.message : String(error);
  return (
    <p className="form-error" role="alert">
      <strong>{code}</strong>: {message}
    </p>
  );
}
