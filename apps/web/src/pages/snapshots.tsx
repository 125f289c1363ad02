import type { SandboxSnapshot } from '@paddock/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { PageHeader } from '../components/layout.tsx';
import { Link } from '../components/link.tsx';
import { RowDeleteButton } from '../components/row-delete-button.tsx';
import { Empty, MutationError, QueryView } from '../components/states.tsx';
import { TableFrame } from '../components/table-frame.tsx';
import { age, bytes } from '../lib/format.ts';
import { useLiveKind } from '../lib/live.ts';
import { useSession } from '../lib/session.ts';

/**
 * The size of a snapshot's memory image; `none` when it holds the workspace only (a ready
 * snapshot: its `memoryNote`, the cell's title, says why); nothing while it is being taken.
 */
function memoryOf(snapshot: SandboxSnapshot): string {
  const { memoryBytes, phase } = snapshot.status ?? {};
  if (memoryBytes !== undefined) return bytes(memoryBytes);
  return phase === 'Ready' ? 'none' : '';
}

/**
 * Every snapshot of the namespace with its sandbox, phase, size (of which memory), contents and
 * age. Live.
 */
export function SnapshotsPage(_props: { params: Record<string, string> }) {
  const { client, namespace } = useSession();
  const queryClient = useQueryClient();
  const snapshots = useQuery({
    queryKey: ['SandboxSnapshot', namespace, 'list'],
    queryFn: () => client.resources('SandboxSnapshot').list(),
  });
  useLiveKind('SandboxSnapshot', ['SandboxSnapshot', namespace]);
  const remove = useMutation({
    mutationFn: (name: string) => client.resources('SandboxSnapshot').delete(name),
    onSettled: () => queryClient.invalidateQueries({ queryKey: ['SandboxSnapshot', namespace] }),
  });

  return (
    <>
      <PageHeader title="Snapshots" />
      <QueryView query={snapshots} what="Loading snapshots">
        {(list) =>
          list.items.length === 0 ? (
            <Empty title="No snapshots yet">
              Open a sandbox and press <strong>Snapshot</strong> or <strong>Fork</strong>, or from
              the CLI: <code>paddock snapshot create NAME --sandbox SANDBOX</code>.
            </Empty>
          ) : (
            <TableFrame label="Snapshots">
              <table>
                <caption className="visually-hidden">Snapshots</caption>
                <thead>
                  <tr>
                    <th scope="col">Name</th>
                    <th scope="col">Sandbox</th>
                    <th scope="col">Phase</th>
                    <th scope="col">Size</th>
                    <th scope="col">Memory</th>
                    <th scope="col">Contents</th>
                    <th scope="col">Age</th>
                    <th scope="col">
                      <span className="visually-hidden">Actions</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {list.items.map((s: SandboxSnapshot) => (
                    <tr key={s.metadata.uid ?? s.metadata.name}>
                      <td>{s.metadata.name}</td>
                      <td>
                        <Link to={`/sandboxes/${encodeURIComponent(s.spec.sandboxRef.name)}`}>
                          {s.spec.sandboxRef.name}
                        </Link>
                      </td>
                      <td title={s.status?.message}>{s.status?.phase ?? 'Pending'}</td>
                      <td>{s.status?.sizeBytes === undefined ? '' : bytes(s.status.sizeBytes)}</td>
                      <td title={s.status?.memoryNote}>{memoryOf(s)}</td>
                      <td title={s.status?.memoryNote}>{(s.status?.contents ?? []).join(', ')}</td>
                      <td>
                        <time dateTime={s.status?.createdAt ?? s.metadata.creationTimestamp}>
                          {age(s.status?.createdAt ?? s.metadata.creationTimestamp)}
                        </time>
                      </td>
                      <td>
                        <RowDeleteButton
                          item={`snapshot ${s.metadata.name}`}
                          onConfirm={() => remove.mutate(s.metadata.name ?? '')}
                          isPending={remove.isPending}
                          isDisabled={!!s.metadata.deletionTimestamp}
                        />
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableFrame>
          )
        }
      </QueryView>
      <MutationError error={remove.error} />
    </>
  );
}
