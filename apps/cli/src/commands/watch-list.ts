import { type WatchEvent, WatchEventType } from '@paddock/core';
import { stringify } from 'yaml';
import { OutputFormat } from '../cli-options.ts';
import type { CommandContext } from '../command.ts';
import type { Column } from '../output.ts';

/**
 * An AbortSignal that fires on Ctrl-C (SIGINT) or SIGTERM, so a long-running command ends its
 * stream and returns 0 instead of being killed. `dispose` restores the default handling.
 */
export function interruption(): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return {
    signal: controller.signal,
    dispose: () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    },
  };
}

export type WatchOutput<T> = {
  /** What is already there, printed first (as one table). */
  initial: readonly T[];
  /** The changes, until `signal` aborts. */
  stream: (signal: AbortSignal) => AsyncIterable<T>;
  /** Table columns, given the time the row is printed (for AGE). */
  columns: (now: Date) => Column<T>[];
  /** `-o name`: one `noun/name` line per item. */
  nameOf: (item: T) => string;
  /** Narrowest width of each column, for a stream that starts without rows. */
  minWidths?: readonly number[];
};

function padRow(cells: readonly string[], widths: readonly number[]): string {
  return `${cells
    .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
    .join('  ')
    .trimEnd()}\n`;
}

/** One watched item as one line (a row padded to `widths`, JSON, a YAML document or a name). */
function formatItem<T>(format: OutputFormat, output: WatchOutput<T>, now: Date, widths: number[]) {
  return (item: T): string => {
    switch (format) {
      case OutputFormat.Table:
        return padRow(
          output.columns(now).map((c) => c.value(item)),
          widths,
        );
      case OutputFormat.Json:
        return `${JSON.stringify(item)}\n`;
      case OutputFormat.Yaml:
        return `---\n${stringify(item)}`;
      case OutputFormat.Name:
        return `${output.nameOf(item)}\n`;
      default: {
        const unhandled: never = format;
        throw new Error(`unknown output format ${String(unhandled)}`);
      }
    }
  };
}

/** The table head and the initial rows; the column widths later rows are padded to. */
function tableStart<T>(output: WatchOutput<T>, now: Date): { text: string; widths: number[] } {
  const columns = output.columns(now);
  const rows = [
    columns.map((c) => c.header),
    ...output.initial.map((item) => columns.map((c) => c.value(item))),
  ];
  const widths = columns.map((_, i) =>
    Math.max(output.minWidths?.[i] ?? 0, ...rows.map((row) => row[i]?.length ?? 0)),
  );
  return { text: rows.map((row) => padRow(row, widths)).join(''), widths };
}

/**
 * Prints `initial`, then one more line (a table row, a JSON object, a YAML document or a name) per
 * item of the stream, as kubectl's `--watch`: `-o json` is NDJSON. Ends with 0 on Ctrl-C.
 */
export async function printWatch<T>(
  { io, settings }: CommandContext,
  output: WatchOutput<T>,
): Promise<number> {
  // Handled before the first line is printed, so a Ctrl-C right after it still ends cleanly.
  const { signal, dispose } = interruption();
  try {
    const format = settings.output;
    let widths: number[] = [];
    if (format === OutputFormat.Table) {
      const start = tableStart(output, io.now());
      widths = start.widths;
      io.stdout(start.text);
    } else {
      for (const item of output.initial) io.stdout(formatItem(format, output, io.now(), [])(item));
    }
    for await (const item of output.stream(signal)) {
      io.stdout(formatItem(format, output, io.now(), widths)(item));
    }
  } finally {
    dispose();
  }
  return 0;
}

type Named = { kind: string; metadata: { name?: string | undefined } };

/**
 * The watch of a list of resources: its items as ADDED events, then the changes after the list's
 * resourceVersion (so nothing is missed or printed twice). Rows show the object as it is now.
 */
export function resourceWatch<R extends Named>(
  list: { items: readonly R[]; metadata: { resourceVersion?: string | undefined } },
  watch: (from: { resourceVersion?: string; signal: AbortSignal }) => AsyncIterable<WatchEvent<R>>,
  columns: (now: Date) => Column<R>[],
): WatchOutput<WatchEvent<R>> {
  const version = list.metadata.resourceVersion;
  return {
    initial: list.items.map((object) => ({ type: WatchEventType.Added, object })),
    stream: (signal) =>
      watch({ ...(version === undefined ? {} : { resourceVersion: version }), signal }),
    columns: (now) =>
      columns(now).map((c) => ({ header: c.header, value: (event) => c.value(event.object) })),
    nameOf: (event) => `${event.object.kind.toLowerCase()}/${event.object.metadata.name ?? ''}`,
  };
}

/** The items of several streams in the order they arrive; ends when all have ended. */
export async function* mergeStreams<T>(streams: readonly AsyncIterable<T>[]): AsyncGenerator<T> {
  const iterators = streams.map((s) => s[Symbol.asyncIterator]());
  const pending = new Map(iterators.map((it, i) => [i, it.next().then((r) => ({ i, r }))]));
  try {
    while (pending.size > 0) {
      const { i, r } = await Promise.race(pending.values());
      if (r.done) {
        pending.delete(i);
        continue;
      }
      pending.set(
        i,
        (iterators[i] as AsyncIterator<T>).next().then((next) => ({ i, r: next })),
      );
      yield r.value;
    }
  } finally {
    await Promise.all(iterators.map((it) => it.return?.()));
  }
}
