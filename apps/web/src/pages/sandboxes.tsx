import type { Sandbox } from '@paddock/core';
import { sandboxPhases } from '@paddock/core';
import { useQuery } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { PageHeader } from '../components/layout.tsx';
import { Link } from '../components/link.tsx';
import { PhaseBadge } from '../components/sandbox/phase-badge.tsx';
import { SandboxActions } from '../components/sandbox/sandbox-actions.tsx';
import { Empty, QueryView } from '../components/states.tsx';
import { age } from '../lib/format.ts';
import { useLiveKind } from '../lib/live.ts';
import { useSession } from '../lib/session.ts';
import './sandboxes.css';
import { TableFrame } from '../components/table-frame.tsx';

const templateOf = (s: Sandbox) =>
  `${s.spec.templateRef.kind === 'ClusterSandboxTemplate' ? 'cluster/' : ''}${s.spec.templateRef.name}`;

/** The namespace's sandboxes, live, with filters and row actions. */
export function SandboxesPage(_props: { params: Record<string, string> }) {
  const { client, namespace } = useSession();
  const queryKey = ['Sandbox', namespace, 'list'];
  const query = useQuery({ queryKey, queryFn: () => client.sandboxes.list() });
  useLiveKind('Sandbox', ['Sandbox', namespace]);
  const [search, setSearch] = useState('');
  const [phase, setPhase] = useState('');
  const [template, setTemplate] = useState('');

  const items = query.data?.items ?? [];
  const templates = useMemo(() => [...new Set(items.map(templateOf))].sort(), [items]);
  const shown = items.filter(
    (s) =>
      (s.metadata.name ?? '').includes(search.trim().toLowerCase()) &&
      (!phase || (s.status?.phase ?? 'Pending') === phase) &&
      (!template || templateOf(s) === template),
  );

  return (
    <>
      <PageHeader title="Sandboxes">
        <Link to="/sandboxes/new" className="button primary">
          New sandbox
        </Link>
      </PageHeader>
      <QueryView query={query} what="Loading sandboxes">
        {(list) =>
          list.items.length === 0 ? (
            <Empty title="No sandboxes yet">
              <p>
                A sandbox is an isolated environment made from a template. Create one with{' '}
                <Link to="/sandboxes/new">New sandbox</Link>, or from a terminal:
              </p>
              <pre>paddock sandbox create my-box --template shell --cluster</pre>
            </Empty>
          ) : (
            <>
              <div className="sandbox-filters row">
                <div className="field">
                  <label htmlFor="sandbox-search">Search by name</label>
                  <input
                    id="sandbox-search"
                    type="search"
                    value={search}
                    onChange={(e) => setSearch(e.target.value)}
                  />
                </div>
                <div className="field">
                  <label htmlFor="sandbox-phase">Phase</label>
                  <select
                    id="sandbox-phase"
                    value={phase}
                    onChange={(e) => setPhase(e.target.value)}
                  >
                    <option value="">All phases</option>
                    {sandboxPhases.map((p) => (
                      <option key={p} value={p}>
                        {p}
                      </option>
                    ))}
                  </select>
                </div>
                <div className="field">
                  <label htmlFor="sandbox-template">Template</label>
                  <select
                    id="sandbox-template"
                    value={template}
                    onChange={(e) => setTemplate(e.target.value)}
                  >
                    <option value="">All templates</option>
                    {templates.map((t) => (
                      <option key={t} value={t}>
                        {t}
                      </option>
                    ))}
                  </select>
                </div>
              </div>
              <p className="visually-hidden" role="status" aria-live="polite">
                {shown.length} of {list.items.length} sandboxes shown
              </p>
              <TableFrame label="Sandboxes">
                <table>
                  <caption className="visually-hidden">Sandboxes</caption>
                  <thead>
                    <tr>
                      <th scope="col">Name</th>
                      <th scope="col">Phase</th>
                      <th scope="col">Template</th>
                      <th scope="col">From pool</th>
                      <th scope="col">Age</th>
                      <th scope="col">
                        <span className="visually-hidden">Actions</span>
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    {shown.map((s) => (
                      <tr key={s.metadata.uid ?? s.metadata.name}>
                        <td>
                          <Link to={`/sandboxes/${encodeURIComponent(s.metadata.name ?? '')}`}>
                            {s.metadata.name}
                          </Link>
                        </td>
                        <td>
                          <PhaseBadge phase={s.status?.phase} />
                        </td>
                        <td>{templateOf(s)}</td>
                        <td>{s.status?.fromWarmPool ? 'yes' : 'no'}</td>
                        <td>
                          <time dateTime={s.metadata.creationTimestamp}>
                            {age(s.metadata.creationTimestamp)}
                          </time>
                        </td>
                        <td>
                          <SandboxActions sandbox={s} compact />
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </TableFrame>
              {shown.length === 0 ? <Empty title="No sandbox matches these filters" /> : null}
            </>
          )
        }
      </QueryView>
    </>
  );
}
