/**
 * The file work of a sandbox start as steps that the launcher's watcher does right before it
 * forks the launch (`launch-prepare.pl`): its directories, cgroups, state and generated `/etc`
 * files are a few system calls there, where each was a round trip through Node's thread pool.
 */
import { getSystemErrorName } from 'node:util';

/** One step, done in order; the first that fails stops the launch. */
export type LaunchStep =
  /** A directory (`mode` under the umask), kept if it exists; `owner` (uid and gid) owns it. */
  | { op: 'mkdir'; path: string; mode: number; owner?: number }
  /** A file made, or overwritten in place and cut to length (its inode kept: bound stays bound). */
  | { op: 'write'; path: string; mode: number; text: string }
  /** A file replaced at once (written beside it, root-only, then renamed over it). */
  | { op: 'replace'; path: string; text: string }
  /** A control file (a cgroup's) written; when refused, `alt` first, then it again. */
  | { op: 'set'; path: string; value: string; alt?: string }
  /** A file made (empty) if missing, its access and change times set to `seconds` since 1970. */
  | { op: 'touch'; path: string; mode: number; seconds: number };

/** The words of the steps at the head of a `launch` request: `prepare COUNT STEP...`. */
export function stepWords(steps: readonly LaunchStep[]): string[] {
  const words = steps.flatMap((step) => {
    const args = stepArgs(step);
    if (args.some((word) => word.includes('\0')))
      throw new Error(`a launch step's words cannot hold a NUL: ${step.op} ${step.path}`);
    return args;
  });
  return ['prepare', String(words.length), ...words];
}

function stepArgs(step: LaunchStep): string[] {
  switch (step.op) {
    case 'mkdir':
      return [
        'mkdir',
        step.mode.toString(8),
        step.owner === undefined ? '' : String(step.owner),
        step.path,
      ];
    case 'write':
      return ['write', step.mode.toString(8), step.path, step.text];
    case 'replace':
      return ['replace', step.path, step.text];
    case 'set':
      return ['set', step.path, step.value, step.alt ?? ''];
    case 'touch':
      return ['touch', step.mode.toString(8), String(step.seconds), step.path];
  }
}

/** The error of a step that failed with system error `errno`: as Node's fs calls report one. */
export function stepError(errno: number, message: string): NodeJS.ErrnoException {
  let code = 'EIO';
  try {
    code = getSystemErrorName(-errno);
  } catch {}
  return Object.assign(new Error(message), { errno: -errno, code });
}
