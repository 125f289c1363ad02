import type { Agent } from '@paddock/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { AgentForm } from '../components/agent/agent-form.tsx';
import { AgentSpecView } from '../components/agent/agent-spec-view.tsx';
import { ConfirmButton } from '../components/agent/confirm-button.tsx';
import { LaunchRun } from '../components/agent/launch-run.tsx';
import { RunTable } from '../components/agent/run-table.tsx';
import { PageHeader } from '../components/layout.tsx';
import { Link } from '../components/link.tsx';
import { Empty, MutationError, QueryView } from '../components/states.tsx';
import { useLiveKind } from '../lib/live.ts';
import { navigate } from '../lib/router.ts';
import { useSession } from '../lib/session.ts';
import './agents.css';

const RECENT_RUNS = 20;

/** One agent: its spec, edit, delete, a "Launch run" box and its recent runs. */
export function AgentDetailPage({ params }: { params: Record<string, string> }) {
  const name = params.name ?? '';
  const { client, namespace } = useSession();
  const agent = useQuery({
    queryKey: ['Agent', namespace, 'item', name],
    queryFn: () => client.resources('Agent').get(name),
  });
  useLiveKind('Agent', ['Agent', namespace]);

  return (
    <>
      <p className="breadcrumb small">
        <Link to="/agents">Agents</Link> / {name}
      </p>
      <QueryView query={agent} what="Loading agent">
        {(loaded) => <AgentView agent={loaded} />}
      </QueryView>
    </>
  );
}

function AgentView({ agent }: { agent: Agent }) {
  const { client, namespace } = useSession();
  const queryClient = useQueryClient();
  const name = agent.metadata.name ?? '';
  const [isEditing, setEditing] = useState(false);
  const remove = useMutation({
    mutationFn: () => client.resources('Agent').delete(name),
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: ['Agent', namespace] });
      navigate('/agents');
    },
  });

  return (
    <>
      <PageHeader title={name}>
        <button
          type="button"
          className="button"
          aria-expanded={isEditing}
          onClick={() => setEditing(!isEditing)}
        >
          Edit
        </button>
        <ConfirmButton
          label="Delete"
          confirmLabel="Confirm delete"
          question={`Delete agent ${name}? Its runs stay.`}
          isPending={remove.isPending}
          onConfirm={() => remove.mutate()}
        />
      </PageHeader>
      <MutationError error={remove.error} />
      <div className="agent-layout">
        <section className="card" aria-labelledby="agent-spec-title">
          <h2 id="agent-spec-title">{isEditing ? 'Edit agent' : 'Definition'}</h2>
          {isEditing ? (
            <AgentForm
              agent={agent}
              onSaved={() => setEditing(false)}
              onCancel={() => {
                setEditing(false);
                void queryClient.invalidateQueries({ queryKey: ['Agent', namespace] });
              }}
            />
          ) : (
            <AgentSpecView agent={agent} />
          )}
        </section>
        <section className="card" aria-labelledby="launch-title">
          <h2 id="launch-title">Launch run</h2>
          <LaunchRun agentName={name} />
        </section>
      </div>
      <AgentRuns agentName={name} />
    </>
  );
}

function AgentRuns({ agentName }: { agentName: string }) {
  const { client, namespace } = useSession();
  const runs = useQuery({
    queryKey: ['Run', namespace, 'list'],
    queryFn: () => client.runs.list(),
  });
  useLiveKind('Run', ['Run', namespace]);
  return (
    <section aria-labelledby="agent-runs-title">
      <h2 id="agent-runs-title">Recent runs</h2>
      <QueryView query={runs} what="Loading runs">
        {(list) => {
          const mine = list.items
            .filter((run) => run.spec.agentRef?.name === agentName)
            .sort((a, b) =>
              (b.metadata.creationTimestamp ?? '').localeCompare(
                a.metadata.creationTimestamp ?? '',
              ),
            )
            .slice(0, RECENT_RUNS);
          return mine.length === 0 ? (
            <Empty title="No runs yet">Launch one above.</Empty>
          ) : (
            <RunTable runs={mine} caption={`Runs of ${agentName}`} />
          );
        }}
      </QueryView>
    </section>
  );
}
