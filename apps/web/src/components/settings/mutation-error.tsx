import { isPaddockError } from '@paddock/core';

/** A failed mutation's code and message, next to the control that started it. */
export function MutationError({ error, id }: { error: unknown; id?: string }) {
  if (!error) return null;
  const code = isPaddockError(error) ? error.code : 'internal';
  const message = error instanceof Error ? error.message : String(error);
  return (
    <p className="form-error" role="alert" id={id}>
      <strong>{code}</strong>: {message}
    </p>
  );
}
