import type { ApiKey } from '@paddock/api';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { age } from '../../lib/format.ts';
import { useSession } from '../../lib/session.ts';
import { RowDeleteButton } from '../row-delete-button.tsx';
import { Empty, MutationError, QueryView } from '../states.tsx';
import { TableFrame } from '../table-frame.tsx';
import { CreateApiKey } from './create-api-key.tsx';

function status(key: ApiKey, now: number): { text: string; level: string } {
  if (key.revokedAt) return { text: 'revoked', level: 'bad' };
  if (key.expiresAt && Date.parse(key.expiresAt) <= now) return { text: 'expired', level: 'warn' };
  return { text: 'active', level: 'ok' };
}

function RevokeButton({ apiKey }: { apiKey: ApiKey }) {
  const { client } = useSession();
  const queryClient = useQueryClient();
  const revoke = useMutation({
    mutationFn: () => client.apiKeys.revoke(apiKey.id),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: ['apikeys'] }),
  });
  if (apiKey.revokedAt) return <span className="muted small">{age(apiKey.revokedAt)} ago</span>;
  return (
    <RowDeleteButton
      item={`${apiKey.name} (${apiKey.prefix})`}
      verb="Revoke"
      question={`Revoke ${apiKey.name}? Programs using it stop working.`}
      onConfirm={() => revoke.mutate()}
      isPending={revoke.isPending}
      error={<MutationError error={revoke.error} />}
    />
  );
}

/** The caller's API keys (admins: every key) with revoke, and the form for a new one. */
export function ApiKeys() {
  const { client } = useSession();
  const keys = useQuery({
    queryKey: ['apikeys'],
    queryFn: ({ signal }) => client.apiKeys.list({ limit: 1000 }, { signal }),
  });
  const now = Date.now();
  return (
    <>
      <QueryView query={keys} what="Loading API keys">
        {(list) =>
          list.items.length === 0 ? (
            <Empty title="No API keys yet">Create one below for the CLI, the SDK or CI.</Empty>
          ) : (
            <TableFrame label="API keys">
              <table>
                <caption className="visually-hidden">API keys</caption>
                <thead>
                  <tr>
                    <th scope="col">Name</th>
                    <th scope="col">Role</th>
                    <th scope="col">Prefix</th>
                    <th scope="col">Created</th>
                    <th scope="col">Last used</th>
                    <th scope="col">Status</th>
                    <th scope="col">Actions</th>
                  </tr>
                </thead>
                <tbody>
                  {list.items.map((key) => {
                    const s = status(key, now);
                    return (
                      <tr key={key.id}>
                        <td>{key.name}</td>
                        <td>{key.role}</td>
                        <td className="mono small">{key.prefix}…</td>
                        <td>
                          <time dateTime={key.createdAt}>{age(key.createdAt)} ago</time>
                        </td>
                        <td>
                          {key.lastUsedAt ? (
                            <time dateTime={key.lastUsedAt}>{age(key.lastUsedAt)} ago</time>
                          ) : (
                            <span className="muted">never</span>
                          )}
                        </td>
                        <td>
                          <span className={`badge ${s.level}`}>{s.text}</span>
                          {key.expiresAt && !key.revokedAt ? (
                            <span className="muted small">
                              {' '}
                              until {new Date(key.expiresAt).toLocaleDateString()}
                            </span>
                          ) : null}
                        </td>
                        <td>
                          <RevokeButton apiKey={key} />
                        </td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            </TableFrame>
          )
        }
      </QueryView>
      <CreateApiKey />
    </>
  );
}
