import { forkSandbox } from '@paddock/client';
import type { Sandbox } from '@paddock/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useSession } from '../../lib/session.ts';
import { Link } from '../link.tsx';
import { MutationError } from '../states.tsx';

/**
 * Snapshot (a SandboxSnapshot of the workspace) and Fork (a snapshot, then N copies from it) of
 * one sandbox; what was made is linked beside the buttons.
 */
export function SnapshotActions({ sandbox }: { sandbox: Sandbox }) {
  const { client, namespace } = useSession();
  const queryClient = useQueryClient();
  const name = sandbox.metadata.name ?? '';
  const [count, setCount] = useState(1);
  const [made, setMade] = useState<{ snapshot: string; sandboxes: string[] } | undefined>();
  const snapshot = useMutation({
    mutationFn: async () => {
      const snapshotName = `${name.slice(0, 48)}-${Date.now().toString(36)}`;
      await client.resources('SandboxSnapshot').create({
        apiVersion: 'paddock.dev/v1alpha1',
        kind: 'SandboxSnapshot',
        metadata: { name: snapshotName },
        spec: { sandboxRef: { name } },
      });
      return { snapshot: snapshotName, sandboxes: [] };
    },
    onSuccess: setMade,
    onSettled: () => queryClient.invalidateQueries({ queryKey: ['SandboxSnapshot', namespace] }),
  });
  const fork = useMutation({
    mutationFn: () => forkSandbox(client, name, { count }),
    onSuccess: setMade,
    onSettled: () => queryClient.invalidateQueries({ queryKey: ['Sandbox', namespace] }),
  });
  const busy = snapshot.isPending || fork.isPending;
  return (
    <div className="sandbox-actions">
      <button type="button" className="button" disabled={busy} onClick={() => snapshot.mutate()}>
        Snapshot
      </button>
      <label className="visually-hidden" htmlFor="fork-count">
        Copies
      </label>
      <input
        id="fork-count"
        type="number"
        min={1}
        max={50}
        value={count}
        style={{ width: '4em' }}
        onChange={(e) => setCount(Math.max(1, Math.min(50, Number(e.target.value) || 1)))}
      />
      <button type="button" className="button" disabled={busy} onClick={() => fork.mutate()}>
        Fork
      </button>
      {made ? (
        <span className="small" role="status">
          <Link to="/snapshots">{made.snapshot}</Link>
          {made.sandboxes.map((s) => (
            <span key={s}>
              {' '}
              <Link to={`/sandboxes/${encodeURIComponent(s)}`}>{s}</Link>
            </span>
          ))}
        </span>
      ) : null}
      <MutationError error={snapshot.error ?? fork.error} isInline />
    </div>
  );
}
