/**
 * The shell side of background processes in a pod. Exec cannot re-attach, so each background
 * process runs under a supervisor shell of its own session (`setsid`), which outlives the exec
 * that started it, and records the process in files:
 *
 * - `/run/paddock/proc/<id>/` (memory-backed): `command` (argv as JSON), `started` (RFC 3339),
 *   `supervisor` and `pid`, then `exit` (the wait status: a code, or 128 + n for signal n),
 *   `signal` (the last signal sent through the runtime), `timedout`.
 * - `/tmp/.paddock/proc/<id>/stdout`, `stderr`: the output, on the larger scratch volume (the
 *   run volume is 1 MiB).
 *
 * The program runs in a session of its own (`setsid`), so a signal reaches its whole tree. Needs a
 * POSIX shell, `setsid`, and GNU `tail` (`--pid`) for attach.
 */
import { RUN_PATH, TMP_PATH } from '../objects/template-files.ts';

export const PROC_PATH = `${RUN_PATH}/proc`;
export const OUTPUT_PATH = `${TMP_PATH}/.paddock/proc`;

/** Exit codes of the scripts that mean something to the runtime. */
export const ScriptExit = { Running: 17, NotFound: 44, NoSetsid: 45 } as const;

const SUPERVISE = [
  'd=$1 o=$2 t=$3 cwd=$4 n=$5; shift 5',
  'printf %s "$$" > "$d/supervisor"',
  'while [ "$n" -gt 0 ]; do export "$1"; shift; n=$((n - 1)); done',
  'if [ -n "$cwd" ] && ! cd -- "$cwd" 2>>"$o/stderr"; then',
  '  printf %s "$$" > "$d/pid"; printf 126 > "$d/exit.new"; mv "$d/exit.new" "$d/exit"; exit 0',
  'fi',
  'setsid "$@" </dev/null >>"$o/stdout" 2>>"$o/stderr" &',
  'c=$!',
  'printf %s "$c" > "$d/pid.new"; mv "$d/pid.new" "$d/pid"',
  'w=',
  'if [ "$t" != 0 ]; then',
  '  (trap \'kill "$s" 2>/dev/null; exit 0\' TERM; sleep "$t" & s=$!; wait "$s"',
  '   if [ ! -e "$d/exit" ]; then : > "$d/timedout"; kill -s KILL -- "-$c" 2>/dev/null || kill -s KILL "$c"; fi) &',
  '  w=$!',
  'fi',
  'wait "$c"; code=$?',
  'if [ -n "$w" ]; then kill "$w" 2>/dev/null; wait "$w" 2>/dev/null; fi',
  'printf %s "$code" > "$d/exit.new"; mv "$d/exit.new" "$d/exit"',
].join('\n');

const START = [
  'sup=$1 id=$2 started=$3 t=$4 cwd=$5 json=$6; shift 6',
  `d=${PROC_PATH}/$id o=${OUTPUT_PATH}/$id`,
  'if [ -e "$d/supervisor" ] && [ ! -e "$d/exit" ] && kill -0 "$(cat "$d/supervisor")" 2>/dev/null; then',
  `  echo "process $id is running" >&2; exit ${ScriptExit.Running}`,
  'fi',
  `command -v setsid >/dev/null 2>&1 || { echo 'setsid is missing in the image' >&2; exit ${ScriptExit.NoSetsid}; }`,
  'rm -rf "$d" "$o" && mkdir -p "$d" "$o" || exit 125',
  'printf %s "$json" > "$d/command"; printf %s "$started" > "$d/started"',
  ': > "$o/stdout"; : > "$o/stderr"',
  'setsid /bin/sh -c "$sup" paddock-supervise "$d" "$o" "$t" "$cwd" "$@" </dev/null >/dev/null 2>&1 &',
  'i=0; while [ ! -e "$d/pid" ] && [ "$i" -lt 200 ]; do sleep 0.05; i=$((i + 1)); done',
  '[ -e "$d/pid" ] || { echo "the supervisor of $id did not start" >&2; exit 125; }',
].join('\n');

