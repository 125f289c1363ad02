/**
 * Reading back what the background scripts print (`background-scripts.ts`): one tab-separated row
 * per process, `id, started, exit, signal, timedout, alive, command (JSON)`, into `ProcessInfo`.
 */
import { constants } from 'node:os';
import type { ExitStatus, ProcessInfo } from '@paddock/core';

/** The exit a row's recorded wait status stands for (`128 + n` is signal n when n was sent). */
export function exitOf(code: string, signal: string, isTimedOut: boolean): ExitStatus | undefined {
  if (code === '') return undefined;
  const status = Number(code);
  if (isTimedOut) return { exitCode: null, signal: 'SIGKILL', timedOut: true };
  if (signal !== '') {
    const name = `SIG${signal}`;
    const number = constants.signals[name as keyof typeof constants.signals];
    if (number !== undefined && status === 128 + number) {
      return { exitCode: null, signal: name, timedOut: false };
    }
  }
  return { exitCode: status, signal: null, timedOut: false };
}

export function parseRow(line: string): ProcessInfo | undefined {
  const [id, started = '', code = '', signal = '', timedOut = '0', alive = '0', json = '[]'] =
    line.split('\t');
  if (id === undefined || id === '') return undefined;
  let command: string[] = [];
  try {
    const parsed: unknown = JSON.parse(json);
    if (Array.isArray(parsed)) command = parsed.map(String);
  } catch {}
  const exit = exitOf(code, signal, timedOut === '1');
  return {
    id,
    command,
    startedAt: started,
    running: alive === '1',
    ...(exit === undefined ? {} : { exit }),
  };
}

/** Every row of a listing (after its first line, the start gate's state). */
export function parseListing(text: string): { isGateOpen: boolean; processes: ProcessInfo[] } {
  const [gate = '', ...rows] = text.split('\n');
  const processes = rows
    .map(parseRow)
    .filter((p): p is ProcessInfo => p !== undefined)
    .sort((a, b) => a.startedAt.localeCompare(b.startedAt) || a.id.localeCompare(b.id));
  return { isGateOpen: gate === 'gate', processes };
}
