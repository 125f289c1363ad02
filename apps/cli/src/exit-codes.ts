import { ErrorCode, isPaddockError, PaddockError, type RunPhase } from '@paddock/core';

/** Process exit codes of `paddock`, one per family of error codes. `sandbox exec` passes through the command's own code. */
export const ExitCode = {
  Ok: 0,
  Internal: 1,
  Usage: 2,
  NotFound: 3,
  Conflict: 4,
  Refused: 5,
  Unauthenticated: 6,
  Unavailable: 7,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/**
 * The one table run outcome → exit code of `paddock run` (and `paddock run wait`-like follows):
 * a failed task exits 1 as a failed command does, a budget stop is a refusal (5, like
 * `budget_exceeded`), a timeout is 7 (like `timeout`), a cancelled run 130 (as after Ctrl-C).
 */
export const RUN_EXIT_CODES = {
  Succeeded: ExitCode.Ok,
  Failed: 1,
  BudgetExceeded: ExitCode.Refused,
  TimedOut: ExitCode.Unavailable,
  Cancelled: 130,
} as const satisfies Record<Exclude<RunPhase, 'Pending' | 'Starting' | 'Running'>, number>;

/** The exit code of a run that ended in `phase`; 1 for a phase that is no outcome. */
export function exitCodeForRun(phase: string): number {
  return Object.hasOwn(RUN_EXIT_CODES, phase)
    ? RUN_EXIT_CODES[phase as keyof typeof RUN_EXIT_CODES]
    : 1;
}

/** The one table ErrorCode → exit code. */
export function exitCodeFor(code: ErrorCode): ExitCode {
  switch (code) {
    case ErrorCode.ValidationFailed:
    case ErrorCode.TemplateInvalid:
    case ErrorCode.MethodNotAllowed:
    case ErrorCode.PathOutsideSandbox:
    case ErrorCode.PayloadTooLarge:
      return ExitCode.Usage;
    case ErrorCode.NotFound:
    case ErrorCode.SandboxNotFound:
    case ErrorCode.TemplateNotFound:
      return ExitCode.NotFound;
    case ErrorCode.AlreadyExists:
    case ErrorCode.Conflict:
    case ErrorCode.Expired:
    case ErrorCode.InvalidTransition:
    case ErrorCode.SandboxPaused:
      return ExitCode.Conflict;
    case ErrorCode.PolicyViolation:
    case ErrorCode.Forbidden:
      return ExitCode.Refused;
    case ErrorCode.Unauthenticated:
      return ExitCode.Unauthenticated;
    case ErrorCode.RuntimeUnavailable:
    case ErrorCode.Timeout:
    case ErrorCode.RateLimited:
    case ErrorCode.InsufficientStorage:
      return ExitCode.Unavailable;
    case ErrorCode.Internal:
      return ExitCode.Internal;
    default: {
      const unhandled: never = code;
      throw new Error(`no exit code for ${String(unhandled)}`);
    }
  }
}

/**
 * What to try next, per code; undefined when the message says it all. `details.url` (the client's,
 * when it could not connect) names the server in the hint; `details.hint` (an error that knows
 * better, such as a missing tool's install hint) replaces the code's.
 */
export function hintFor(
  code: ErrorCode,
  details: Readonly<Record<string, unknown>> = {},
): string | undefined {
  if (typeof details.hint === 'string') return details.hint;
  switch (code) {
    case ErrorCode.ValidationFailed:
      return 'see paddock --help, or paddock COMMAND --help';
    case ErrorCode.NotFound:
    case ErrorCode.SandboxNotFound:
      return 'check the name and the namespace (-n); list what exists with paddock get KIND';
    case ErrorCode.TemplateNotFound:
      return 'list templates with paddock get sandboxtemplates (or clustersandboxtemplates with --cluster)';
    case ErrorCode.AlreadyExists:
      return 'pick another name, or use paddock apply -f to update it';
    case ErrorCode.Conflict:
      return 'someone changed it meanwhile: read it again and retry';
    case ErrorCode.PolicyViolation:
      return 'a Policy or ClusterPolicy refused it; ask for less, or see paddock get clusterpolicies';
    case ErrorCode.Forbidden:
      return 'your API key does not allow this';
    case ErrorCode.Unauthenticated:
      return 'run paddock login --server URL (or pass --token, or set PADDOCK_TOKEN)';
    case ErrorCode.RuntimeUnavailable: {
      const at = typeof details.url === 'string' ? ` at ${details.url}` : '';
      return `is paddock up running${at}? (--server, PADDOCK_URL)`;
    }
    case ErrorCode.Timeout:
      return 'the server may be busy; try again';
    case ErrorCode.RateLimited:
      return 'too many requests; wait a moment and retry';
    case ErrorCode.SandboxPaused:
      return 'resume it with paddock sandbox resume NAME (or pass --auto-resume to exec)';
    case ErrorCode.InsufficientStorage:
      return "the server's data disk is full: free space (paddock sandbox delete NAME, or rm inside a sandbox), then retry";
    case ErrorCode.Internal:
      return 'this is a bug in Paddock; the server log has the cause';
    case ErrorCode.TemplateInvalid:
    case ErrorCode.MethodNotAllowed:
    case ErrorCode.PathOutsideSandbox:
    case ErrorCode.PayloadTooLarge:
    case ErrorCode.Expired:
    case ErrorCode.InvalidTransition:
      return undefined;
    default: {
      const unhandled: never = code;
      throw new Error(`no hint for ${String(unhandled)}`);
    }
  }
}

/** Any thrown value as a PaddockError: unknown failures are `internal`, with their message. */
export function asPaddockError(error: unknown): PaddockError {
  if (isPaddockError(error)) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new PaddockError(ErrorCode.Internal, message, {}, { cause: error });
}

/** Whether to colour output written to a stream: only on a TTY, never with NO_COLOR set. */
export function shouldColor(
  stream: { isTTY?: boolean },
  env: Readonly<Record<string, string | undefined>>,
): boolean {
  return stream.isTTY === true && !env.NO_COLOR;
}

/** `paddock: <code>: <message>`, each listed issue or violation, then the hint. Ends with a newline. */
export function formatError(error: PaddockError, options: { isColor: boolean }): string {
  const paint = (sgr: string, text: string) =>
    options.isColor ? `\x1b[${sgr}m${text}\x1b[0m` : text;
  const lines = [`paddock: ${paint('1;31', error.code)}: ${error.message}`];
  for (const key of ['violations', 'issues'] as const) {
    const entries = error.details[key];
    if (!Array.isArray(entries)) continue;
    for (const entry of entries) {
      if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) continue;
      const record = entry as Readonly<Record<string, unknown>>;
      const label = record.code ?? record.path;
      lines.push(`  - ${label === undefined ? '' : `${String(label)}: `}${String(record.message)}`);
    }
  }
  const hint = hintFor(error.code, error.details);
  if (hint) lines.push(paint('2', `hint: ${hint}`));
  return `${lines.join('\n')}\n`;
}
