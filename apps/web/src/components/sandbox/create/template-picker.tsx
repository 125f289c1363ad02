import { useQuery } from '@tanstack/react-query';
import { useEffect } from 'react';
import { useSession } from '../../../lib/session.ts';
import { ErrorState } from '../../states.tsx';

/**
 * A select of the cluster's and the namespace's templates; its value is `Kind/name`. Picks the
 * first template when none is chosen yet.
 */
export function TemplatePicker({
  id,
  value,
  onChange,
  describedBy,
}: {
  id: string;
  value: string;
  onChange: (value: string) => void;
  describedBy?: string;
}) {
  const { client, namespace } = useSession();
  const cluster = useQuery({
    queryKey: ['ClusterSandboxTemplate', 'list'],
    queryFn: () => client.resources('ClusterSandboxTemplate').list(),
  });
  const local = useQuery({
    queryKey: ['SandboxTemplate', namespace, 'list'],
    queryFn: () => client.resources('SandboxTemplate').list(),
  });
  const clusterNames = (cluster.data?.items ?? []).map((t) => t.metadata.name ?? '');
  const localNames = (local.data?.items ?? []).map((t) => t.metadata.name ?? '');
  // The minimal `shell` template is the natural default; else the first one listed.
  const preferred = clusterNames.includes('shell') ? 'shell' : clusterNames[0];
  const first = preferred
    ? `ClusterSandboxTemplate/${preferred}`
    : localNames[0]
      ? `SandboxTemplate/${localNames[0]}`
      : '';

  useEffect(() => {
    if (!value && first) onChange(first);
  }, [value, first, onChange]);

  const isLoading = cluster.isPending || local.isPending;
  return (
    <>
      <select
        id={id}
        value={value}
        onChange={(e) => onChange(e.target.value)}
        aria-describedby={describedBy}
        disabled={isLoading}
      >
        {isLoading ? <option value="">Loading templates…</option> : null}
        {!isLoading && !first ? <option value="">No templates</option> : null}
        {localNames.length > 0 ? (
          <optgroup label={`Namespace ${namespace}`}>
            {localNames.map((name) => (
              <option key={name} value={`SandboxTemplate/${name}`}>
                {name}
              </option>
            ))}
          </optgroup>
        ) : null}
        {clusterNames.length > 0 ? (
          <optgroup label="Cluster">
            {clusterNames.map((name) => (
              <option key={name} value={`ClusterSandboxTemplate/${name}`}>
                {name} (cluster)
              </option>
            ))}
          </optgroup>
        ) : null}
      </select>
      {cluster.error ? (
        <ErrorState error={cluster.error} retry={() => void cluster.refetch()} />
      ) : null}
      {local.error ? <ErrorState error={local.error} retry={() => void local.refetch()} /> : null}
    </>
  );
}
