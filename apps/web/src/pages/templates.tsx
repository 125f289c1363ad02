import type { WarmPoolStatus } from '@paddock/api';
import type { AnyTemplate } from '@paddock/core';
import { useQuery } from '@tanstack/react-query';
import { PageHeader } from '../components/layout.tsx';
import { Link } from '../components/link.tsx';
import { Empty, ErrorState, Loading } from '../components/states.tsx';
import { age } from '../lib/format.ts';
import { useLiveKind } from '../lib/live.ts';
import { useSession } from '../lib/session.ts';
import './templates.css';
import { TableFrame } from '../components/table-frame.tsx';

type Row = { scope: 'cluster' | 'namespace'; template: AnyTemplate };

/** `/templates/cluster/NAME` or `/templates/namespace/NAME`. */
export function templatePath(scope: Row['scope'], name: string): string {
  return `/templates/${scope}/${encodeURIComponent(name)}`;
}

function inherited(template: AnyTemplate, value: string | undefined) {
  if (value !== undefined) return value;
  return template.spec.inheritsFrom ? <span className="muted">inherited</span> : '—';
}

/** `ready/size ready`: readiness from the warm-pool report, else the template's status. */
function warmPool(template: AnyTemplate, pools: readonly WarmPoolStatus[] | undefined) {
  const size = template.spec.warmPool?.size;
  if (!size) return '—';
  const { kind, metadata } = template;
  const key =
    kind === 'ClusterSandboxTemplate'
      ? `${kind}/${metadata.name}`
      : `${kind}/${metadata.namespace}/${metadata.name}`;
  const pool = pools?.find((p) => p.template === key);
  const ready = pool?.ready ?? template.status?.warmPool?.ready ?? 0;
  return `${ready}/${size} ready`;
}

function TemplateRow({
  row,
  namespace,
  pools,
}: {
  row: Row;
  namespace: string;
  pools: readonly WarmPoolStatus[] | undefined;
}) {
  const { spec, metadata } = row.template;
  const parent = spec.inheritsFrom;
  const name = metadata.name ?? '';
  return (
    <tr>
      <th scope="row">
        <Link to={templatePath(row.scope, name)}>{name}</Link>
      </th>
      <td>
        <span className="badge">{row.scope === 'cluster' ? 'cluster' : namespace}</span>
      </td>
      <td>
        {parent ? (
          <Link
            to={templatePath(
              parent.kind === 'ClusterSandboxTemplate' || row.scope === 'cluster'
                ? 'cluster'
                : 'namespace',
              parent.name,
            )}
          >
            {parent.kind === 'ClusterSandboxTemplate' ? `cluster/${parent.name}` : parent.name}
          </Link>
        ) : (
          '—'
        )}
      </td>
      <td>{inherited(row.template, spec.isolation)}</td>
      <td>{inherited(row.template, spec.network?.egress)}</td>
      <td>{inherited(row.template, spec.resources?.cpu)}</td>
      <td>{inherited(row.template, spec.resources?.memory)}</td>
      <td>{warmPool(row.template, pools)}</td>
      <td>
        <time dateTime={metadata.creationTimestamp}>{age(metadata.creationTimestamp)}</time>
      </td>
    </tr>
  );
}

/** Cluster and namespace templates in one table, each linked to its resolved view. */
export function TemplatesPage(_props: { params: Record<string, string> }) {
  const { client, namespace } = useSession();
  const clusterKey = ['ClusterSandboxTemplate', 'list', 'templates-page'];
  const namespacedKey = ['SandboxTemplate', namespace, 'list', 'templates-page'];
  useLiveKind('ClusterSandboxTemplate', clusterKey);
  useLiveKind('SandboxTemplate', namespacedKey);
  const cluster = useQuery({
    queryKey: clusterKey,
    queryFn: ({ signal }) => client.resources('ClusterSandboxTemplate').list({ signal }),
  });
  const namespaced = useQuery({
    queryKey: namespacedKey,
    queryFn: ({ signal }) => client.resources('SandboxTemplate').list({ signal }),
  });
  const pools = useQuery({
    queryKey: ['warmpools'],
    queryFn: ({ signal }) => client.warmPools({ signal }),
    refetchInterval: 10_000,
  });
  const rows: Row[] = [
    ...(cluster.data?.items ?? []).map((template) => ({ scope: 'cluster' as const, template })),
    ...(namespaced.data?.items ?? []).map((template) => ({
      scope: 'namespace' as const,
      template,
    })),
  ];
  const isPending = cluster.isPending || namespaced.isPending;

  return (
    <>
      <PageHeader title="Templates" />
      <p className="muted">
        Blueprints for sandboxes. Cluster templates are shared by every namespace; namespace
        templates belong to <strong>{namespace}</strong>. Create or change them with{' '}
        <code>paddock apply -f template.yaml</code>.
      </p>
      {cluster.error ? (
        <ErrorState error={cluster.error} retry={() => void cluster.refetch()} />
      ) : null}
      {namespaced.error ? (
        <ErrorState error={namespaced.error} retry={() => void namespaced.refetch()} />
      ) : null}
      {isPending && rows.length === 0 ? (
        <Loading what="Loading templates" />
      ) : rows.length === 0 ? (
        cluster.error || namespaced.error ? null : (
          <Empty title="No templates">
            Apply a <code>SandboxTemplate</code> or <code>ClusterSandboxTemplate</code> manifest
            with <code>paddock apply -f</code>.
          </Empty>
        )
      ) : (
        <TableFrame label="Templates">
          <table className="templates-table">
            <caption className="visually-hidden">Templates</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Scope</th>
                <th scope="col">Inherits from</th>
                <th scope="col">Isolation</th>
                <th scope="col">Egress</th>
                <th scope="col">CPU</th>
                <th scope="col">Memory</th>
                <th scope="col">Warm pool</th>
                <th scope="col">Age</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((row) => (
                <TemplateRow
                  key={`${row.scope}/${row.template.metadata.name}`}
                  row={row}
                  namespace={namespace}
                  pools={pools.data?.items}
                />
              ))}
            </tbody>
          </table>
        </TableFrame>
      )}
    </>
  );
}
