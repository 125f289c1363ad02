import type { RunMode } from '@paddock/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useId, useState } from 'react';
import { navigate } from '../../lib/router.ts';
import { useSession } from '../../lib/session.ts';
import { MutationError } from '../states.tsx';

/**
 * Starts a run of an agent: a prompt, a mode, "Start run"; then opens the run's live transcript.
 * `isCompact` (a row of the agents table) hides the mode and keeps the box small.
 */
export function LaunchRun({
  agentName,
  isCompact = false,
  autoFocus = false,
  onCancel,
}: {
  agentName: string;
  isCompact?: boolean;
  autoFocus?: boolean;
  onCancel?: () => void;
}) {
  const { client, namespace } = useSession();
  const queryClient = useQueryClient();
  const id = useId();
  const [prompt, setPrompt] = useState('');
  const [mode, setMode] = useState<RunMode>('task');
  const start = useMutation({
    mutationFn: () => client.runs.start({ agent: agentName, prompt, mode }),
    onSuccess: (run) => {
      void queryClient.invalidateQueries({ queryKey: ['Run', namespace] });
      navigate(`/runs/${encodeURIComponent(run.metadata.name ?? '')}`);
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (prompt.trim() === '' || start.isPending) return;
    start.mutate();
  };
  return (
    <form className={isCompact ? 'launch-run compact' : 'launch-run'} onSubmit={submit}>
      <div className="field">
        <label htmlFor={`${id}-prompt`}>Prompt</label>
        <textarea
          id={`${id}-prompt`}
          rows={isCompact ? 2 : 4}
          value={prompt}
          onChange={(e) => setPrompt(e.target.value)}
          placeholder={`What should ${agentName} do?`}
          required
          // biome-ignore lint/a11y/noAutofocus: opened on request by the "Run" button.
          autoFocus={autoFocus}
        />
      </div>
      <div className="row">
        {isCompact ? null : (
          <div className="field inline">
            <label htmlFor={`${id}-mode`}>Mode</label>
            <select
              id={`${id}-mode`}
              value={mode}
              onChange={(e) => setMode(e.target.value === 'interactive' ? 'interactive' : 'task')}
            >
              <option value="task">task (runs to an answer)</option>
              <option value="interactive">interactive (takes messages)</option>
            </select>
          </div>
        )}
        <button
          type="submit"
          className="button primary"
          disabled={start.isPending || prompt.trim() === ''}
        >
          {start.isPending ? 'Starting…' : 'Start run'}
        </button>
        {onCancel ? (
          <button type="button" className="button ghost" onClick={onCancel}>
            Close
          </button>
        ) : null}
      </div>
      <MutationError error={start.error} />
    </form>
  );
}
