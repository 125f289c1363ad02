// The test runner's global set-up: every test file of the run gets one temporary directory of its
// own run (TMPDIR), so every sandbox, server and mount a test makes names it. After the run, any
// process still naming it (in its command line or environment) or a mount below it is a leak: it
// is reported, killed, and fails the run.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** What still names `dir` on this machine: processes (pid and command) and mount points. */
export function leftoversOf(dir: string): {
  processes: Array<{ pid: number; command: string }>;
  mounts: string[];
} {
  const processes: Array<{ pid: number; command: string }> = [];
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    const command = read(`/proc/${pid}/cmdline`).replaceAll('\0', ' ').trim();
    if (command.includes(dir) || read(`/proc/${pid}/environ`).includes(dir)) {
      processes.push({ pid, command });
    }
  }
  const mounts = read('/proc/self/mounts')
    .split('\n')
    .map((line) => line.split(' ')[1] ?? '')
    .filter((point) => point.startsWith(dir));
  return { processes, mounts };
}

/** A file's text; empty when it is gone meanwhile (a process that ended) or not ours to read. */
function read(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

export async function globalSetup(): Promise<void> {
  process.env.TMPDIR = mkdtempSync(join(tmpdir(), 'paddock-test-run-'));
}

export async function globalTeardown(): Promise<void> {
  const dir = process.env.TMPDIR ?? '';
  if (!dir.includes('paddock-test-run-')) return;
  // Sandboxes a test destroyed may take a moment to be reaped.
  let found = leftoversOf(dir);
  for (let i = 0; i < 50 && (found.processes.length > 0 || found.mounts.length > 0); i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    found = leftoversOf(dir);
  }
  if (found.processes.length > 0 || found.mounts.length > 0) {
    process.stderr.write(
      `\nleak check: ${found.processes.length} process(es) and ${found.mounts.length} mount(s) outlived their tests:\n${[
        ...found.processes.map((p) => `  pid ${p.pid}: ${p.command.slice(0, 300)}`),
        ...found.mounts.map((m) => `  mount ${m}`),
      ].join('\n')}\n`,
    );
    for (const { pid } of found.processes) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    process.exitCode = 1;
  }
  rmSync(dir, { recursive: true, force: true });
}
