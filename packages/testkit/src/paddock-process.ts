// A Paddock server as a real child process, for journeys and benchmarks: started with the given
// script and arguments, its URL read from the "listening on" line of its log.
import { execFileSync, spawn } from 'node:child_process';

export type PaddockProcess = {
  url: string;
  /** The process id (to read its memory from /proc, say). */
  pid: number;
  /** Everything the process wrote to stderr so far (its log), for failure reports. */
  stderr(): string;
  /** SIGTERM (SIGKILL after `graceMs`); resolves with the exit code, null if killed by a signal. */
  stop(graceMs?: number): Promise<number | null>;
  /** SIGKILL at once, as a crash would; resolves when the process is gone. */
  kill(): Promise<void>;
};

/** Spawns `node <argv…>` and waits until it logs `listening on http(s)://…` (throws with its log otherwise). */
export async function startPaddockProcess(
  argv: readonly string[],
  options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<PaddockProcess> {
  const child = spawn(process.execPath, [...argv], {
    stdio: ['ignore', 'ignore', 'pipe'],
    ...(options.env ? { env: options.env } : {}),
  });
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  let log = '';
  const timeoutMs = options.timeoutMs ?? 30_000;
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`paddock did not start in ${timeoutMs} ms:\n${log}`));
    }, timeoutMs);
    child.stderr.on('data', (chunk: Buffer) => {
      log += chunk.toString();
      const found = /listening on (https?:\/\/\S+)/.exec(log)?.[1];
      if (found !== undefined) {
        clearTimeout(timer);
        resolve(found);
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`paddock exited (${code}) before listening:\n${log}`));
    });
  });
  return {
    url,
    pid: child.pid ?? 0,
    stderr: () => log,
    kill: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGKILL');
      await exited;
    },
    stop: async (graceMs = 10_000) => {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

/** Why sandbox tests cannot run here (for `describe(…, { skip })`), or false when bwrap is installed. */
export function bwrapSkipReason(): string | false {
  try {
    execFileSync('bwrap', ['--version'], { stdio: 'ignore' });
    return false;
  } catch {
    return 'bwrap is not installed (scripts/setup.sh installs it)';
  }
}
