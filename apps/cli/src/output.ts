import { stringify } from 'yaml';
import { OutputFormat } from './cli-options.ts';

export type Column<T> = { header: string; value: (item: T) => string };

type Named = { kind: string; metadata: { name?: string | undefined } };

/** Aligned columns: each as wide as its widest cell, two spaces apart, no trailing spaces. */
export function formatTable<T>(columns: readonly Column<T>[], items: readonly T[]): string {
  const rows = [columns.map((c) => c.header), ...items.map((i) => columns.map((c) => c.value(i)))];
  const widths = columns.map((_, index) => Math.max(...rows.map((row) => row[index]?.length ?? 0)));
  return rows
    .map((row) =>
      row
        .map((cell, index) => (index === row.length - 1 ? cell : cell.padEnd(widths[index] ?? 0)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n')
    .concat('\n');
}

/** Age as kubectl prints it: `45s`, `12m`, `3h`, `5d`; `<unknown>` without a timestamp. */
export function formatAge(since: string | undefined, now: Date): string {
  if (!since) return '<unknown>';
  const seconds = Math.max(0, Math.floor((now.getTime() - Date.parse(since)) / 1000));
  if (Number.isNaN(seconds)) return '<unknown>';
  if (seconds < 120) return `${seconds}s`;
  if (seconds < 2 * 3600) return `${Math.floor(seconds / 60)}m`;
  if (seconds < 2 * 86_400) return `${Math.floor(seconds / 3600)}h`;
  return `${Math.floor(seconds / 86_400)}d`;
}

/**
 * Resources as asked: a table for people, or for scripts `json` (one object, or a `List` of
 * several), `yaml` (the same) or `name` (`kind/name` per line, kind in lower case).
 */
export function formatResources<T extends Named>(
  items: readonly T[],
  options: { format: OutputFormat; columns: readonly Column<T>[]; isList: boolean },
): string {
  const document = options.isList || items.length !== 1 ? { kind: 'List', items } : items[0];
  switch (options.format) {
    case OutputFormat.Table:
      return items.length === 0 && options.isList
        ? 'No resources found.\n'
        : formatTable(options.columns, items);
    case OutputFormat.Json:
      return `${JSON.stringify(document, null, 2)}\n`;
    case OutputFormat.Yaml:
      return stringify(document);
    case OutputFormat.Name:
      return items.map((i) => `${i.kind.toLowerCase()}/${i.metadata.name ?? ''}\n`).join('');
    default: {
      const unhandled: never = options.format;
      throw new Error(`unknown output format ${String(unhandled)}`);
    }
  }
}

/**
 * A list that is not a resource kind (API keys, audit records, events): a table for people, the
 * list as the server answered for `json` and `yaml`, `name` as `noun/id` per line.
 */
export function formatList<T>(
  list: { items: readonly T[] },
  options: {
    format: OutputFormat;
    columns: readonly Column<T>[];
    nameOf: (item: T) => string;
    empty: string;
  },
): string {
  switch (options.format) {
    case OutputFormat.Table:
      return list.items.length === 0 ? options.empty : formatTable(options.columns, list.items);
    case OutputFormat.Json:
      return `${JSON.stringify(list, null, 2)}\n`;
    case OutputFormat.Yaml:
      return stringify(list);
    case OutputFormat.Name:
      return list.items.map((i) => `${options.nameOf(i)}\n`).join('');
    default: {
      const unhandled: never = options.format;
      throw new Error(`unknown output format ${String(unhandled)}`);
    }
  }
}
