import { isPaddockError } from '@paddock/core';

/** The code and message of a failed action, announced, shown next to its control. */
export function MutationError({ error }: { error: unknown }) {
  if (!error) return null;
  const code = isPaddockError(error) ? error.code : 'internal';
  const message = error instanceof Error ? error.message : String(error);
  return (
    <span className="form-error small" role="alert">
      <strong>{code}</strong>: {message}
    </span>
  );
}
