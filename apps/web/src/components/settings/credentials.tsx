import type { Credential } from '@paddock/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { age } from '../../lib/format.ts';
import { useSession } from '../../lib/session.ts';
import { RowDeleteButton } from '../row-delete-button.tsx';
import { Empty, MutationError, QueryView } from '../states.tsx';
import { TableFrame } from '../table-frame.tsx';

function DeleteButton({ credential }: { credential: Credential }) {
  const { client, namespace } = useSession();
  const queryClient = useQueryClient();
  const remove = useMutation({
    mutationFn: () => client.credentials.delete(credential.name),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: ['credentials', namespace] }),
  });
  return (
    <RowDeleteButton
      item={`credential ${credential.name}`}
      question={`Delete ${credential.name}? Sandboxes and agents that use it lose it.`}
      onConfirm={() => remove.mutate()}
      isPending={remove.isPending}
      error={<MutationError error={remove.error} />}
    />
  );
}

function CreateCredential() {
  const { client, namespace } = useSession();
  const queryClient = useQueryClient();
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [value, setValue] = useState('');
  const [saved, setSaved] = useState('');
  const create = useMutation({
    mutationFn: () =>
      client.credentials.create({
        name: name.trim(),
        type: 'apiKey',
        value,
        ...(description.trim() ? { description: description.trim() } : {}),
      }),
    onSuccess: (credential) => {
      // The value leaves the page's state as soon as the server has it.
      setValue('');
      setName('');
      setDescription('');
      setSaved(`Saved credential ${credential.name}.`);
      void queryClient.invalidateQueries({ queryKey: ['credentials', namespace] });
    },
  });
  return (
    <form
      className="card settings-form"
      aria-labelledby="create-credential-title"
      onSubmit={(e) => {
        e.preventDefault();
        setSaved('');
        create.mutate();
      }}
    >
      <h3 id="create-credential-title">New API-key credential</h3>
      <div className="field">
        <label htmlFor="credential-name">Credential name</label>
        <input
          id="credential-name"
          required
          pattern="[a-z0-9]([a-z0-9\-]*[a-z0-9])?"
          title="lowercase letters, digits and -"
          value={name}
          placeholder="anthropic"
          onChange={(e) => setName(e.target.value)}
        />
      </div>
      <div className="field">
        <label htmlFor="credential-description">Description</label>
        <input
          id="credential-description"
          maxLength={1000}
          value={description}
          onChange={(e) => setDescription(e.target.value)}
        />
      </div>
      <div className="field">
        <label htmlFor="credential-value">Secret value</label>
        <input
          id="credential-value"
          type="password"
          required
          autoComplete="off"
          value={value}
          onChange={(e) => setValue(e.target.value)}
        />
        <span className="muted small">Write-only: stored encrypted and never shown again.</span>
      </div>
      <button
        type="submit"
        className="button primary"
        disabled={create.isPending || !name.trim() || !value}
      >
        {create.isPending ? 'Saving…' : 'Save credential'}
      </button>
      <p role="status" className="muted small">
        {saved}
      </p>
      <MutationError error={create.error} />
    </form>
  );
}

/** Named secrets of the namespace: type and description (never values), delete, and create. */
export function Credentials() {
  const { client, namespace } = useSession();
  const credentials = useQuery({
    queryKey: ['credentials', namespace],
    queryFn: ({ signal }) => client.credentials.list({ limit: 1000 }, { signal }),
  });
  return (
    <>
      <QueryView query={credentials} what="Loading credentials">
        {(list) =>
          list.items.length === 0 ? (
            <Empty title={`No credentials in ${namespace}`} />
          ) : (
            <TableFrame label="Credentials">
              <table>
                <caption className="visually-hidden">Credentials</caption>
                <thead>
                  <tr>
                    <th scope="col">Name</th>
                    <th scope="col">Type</th>
                    <th scope="col">Description</th>
                    <th scope="col">Owner</th>
                    <th scope="col">Updated</th>
                    <th scope="col">Actions</th>
                  </tr>
                </thead>
                <tbody>
                  {list.items.map((credential) => (
                    <tr key={credential.name}>
                      <td>{credential.name}</td>
                      <td>{credential.type}</td>
                      <td className="wrap">{credential.description || '—'}</td>
                      <td className="mono small">{credential.owner}</td>
                      <td>
                        <time dateTime={credential.updatedAt}>{age(credential.updatedAt)} ago</time>
                      </td>
                      <td>
                        <DeleteButton credential={credential} />
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableFrame>
          )
        }
      </QueryView>
      <CreateCredential />
    </>
  );
}
