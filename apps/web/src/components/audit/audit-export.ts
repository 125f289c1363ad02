import type { AuditRecord } from '@paddock/api';

const COLUMNS = [
  'time',
  'actor',
  'action',
  'target',
  'result',
  'code',
  'requestId',
  'sourceIp',
] as const;

/** A CSV cell: quoted when it holds a comma, quote or line break; formula prefixes neutralised. */
function cell(value: string | undefined): string {
  let text = value ?? '';
  // A leading = + - @ makes spreadsheets evaluate the cell; audit fields are user-influenced.
  if (/^[=+\-@]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** The records as CSV (RFC 4180), a header row first; `details` is left out. */
export function auditCsv(records: readonly AuditRecord[]): string {
  const lines = [COLUMNS.join(',')];
  for (const record of records) lines.push(COLUMNS.map((c) => cell(record[c])).join(','));
  return `${lines.join('\r\n')}\r\n`;
}

/** Saves `text` as a file through a temporary object URL. */
export function download(text: string, filename: string, type: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 0);
}
