/** Why a request body could not be read: a closed set, each user maps it to its own error. */
export const BodyProblem = {
  /** The body passed the limit (declared in `Content-Length`, or counted while reading). */
  TooLarge: 'too_large',
  /** The connection failed or closed before the body's end. */
  CutOff: 'cut_off',
} as const;
export type BodyProblem = (typeof BodyProblem)[keyof typeof BodyProblem];

/**
 * A body that could not be read. `limitBytes` is the limit in force. Callers translate it at
 * their boundary (the server into `payload_too_large`, the gateway into the provider's 413).
 */
export class BodyReadError extends Error {
  readonly problem: BodyProblem;
  readonly limitBytes: number;

  constructor(problem: BodyProblem, limitBytes: number, options?: ErrorOptions) {
    super(
      problem === BodyProblem.TooLarge
        ? `request body exceeds ${limitBytes} bytes`
        : 'request body was cut off: the connection closed before its end',
      options,
    );
    this.name = 'BodyReadError';
    this.problem = problem;
    this.limitBytes = limitBytes;
  }
}

/** Whether `error` is a {@link BodyReadError} with `problem`. */
export function isBodyProblem(error: unknown, problem: BodyProblem): error is BodyReadError {
  return error instanceof BodyReadError && error.problem === problem;
}
