import type { Agent } from '@paddock/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Fragment, useState } from 'react';
import { budgetText } from '../components/agent/agent-budget.ts';
import { AgentForm } from '../components/agent/agent-form.tsx';
import { ConfirmButton } from '../components/agent/confirm-button.tsx';
import { LaunchRun } from '../components/agent/launch-run.tsx';
import { PageHeader } from '../components/layout.tsx';
import { Link } from '../components/link.tsx';
import { Empty, MutationError, QueryView } from '../components/states.tsx';
import { age } from '../lib/format.ts';
import { useLiveKind } from '../lib/live.ts';
import { navigate } from '../lib/router.ts';
import { useSession } from '../lib/session.ts';
import './agents.css';

/** The namespace's agents: create one, launch a run in one tap, delete. Live. */
export function AgentsPage(_props: { params: Record<string, string> }) {
  const { client, namespace } = useSession();
  const queryKey = ['Agent', namespace, 'list'];
  const agents = useQuery({ queryKey, queryFn: () => client.resources('Agent').list() });
  useLiveKind('Agent', ['Agent', namespace]);
  // RUNS counts the namespace's runs per agent (shared with the Runs page's query).
  const runs = useQuery({
    queryKey: ['Run', namespace, 'list'],
    queryFn: () => client.runs.list(),
  });
  useLiveKind('Run', ['Run', namespace]);
  const runCounts = new Map<string, number>();
  for (const run of runs.data?.items ?? []) {
    const agent = run.spec.agentRef?.name;
    if (agent) runCounts.set(agent, (runCounts.get(agent) ?? 0) + 1);
  }
  const [isCreating, setCreating] = useState(false);

  return (
    <>
      <PageHeader title="Agents">
        <button
          type="button"
          className="button primary"
          aria-expanded={isCreating}
          aria-controls="new-agent"
          onClick={() => setCreating(!isCreating)}
        >
          New agent
        </button>
      </PageHeader>
      {isCreating ? (
        <section id="new-agent" className="card new-agent" aria-labelledby="new-agent-title">
          <h2 id="new-agent-title">New agent</h2>
          <AgentForm
            onSaved={(agent) =>
              navigate(`/agents/${encodeURIComponent(agent.metadata.name ?? '')}`)
            }
            onCancel={() => setCreating(false)}
          />
        </section>
      ) : null}
      <QueryView query={agents} what="Loading agents">
        {(list) =>
          list.items.length === 0 ? (
            <Empty title="No agents yet">
              Press <strong>New agent</strong> to define one, or from the CLI:{' '}
              <code>paddock apply -f agent.yaml</code>.
            </Empty>
          ) : (
            <AgentTable agents={list.items} runCounts={runs.data ? runCounts : undefined} />
          )
        }
      </QueryView>
    </>
  );
}

function AgentTable({
  agents,
  runCounts,
}: {
  agents: Agent[];
  runCounts: ReadonlyMap<string, number> | undefined;
}) {
  const [launching, setLaunching] = useState<string | undefined>(undefined);
  return (
    <div className="table-wrap agents-wrap">
      <table className="agents-table">
        <caption className="visually-hidden">Agents</caption>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Harness</th>
            <th scope="col">Model</th>
            <th scope="col">Budget</th>
            <th scope="col">Runs</th>
            <th scope="col">Age</th>
            <th scope="col">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {agents.map((agent) => {
            const name = agent.metadata.name ?? '';
            return (
              <Fragment key={agent.metadata.uid ?? name}>
                <tr>
                  <td>
                    <Link to={`/agents/${encodeURIComponent(name)}`}>{name}</Link>
                  </td>
                  <td>{agent.spec.harness.kind}</td>
                  <td className="mono">
                    {agent.spec.model ?? <span className="muted">default</span>}
                  </td>
                  <td>{budgetText(agent.spec.budget)}</td>
                  <td>{runCounts ? (runCounts.get(name) ?? 0) : (agent.status?.runs ?? '—')}</td>
                  <td>
                    <time dateTime={agent.metadata.creationTimestamp}>
                      {age(agent.metadata.creationTimestamp)}
                    </time>
                  </td>
                  <td>
                    <AgentActions
                      agent={agent}
                      isLaunching={launching === name}
                      onRun={() => setLaunching(launching === name ? undefined : name)}
                    />
                  </td>
                </tr>
                {launching === name ? (
                  <tr className="launch-row">
                    <td colSpan={7}>
                      <LaunchRun
                        agentName={name}
                        isCompact
                        autoFocus
                        onCancel={() => setLaunching(undefined)}
                      />
                    </td>
                  </tr>
                ) : null}
              </Fragment>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

function AgentActions({
  agent,
  isLaunching,
  onRun,
}: {
  agent: Agent;
  isLaunching: boolean;
  onRun: () => void;
}) {
  const { client, namespace } = useSession();
  const queryClient = useQueryClient();
  const name = agent.metadata.name ?? '';
  const remove = useMutation({
    mutationFn: () => client.resources('Agent').delete(name),
    onSettled: () => queryClient.invalidateQueries({ queryKey: ['Agent', namespace] }),
  });
  return (
    <div className="row-actions">
      <button
        type="button"
        className="button small"
        aria-expanded={isLaunching}
        aria-label={`Run ${name}`}
        onClick={onRun}
      >
        Run
      </button>
      <ConfirmButton
        label="Delete"
        accessibleName={`Delete ${name}`}
        confirmLabel={`Confirm delete ${name}`}
        question={`Delete agent ${name}?`}
        className="button danger small"
        isPending={remove.isPending}
        onConfirm={() => remove.mutate()}
      />
      <MutationError error={remove.error} />
    </div>
  );
}