const FIELDS = [
  'p() { if [ -e "$1" ]; then cat "$1"; fi; }',
  'row() {',
  '  d=$1; id=$(basename "$d"); s=$(p "$d/supervisor")',
  '  alive=0; if [ ! -e "$d/exit" ] && [ -n "$s" ] && kill -0 "$s" 2>/dev/null; then alive=1; fi',
  '  to=0; if [ -e "$d/timedout" ]; then to=1; fi',
  `  printf '%s\\t%s\\t%s\\t%s\\t%s\\t%s\\t%s\\n' "$id" "$(p "$d/started")" "$(p "$d/exit")" "$(p "$d/signal")" "$to" "$alive" "$(p "$d/command")"`,
  '}',
].join('\n');

const LIST = [
  FIELDS,
  `if [ -e ${RUN_PATH}/start ]; then echo gate; else echo closed; fi`,
  `for d in ${PROC_PATH}/*; do [ -d "$d" ] && row "$d"; done`,
  'exit 0',
].join('\n');

const ONE = [
  FIELDS,
  `d=${PROC_PATH}/$1`,
  `[ -d "$d" ] || exit ${ScriptExit.NotFound}`,
  'row "$d"',
].join('\n');

const ATTACH = [
  `d=${PROC_PATH}/$1 o=${OUTPUT_PATH}/$1`,
  `[ -d "$d" ] || exit ${ScriptExit.NotFound}`,
  'if [ -e "$d/exit" ]; then cat "$o/stdout"; cat "$o/stderr" >&2; exit 0; fi',
  's=$(cat "$d/supervisor")',
  'tail -c +1 -s 0.1 --pid="$s" -f "$o/stdout" & a=$!',
  'tail -c +1 -s 0.1 --pid="$s" -f "$o/stderr" >&2 & b=$!',
  'wait "$a"; wait "$b"',
].join('\n');

const SIGNAL = [
  `d=${PROC_PATH}/$2`,
  `[ -e "$d/pid" ] || exit ${ScriptExit.NotFound}`,
  '[ -e "$d/exit" ] && exit 0',
  'printf %s "$1" > "$d/signal"; p=$(cat "$d/pid")',
  'kill -s "$1" -- "-$p" 2>/dev/null || kill -s "$1" "$p" 2>/dev/null || true',
].join('\n');

const sh = (script: string, name: string, args: readonly string[]) => [
  '/bin/sh',
  '-c',
  script,
  name,
  ...args,
];

export type StartArgs = {
  id: string;
  startedAt: string;
  timeoutMs: number;
  cwd: string;
  env: Readonly<Record<string, string>>;
  command: readonly string[];
};

/** The argv that starts a supervised background process (exit `Running` when its id runs). */
export function startCommand(args: StartArgs): string[] {
  const pairs = Object.entries(args.env).map(([name, value]) => `${name}=${value}`);
  return sh(START, 'paddock-start', [
    SUPERVISE,
    args.id,
    args.startedAt,
    args.timeoutMs === 0 ? '0' : String(args.timeoutMs / 1000),
    args.cwd,
    JSON.stringify(args.command),
    String(pairs.length),
    ...pairs,
    ...args.command,
  ]);
}

/** Prints `gate` or `closed` (the main command's start gate), then one row per process. */
export const listCommand = (): string[] => sh(LIST, 'paddock-list', []);
/** One row of one process (exit `NotFound` when there is no such process). */
export const rowCommand = (id: string): string[] => sh(ONE, 'paddock-row', [id]);
/** Its output so far on stdout and stderr, then live until it ends. */
export const attachCommand = (id: string): string[] => sh(ATTACH, 'paddock-attach', [id]);
/** Records `signal` (`TERM`) and sends it to the process's group, else to it. */
export const signalCommand = (id: string, signal: string): string[] =>
  sh(SIGNAL, 'paddock-signal', [signal, id]);
