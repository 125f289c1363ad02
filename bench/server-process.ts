// The real `paddock up` as a child process for the API load case: started on 127.0.0.1:0 with
// a temp home, its URL read from stderr, stopped with SIGTERM (SIGKILL if it lingers).
import { spawn } from 'node:child_process';
import { join } from 'node:path';

const MAIN = join(import.meta.dirname, '..', 'apps', 'server', 'src', 'main.ts');

export type ServerProcess = {
  url: string;
  /** Everything the server wrote to stderr so far (its log), for failure reports. */
  stderr(): string;
  stop(): Promise<void>;
};

export async function startServerProcess(
  home: string,
  extraFlags: string[] = [],
): Promise<ServerProcess> {
  const child = spawn(
    process.execPath,
    [MAIN, '--addr', '127.0.0.1:0', '--home', home, ...extraFlags],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let log = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`server did not start in 30 s:\n${log}`));
    }, 30_000);
    child.stderr.on('data', (chunk: Buffer) => {
      log += chunk.toString();
      const found = /listening on (http:\/\/\S+)/.exec(log)?.[1];
      if (found !== undefined) {
        clearTimeout(timer);
        resolve(found);
      }
    });
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`server exited before listening:\n${log}`));
    });
  });
  return {
    url,
    stderr: () => log,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
