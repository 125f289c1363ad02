/**
 * Table output (`Accept: application/json;as=Table;g=meta.k8s.io;v=v1`): the Name column, then
 * the kind's printer columns (the CRDs' `additionalPrinterColumns`, same registry), cells read
 * with their simple JSONPath, `date` columns shown as an age as the API server shows them.
 */
import { type AnyResource, KINDS, type Kind, type PrinterColumn } from '@paddock/core';

/** Whether the client asked for a Table (kubectl get does). */
export function wantsTable(accept: string | undefined): boolean {
  return accept !== undefined && /as=Table/.test(accept) && /g=meta\.k8s\.io/.test(accept);
}

export const IncludeObject = { None: 'None', Metadata: 'Metadata', Object: 'Object' } as const;
export type IncludeObject = (typeof IncludeObject)[keyof typeof IncludeObject];

export function includeObjectOf(value: string | null): IncludeObject {
  return value === IncludeObject.None || value === IncludeObject.Object
    ? value
    : IncludeObject.Metadata;
}

type Segment = { key: string } | { index: number } | { filterKey: string; equals: string };

function parsePath(jsonPath: string): Segment[] {
  const segments: Segment[] = [];
  const pattern = /\.([A-Za-z0-9_-]+)|\[(\d+)\]|\[\?\(@\.([A-Za-z0-9_-]+)=="([^"]*)"\)\]/gy;
  for (const match of jsonPath.matchAll(pattern)) {
    if (match[1] !== undefined) segments.push({ key: match[1] });
    else if (match[2] !== undefined) segments.push({ index: Number(match[2]) });
    else segments.push({ filterKey: match[3] ?? '', equals: match[4] ?? '' });
  }
  return segments;
}

/** The value at a printer column's JSONPath, or undefined. */
export function valueAt(object: unknown, jsonPath: string): unknown {
  let current: unknown = object;
  for (const segment of parsePath(jsonPath)) {
    if (current === null || typeof current !== 'object') return undefined;
    if ('key' in segment) current = (current as Record<string, unknown>)[segment.key];
    else if ('index' in segment)
      current = Array.isArray(current) ? current[segment.index] : undefined;
    else {
      current = Array.isArray(current)
        ? current.find(
            (item: unknown) =>
              typeof item === 'object' &&
              item !== null &&
              (item as Record<string, unknown>)[segment.filterKey] === segment.equals,
          )
        : undefined;
    }
  }
  return current;
}

/** An age as kubectl shows it: `45s`, `12m`, `5h`, `3d`, `2y`. */
export function ageOf(timestamp: string, nowMs: number): string {
  const seconds = Math.floor((nowMs - Date.parse(timestamp)) / 1000);
  // A time to come (an expiry) reads as the API server reads it.
  if (Number.isNaN(seconds) || seconds < 0) return '<invalid>';
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 120) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours}h`;
  const days = Math.floor(hours / 24);
  return days < 730 ? `${days}d` : `${Math.floor(days / 365)}y`;
}

function cellOf(column: PrinterColumn, object: AnyResource, nowMs: number): unknown {
  const value = valueAt(object, column.jsonPath);
  if (value === undefined || value === null) return null;
  if (column.type === 'date') return typeof value === 'string' ? ageOf(value, nowMs) : null;
  return typeof value === 'object' ? JSON.stringify(value) : value;
}

const columnsOf = (kind: Kind): readonly PrinterColumn[] => KINDS[kind].printerColumns;

function columnDefinitions(kind: Kind) {
  return [
    {
      name: 'Name',
      type: 'string',
      format: 'name',
      description: 'Name must be unique within a namespace.',
      priority: 0,
    },
    ...columnsOf(kind).map((column) => ({
      name: column.name,
      type: column.type,
      format: '',
      description: column.description,
      priority: column.priority ?? 0,
    })),
  ];
}

function rowObject(object: AnyResource, include: IncludeObject) {
  if (include === IncludeObject.Object) return { object };
  if (include === IncludeObject.None) return {};
  return {
    object: {
      kind: 'PartialObjectMetadata',
      apiVersion: 'meta.k8s.io/v1',
      metadata: object.metadata,
    },
  };
}

/** A Table of `objects` (a list's page, or one object, or one watch event's object). */
export function toTable(
  kind: Kind,
  objects: readonly AnyResource[],
  include: IncludeObject,
  listMeta: { resourceVersion?: string; continue?: string } = {},
) {
  const nowMs = Date.now();
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: listMeta,
    columnDefinitions: columnDefinitions(kind),
    rows: objects.map((object) => ({
      cells: [
        object.metadata.name ?? '',
        ...columnsOf(kind).map((column) => cellOf(column, object, nowMs)),
      ],
      ...rowObject(object, include),
    })),
  };
}
