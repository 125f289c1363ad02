// Proportional set size of process trees, from /proc (Linux).
import { readFileSync } from 'node:fs';

function children(pid: number): number[] {
  try {
    const tasks = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
    return tasks === '' ? [] : tasks.split(/\s+/).map(Number);
  } catch {
    return [];
  }
}

/** Every pid in the tree rooted at `pid`, itself included. */
export function processTree(pid: number): number[] {
  const out: number[] = [];
  const stack = [pid];
  while (stack.length > 0) {
    const next = stack.pop() as number;
    out.push(next);
    stack.push(...children(next));
  }
  return out;
}

/** PSS in bytes (shared pages split between sharers), 0 for a process that is gone. */
export function pssBytes(pid: number): number {
  try {
    const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    const kb = /^Pss:\s+(\d+) kB/m.exec(rollup)?.[1];
    return kb === undefined ? 0 : Number(kb) * 1024;
  } catch {
    return 0;
  }
}

export function treePssBytes(pid: number): number {
  return processTree(pid).reduce((sum, p) => sum + pssBytes(p), 0);
}
