import type { CreateApiKeyBody } from '@paddock/api';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useSession } from '../../lib/session.ts';
import { MutationError } from '../states.tsx';
import { SecretOnce } from './secret-once.tsx';

const EXPIRY = [
  { value: '', label: 'Never' },
  { value: '1d', label: '1 day' },
  { value: '7d', label: '7 days' },
  { value: '30d', label: '30 days' },
  { value: '90d', label: '90 days' },
] as const;

/** Creates an API key; its secret is shown once, then forgotten. */
export function CreateApiKey() {
  const { client, user } = useSession();
  const queryClient = useQueryClient();
  const [name, setName] = useState('');
  const [role, setRole] = useState<'user' | 'admin'>('user');
  const [expiresIn, setExpiresIn] = useState('');
  const [secret, setSecret] = useState<string>();
  const create = useMutation({
    mutationFn: (body: CreateApiKeyBody) => client.apiKeys.create(body),
    onSuccess: (created) => {
      setSecret(created.key);
      setName('');
      void queryClient.invalidateQueries({ queryKey: ['apikeys'] });
    },
  });
  const isAdmin = user.role === 'admin';

  if (secret) {
    return (
      <SecretOnce label="API key created" secret={secret} onDone={() => setSecret(undefined)} />
    );
  }
  return (
    <form
      className="card settings-form"
      aria-labelledby="create-key-title"
      onSubmit={(e) => {
        e.preventDefault();
        create.mutate({
          name: name.trim(),
          ...(isAdmin ? { role } : {}),
          ...(expiresIn ? { expiresIn } : {}),
        });
      }}
    >
      <h3 id="create-key-title">Create an API key</h3>
      <div className="field">
        <label htmlFor="apikey-name">Key name</label>
        <input
          id="apikey-name"
          required
          maxLength={100}
          value={name}
          placeholder="laptop-cli"
          onChange={(e) => setName(e.target.value)}
        />
      </div>
      {isAdmin ? (
        <div className="field">
          <label htmlFor="apikey-role">Role</label>
          <select
            id="apikey-role"
            value={role}
            onChange={(e) => setRole(e.target.value === 'admin' ? 'admin' : 'user')}
          >
            <option value="user">user</option>
            <option value="admin">admin</option>
          </select>
        </div>
      ) : null}
      <div className="field">
        <label htmlFor="apikey-expiry">Expires</label>
        <select id="apikey-expiry" value={expiresIn} onChange={(e) => setExpiresIn(e.target.value)}>
          {EXPIRY.map((option) => (
            <option key={option.value} value={option.value}>
              {option.label}
            </option>
          ))}
        </select>
      </div>
      <button type="submit" className="button primary" disabled={create.isPending || !name.trim()}>
        {create.isPending ? 'Creating…' : 'Create API key'}
      </button>
      <MutationError error={create.error} />
    </form>
  );
}
