import type { ResolvedTemplate } from '@paddock/api';
import { MERGE_RULES, type MergeRule } from '@paddock/core';
import { useQuery } from '@tanstack/react-query';
import { PageHeader } from '../components/layout.tsx';
import { Link } from '../components/link.tsx';
import { Empty, QueryView } from '../components/states.tsx';
import { useLiveKind } from '../lib/live.ts';
import { useSession } from '../lib/session.ts';
import { templatePath } from './templates.tsx';
import './templates.css';
import { TableFrame } from '../components/table-frame.tsx';

type FieldRow = { path: string; value: unknown; from: string | undefined };

/**
 * One row per value that provenance is recorded for, following the declared merge rules: a list
 * merged by key gives `env.HOME`, an appended list `repos[0]`, an object merged per field
 * `resources.cpu`.
 */
function fieldRows(
  value: Record<string, unknown>,
  rules: Readonly<Record<string, MergeRule>>,
  origins: Record<string, string>,
  prefix = '',
): FieldRow[] {
  const rows: FieldRow[] = [];
  for (const [field, fieldValue] of Object.entries(value)) {
    if (fieldValue === undefined) continue;
    const path = prefix + field;
    const rule: MergeRule = rules[field] ?? { rule: 'override' };
    if (rule.rule === 'merge-fields' && typeof fieldValue === 'object' && fieldValue !== null) {
      rows.push(
        ...fieldRows(fieldValue as Record<string, unknown>, rule.fields, origins, `${path}.`),
      );
    } else if (rule.rule === 'append' && Array.isArray(fieldValue)) {
      fieldValue.forEach((item, i) => {
        rows.push({
          path: `${path}[${i}]`,
          value: item,
          from: origins[`${path}[${i}]`] ?? origins[path],
        });
      });
    } else if (rule.rule === 'merge-by-key' && Array.isArray(fieldValue)) {
      for (const item of fieldValue as Array<Record<string, unknown>>) {
        const key = `${path}.${String(item[rule.key])}`;
        rows.push({ path: key, value: item, from: origins[key] ?? origins[path] });
      }
    } else {
      rows.push({ path, value: fieldValue, from: origins[path] });
    }
  }
  return rows;
}

function show(value: unknown): string {
  if (typeof value === 'string') return value;
  // An env entry merged by name: the row's path already names it.
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const keys = Object.keys(value);
    if (keys.length === 2 && 'name' in value && 'value' in value) return String(value.value);
  }
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value.join(' ');
  return JSON.stringify(value);
}

/** A read-only YAML-like rendering of plain JSON (for display, not for parsing back). */
export function yamlish(value: unknown, indent = ''): string {
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    return value
      .map((item) => {
        const body = yamlish(item, `${indent}  `);
        return typeof item === 'object' && item !== null
          ? `${indent}- ${body.trimStart()}`
          : `${indent}- ${body}`;
      })
      .join('\n');
  }
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined);
    if (entries.length === 0) return '{}';
    return entries
      .map(([key, v]) =>
        typeof v === 'object' && v !== null && (!Array.isArray(v) || v.length > 0)
          ? `${indent}${key}:\n${yamlish(v, `${indent}  `)}`
          : `${indent}${key}: ${yamlish(v, indent)}`,
      )
      .join('\n');
  }
  if (typeof value === 'string') {
    // Quoted when YAML would read it as something else: a number, a boolean, null, or with spaces.
    const isPlain =
      /^[\w./][\w./:@-]*$/.test(value) &&
      Number.isNaN(Number(value)) &&
      !/^(true|false|null|yes|no|on|off|~)$/i.test(value);
    return isPlain ? value : JSON.stringify(value);
  }
  return String(value);
}

function chainLink(entry: string) {
  const [kind, name = ''] = entry.split('/');
  const scope = kind === 'ClusterSandboxTemplate' ? 'cluster' : 'namespace';
  return <Link to={templatePath(scope, name)}>{entry}</Link>;
}

function Resolved({ resolved }: { resolved: ResolvedTemplate }) {
  const rows = fieldRows(resolved.spec, MERGE_RULES, resolved.origins);
  return (
    <>
      <nav aria-label="Inheritance chain">
        <ol className="template-chain">
          {resolved.chain.map((entry, i) => (
            <li key={entry} aria-current={i === resolved.chain.length - 1 ? 'page' : undefined}>
              {i === resolved.chain.length - 1 ? <strong>{entry}</strong> : chainLink(entry)}
            </li>
          ))}
        </ol>
      </nav>
      <p className="muted small">
        A sandbox may override:{' '}
        {resolved.overridable.length > 0 ? resolved.overridable.join(', ') : 'nothing'}
      </p>
      {rows.length === 0 ? (
        <Empty title="No fields set">The sandbox gets the runtime's defaults.</Empty>
      ) : (
        <TableFrame label="Resolved fields">
          <table className="template-fields">
            <caption className="visually-hidden">Resolved fields</caption>
            <thead>
              <tr>
                <th scope="col">Field</th>
                <th scope="col">Value</th>
                <th scope="col">From</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((row) => (
                <tr key={row.path}>
                  <td className="mono small">{row.path}</td>
                  <td className="mono small value">{show(row.value)}</td>
                  <td className="small">{row.from ?? <span className="muted">—</span>}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableFrame>
      )}
    </>
  );
}

/** A template after inheritance: the chain, every field with its source, and the raw spec. */
export function TemplateDetailPage({ params }: { params: Record<string, string> }) {
  const { client, namespace } = useSession();
  const name = params.name ?? '';
  const isCluster = params.scope === 'cluster';
  const kind = isCluster ? 'ClusterSandboxTemplate' : 'SandboxTemplate';
  const scopeKey = isCluster ? 'cluster' : namespace;
  const key = [kind, scopeKey, name];
  useLiveKind(kind, key);
  const resolved = useQuery({
    queryKey: [...key, 'resolved'],
    queryFn: ({ signal }) => client.templates.resolve(name, { cluster: isCluster, signal }),
  });
  const raw = useQuery({
    queryKey: [...key, 'raw'],
    queryFn: ({ signal }) => client.resources(kind).get(name, { signal }),
  });
  const scopeParam = isCluster ? 'cluster' : 'namespace';
  const newSandbox = `/sandboxes/new?template=${encodeURIComponent(name)}&scope=${scopeParam}`;

  return (
    <>
      <PageHeader title={`Template ${name}`}>
        <Link to={newSandbox} className="button primary">
          New sandbox from this template
        </Link>
      </PageHeader>
      <p className="muted">
        {isCluster ? 'ClusterSandboxTemplate (every namespace)' : `SandboxTemplate in ${namespace}`}{' '}
        · <Link to="/templates">All templates</Link>
      </p>
      <h2>Resolved</h2>
      <QueryView query={resolved} what="Resolving template">
        {(data) => <Resolved resolved={data} />}
      </QueryView>
      <h2>Spec</h2>
      <QueryView query={raw} what="Loading template">
        {(template) => <pre>{yamlish(template.spec)}</pre>}
      </QueryView>
    </>
  );
}
