import { type Sandbox, SandboxPhase } from '@paddock/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useSession } from '../../lib/session.ts';
import './sandbox-actions.css';
import { MutationError } from '../states.tsx';

/** Who created the sandbox (set by the server). */
const OWNER_ANNOTATION = 'paddock.dev/owner';
/** Annotation the sandbox reconciler reads to move an errored sandbox back through admission. */
const RETRY_REQUESTED_ANNOTATION = 'paddock.dev/retry-requested-at';

type Action = 'stop' | 'start' | 'pause' | 'resume' | 'delete' | 'retry';

/**
 * Pause or Resume, Stop or Start, Retry (for Error) and Delete (with an inline confirm) of one
 * sandbox. A failed
 * action shows its code and message beside the buttons; `onDeleted` runs after a delete.
 */
export function SandboxActions({
  sandbox,
  compact = false,
  onDeleted,
}: {
  sandbox: Sandbox;
  compact?: boolean;
  onDeleted?: () => void;
}) {
  const { client, namespace } = useSession();
  const queryClient = useQueryClient();
  const [isConfirming, setConfirming] = useState(false);
  const name = sandbox.metadata.name ?? '';
  const phase = sandbox.status?.phase ?? SandboxPhase.Pending;
  const isDeleting = phase === SandboxPhase.Deleting || !!sandbox.metadata.deletionTimestamp;

  const mutation = useMutation({
    mutationFn: async (action: Action) => {
      switch (action) {
        case 'stop':
          return void (await client.sandboxes.stop(name));
        case 'start':
          return void (await client.sandboxes.start(name));
        case 'pause':
          return void (await client.sandboxes.pause(name));
        case 'resume':
          return void (await client.sandboxes.resume(name));
        case 'delete':
          return void (await client.sandboxes.delete(name));
        case 'retry': {
          const current = await client.sandboxes.get(name);
          const annotations = {
            ...current.metadata.annotations,
            [RETRY_REQUESTED_ANNOTATION]: new Date().toISOString(),
          };
          return void (await client.sandboxes.replace({
            ...current,
            metadata: { ...current.metadata, annotations },
          }));
        }
      }
    },
    onSuccess: (_, action) => {
      setConfirming(false);
      if (action === 'delete') onDeleted?.();
    },
    onSettled: () => queryClient.invalidateQueries({ queryKey: ['Sandbox', namespace] }),
  });

  // A user it is shared with may use it, not stop, start or delete it: say whose it is instead.
  const me = useQuery({ queryKey: ['me'], queryFn: ({ signal }) => client.me({ signal }) });
  const owner = sandbox.metadata.annotations?.[OWNER_ANNOTATION];
  if (me.data !== undefined && me.data.role !== 'admin' && owner !== me.data.id) {
    return (
      <div className="sandbox-actions">
        <span className="muted small">Shared with you by {owner ?? 'another user'}</span>
      </div>
    );
  }

  const size = compact ? 'button small' : 'button';
  const busy = mutation.isPending;
  const desired = sandbox.spec.desiredState ?? 'Running';
  // Paused on purpose, or by its idle timeout (its desired state still Running).
  const isPaused = desired === 'Paused' || phase === SandboxPhase.Paused;
  const wantsRunning = desired === 'Running' && !isPaused;
  return (
    <div className="sandbox-actions">
      {phase === SandboxPhase.Error ? (
        <button
          type="button"
          className={size}
          disabled={busy}
          aria-label={compact ? `Retry ${name}` : undefined}
          onClick={() => mutation.mutate('retry')}
        >
          Retry
        </button>
      ) : null}
      {isPaused ? (
        <button
          type="button"
          className={size}
          disabled={busy || isDeleting}
          aria-label={compact ? `Resume ${name}` : undefined}
          onClick={() => mutation.mutate('resume')}
        >
          Resume
        </button>
      ) : wantsRunning && phase === SandboxPhase.Running ? (
        <button
          type="button"
          className={size}
          disabled={busy || isDeleting}
          aria-label={compact ? `Pause ${name}` : undefined}
          onClick={() => mutation.mutate('pause')}
        >
          Pause
        </button>
      ) : null}
      {wantsRunning || isPaused ? (
        <button
          type="button"
          className={size}
          disabled={busy || isDeleting || phase === SandboxPhase.Error}
          aria-label={compact ? `Stop ${name}` : undefined}
          onClick={() => mutation.mutate('stop')}
        >
          Stop
        </button>
      ) : (
        <button
          type="button"
          className={size}
          disabled={busy || isDeleting}
          aria-label={compact ? `Start ${name}` : undefined}
          onClick={() => mutation.mutate('start')}
        >
          Start
        </button>
      )}
      {isConfirming ? (
        <>
          <button
            type="button"
            className={`${size} danger`}
            disabled={busy}
            aria-label={`Confirm delete of ${name}`}
            onClick={() => mutation.mutate('delete')}
          >
            Confirm delete
          </button>
          <button
            type="button"
            className={`${size} ghost`}
            aria-label={`Keep ${name}`}
            onClick={() => setConfirming(false)}
          >
            Keep
          </button>
        </>
      ) : (
        <button
          type="button"
          className={`${size} danger`}
          disabled={busy || isDeleting}
          aria-label={compact ? `Delete ${name}` : undefined}
          onClick={() => setConfirming(true)}
        >
          Delete
        </button>
      )}
      <MutationError error={mutation.error} isInline />
    </div>
  );
}
