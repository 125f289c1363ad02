import type { Style } from './style.ts';

/** Input fields that say best what a call does, most telling first. */
const KEY_FIELDS = ['command', 'cmd', 'path', 'file_path', 'filePath', 'pattern', 'url', 'query'];
const MAX_ARGUMENT = 80;
/** Lines of a failed tool's output shown under its result. */
const FAILED_OUTPUT_LINES = 5;

/** The one argument shown next to a tool's name, on one line and shortened. */
export function keyArgument(input: unknown): string {
  if (typeof input === 'string') return oneLine(input);
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return '';
  const record = input as Record<string, unknown>;
  const field = KEY_FIELDS.find((key) => record[key] !== undefined);
  const value = field === undefined ? Object.values(record)[0] : record[field];
  if (typeof value === 'string') return oneLine(value);
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) {
    return oneLine(value.join(' '));
  }
  return typeof value === 'number' || typeof value === 'boolean' ? String(value) : '';
}

function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > MAX_ARGUMENT ? `${flat.slice(0, MAX_ARGUMENT - 1)}…` : flat;
}

/** `▸ bash  npm test` */
export function formatToolCall(name: string, input: unknown, style: Style): string {
  const argument = keyArgument(input);
  return `${style.cyan('▸')} ${style.bold(name)}${argument ? `  ${argument}` : ''}\n`;
}

/** `1.2s`, `0.4s`, `2m05s`. */
export function formatDuration(ms: number): string {
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const seconds = Math.round(ms / 1000);
  return `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s`;
}

/** `  ✓ 0.4s  12 lines`, or `  ✗ exit 1  0.4s` and the first lines of what the tool said. */
export function formatToolResult(
  result: { output: string; isError: boolean; durationMs?: number | undefined },
  style: Style,
): string {
  const lines = result.output === '' ? [] : result.output.replace(/\n$/, '').split('\n');
  const took = result.durationMs === undefined ? '' : formatDuration(result.durationMs);
  if (!result.isError) {
    const size =
      lines.length === 0 ? 'no output' : `${lines.length} line${lines.length === 1 ? '' : 's'}`;
    return `  ${style.green('✓')} ${style.dim(took ? `${took}  ${size}` : size)}\n`;
  }
  const exit = /\bexit(?:ed)?(?: with)?(?: code| status)?:?\s*(\d+)/i.exec(result.output)?.[1];
  const head = `  ${style.red(`✗ ${exit === undefined ? 'failed' : `exit ${exit}`}`)}${took ? `  ${style.dim(took)}` : ''}\n`;
  const shown = lines.slice(0, FAILED_OUTPUT_LINES).map((line) => style.dim(`    ${line}\n`));
  const more = lines.length - FAILED_OUTPUT_LINES;
  if (more > 0) shown.push(style.dim(`    … ${more} more line${more === 1 ? '' : 's'}\n`));
  return head + shown.join('');
}
