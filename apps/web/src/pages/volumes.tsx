import type { Volume } from '@paddock/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { PageHeader } from '../components/layout.tsx';
import { Link } from '../components/link.tsx';
import { RowDeleteButton } from '../components/row-delete-button.tsx';
import { Empty, MutationError, QueryView } from '../components/states.tsx';
import { TableFrame } from '../components/table-frame.tsx';
import { age, bytes } from '../lib/format.ts';
import { useLiveKind } from '../lib/live.ts';
import { useSession } from '../lib/session.ts';

/** Volumes of the namespace with their size, usage and the sandboxes mounting them; create, delete. */
export function VolumesPage(_props: { params: Record<string, string> }) {
  const { client, namespace } = useSession();
  const queryClient = useQueryClient();
  const volumes = useQuery({
    queryKey: ['Volume', namespace, 'list'],
    queryFn: () => client.resources('Volume').list(),
  });
  useLiveKind('Volume', ['Volume', namespace]);
  const invalidate = () => queryClient.invalidateQueries({ queryKey: ['Volume', namespace] });
  const [name, setName] = useState('');
  const [size, setSize] = useState('');
  const create = useMutation({
    mutationFn: () =>
      client.resources('Volume').create({
        apiVersion: 'paddock.dev/v1alpha1',
        kind: 'Volume',
        metadata: { name },
        spec: size === '' ? {} : { size },
      }),
    onSuccess: () => {
      setName('');
      setSize('');
    },
    onSettled: invalidate,
  });
  const remove = useMutation({
    mutationFn: (volume: string) => client.resources('Volume').delete(volume),
    onSettled: invalidate,
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    create.mutate();
  };

  return (
    <>
      <PageHeader title="Volumes" />
      <form className="row filters" onSubmit={submit} aria-label="New volume">
        <div className="field">
          <label htmlFor="volume-name">Name</label>
          <input id="volume-name" required value={name} onChange={(e) => setName(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor="volume-size">Size (empty: unbounded)</label>
          <input
            id="volume-size"
            placeholder="1Gi"
            value={size}
            onChange={(e) => setSize(e.target.value)}
          />
        </div>
        <button type="submit" className="button primary" disabled={create.isPending}>
          Create volume
        </button>
      </form>
      <MutationError error={create.error} />
      <QueryView query={volumes} what="Loading volumes">
        {(list) =>
          list.items.length === 0 ? (
            <Empty title="No volumes yet">
              A volume outlives sandboxes and can be mounted by several. Create one above, or:{' '}
              <code>paddock volume create NAME --size 1Gi</code>.
            </Empty>
          ) : (
            <TableFrame label="Volumes">
              <table>
                <caption className="visually-hidden">Volumes</caption>
                <thead>
                  <tr>
                    <th scope="col">Name</th>
                    <th scope="col">Phase</th>
                    <th scope="col">Size</th>
                    <th scope="col">Used</th>
                    <th scope="col">Mounted by</th>
                    <th scope="col">Age</th>
                    <th scope="col">
                      <span className="visually-hidden">Actions</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {list.items.map((v: Volume) => (
                    <tr key={v.metadata.uid ?? v.metadata.name}>
                      <td>{v.metadata.name}</td>
                      <td title={v.status?.message}>{v.status?.phase ?? 'Pending'}</td>
                      <td>{v.spec.size ?? 'unbounded'}</td>
                      <td>{v.status?.usedBytes === undefined ? '' : bytes(v.status.usedBytes)}</td>
                      <td>
                        {(v.status?.mountedBy ?? []).map((s, i) => (
                          <span key={s}>
                            {i > 0 ? ', ' : ''}
                            <Link to={`/sandboxes/${encodeURIComponent(s)}`}>{s}</Link>
                          </span>
                        ))}
                      </td>
                      <td>
                        <time dateTime={v.metadata.creationTimestamp}>
                          {age(v.metadata.creationTimestamp)}
                        </time>
                      </td>
                      <td>
                        <RowDeleteButton
                          item={`volume ${v.metadata.name}`}
                          onConfirm={() => remove.mutate(v.metadata.name ?? '')}
                          isPending={remove.isPending}
                          isDisabled={!!v.metadata.deletionTimestamp}
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
