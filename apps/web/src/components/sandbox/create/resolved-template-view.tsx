import type { ResolvedTemplate } from '@paddock/api';
import { TableFrame } from '../../table-frame.tsx';

/**
 * The value at an origin path of a spec: `resources.cpu`, `repos[0]`, or a merge-by-key item
 * (`env.HOME`, `files./etc/motd`, `ports.web`) whose key may itself contain dots.
 */
function valueAt(value: unknown, path: string): unknown {
  if (path === '') return value;
  if (Array.isArray(value)) {
    const indexed = /^\[(\d+)\]\.?(.*)$/.exec(path);
    if (indexed) return valueAt(value[Number(indexed[1])], indexed[2] ?? '');
    const key = path.replace(/^\./, '');
    return value.find(
      (item: unknown) =>
        typeof item === 'object' &&
        item !== null &&
        ((item as { name?: unknown }).name === key || (item as { path?: unknown }).path === key),
    );
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const field = /^\.?([A-Za-z]+)(.*)$/.exec(path);
  if (!field?.[1]) return undefined;
  return valueAt((value as Record<string, unknown>)[field[1]], field[2] ?? '');
}

function show(value: unknown): string {
  if (value === undefined) return '—';
  if (typeof value === 'string') return value;
  if (
    typeof value === 'object' &&
    value !== null &&
    'name' in value &&
    'value' in value &&
    Object.keys(value).length === 2
  ) {
    return `${String(value.name)}=${String(value.value)}`;
  }
  const text = JSON.stringify(value);
  return text.length > 120 ? `${text.slice(0, 117)}…` : text;
}

/** The template after inheritance: each field, its value and the template that set it. */
export function ResolvedTemplateView({
  resolved,
  overrides,
}: {
  resolved: ResolvedTemplate;
  /** Field path → value, for the fields this sandbox overrides (`resources.cpu`, `env.HOME`). */
  overrides: Readonly<Record<string, string>>;
}) {
  const paths = new Set([...Object.keys(resolved.origins), ...Object.keys(overrides)]);
  const rows = [...paths].sort((a, b) => a.localeCompare(b));
  return (
    <>
      <p className="muted small">
        Inheritance: {resolved.chain.join(' → ')}. Overridable here:{' '}
        {resolved.overridable.length > 0 ? resolved.overridable.join(', ') : 'nothing'}.
      </p>
      <TableFrame label="Resolved template fields">
        <table className="resolved-table">
          <caption className="visually-hidden">Resolved template fields</caption>
          <thead>
            <tr>
              <th scope="col">Field</th>
              <th scope="col">Value</th>
              <th scope="col">From</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((path) => {
              const origin = resolved.origins[path];
              const override = overrides[path];
              return (
                <tr key={path}>
                  <td className="mono">{path}</td>
                  <td className="mono resolved-value">
                    {override === undefined ? (
                      show(valueAt(resolved.spec, path))
                    ) : (
                      <>
                        {override}
                        {origin ? (
                          <del className="muted"> {show(valueAt(resolved.spec, path))}</del>
                        ) : null}
                      </>
                    )}
                  </td>
                  <td>
                    {override === undefined ? (
                      <Origin label={origin ?? ''} />
                    ) : (
                      <span className="badge warn">this sandbox (override)</span>
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </TableFrame>
    </>
  );
}

/** `Kind/name`, breakable after the slash on narrow screens. */
function Origin({ label }: { label: string }) {
  const slash = label.indexOf('/');
  if (slash === -1) return <>{label}</>;
  return (
    <>
      {label.slice(0, slash + 1)}
      <wbr />
      {label.slice(slash + 1)}
    </>
  );
}
