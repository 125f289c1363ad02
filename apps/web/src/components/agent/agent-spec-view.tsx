import type { Agent } from '@paddock/core';
import { age } from '../../lib/format.ts';
import { budgetText } from './agent-budget.ts';

type Fact = {
  term: string;
  value: string | undefined;
  /** Shown (muted) when there is no value; the row is left out when neither. */
  fallback?: string;
  isCode?: boolean;
};

/** An agent's spec as a readable list; absent fields say what the default is. */
export function AgentSpecView({ agent }: { agent: Agent }) {
  const { spec, status } = agent;
  const ref = spec.templateRef;
  const facts: Fact[] = [
    { term: 'Harness', value: spec.harness.kind },
    { term: 'Command', value: spec.harness.command?.join(' '), isCode: true },
    { term: 'Model', value: spec.model, fallback: 'harness default', isCode: true },
    { term: 'Provider', value: spec.provider, fallback: 'harness default' },
    {
      term: 'Template',
      value: ref && `${ref.name}${ref.kind === 'ClusterSandboxTemplate' ? ' (cluster)' : ''}`,
      fallback: 'default',
    },
    { term: 'Tools', value: spec.tools?.join(', ') || undefined, fallback: 'all built-in tools' },
    { term: 'Budget', value: budgetText(spec.budget) },
    {
      term: 'MCP servers',
      value: spec.mcpServers?.map((s) => `${s.name} (${s.transport})`).join(', ') || undefined,
    },
    {
      term: 'Repos',
      value: spec.repos?.map((r) => (r.ref ? `${r.url}@${r.ref}` : r.url)).join(', ') || undefined,
    },
    {
      term: 'Credentials',
      value: spec.credentials?.map((c) => `${c.name} (${c.as})`).join(', ') || undefined,
    },
    { term: 'Runs', value: status?.runs === undefined ? undefined : String(status.runs) },
    { term: 'Last run', value: status?.lastRunAt && `${age(status.lastRunAt)} ago` },
    {
      term: 'Created',
      value: agent.metadata.creationTimestamp && `${age(agent.metadata.creationTimestamp)} ago`,
    },
  ];
  return (
    <>
      <dl className="spec-list">
        {facts
          .filter((fact) => fact.value || fact.fallback)
          .map((fact) => (
            <div key={fact.term}>
              <dt>{fact.term}</dt>
              <dd>
                {!fact.value ? (
                  <span className="muted">{fact.fallback}</span>
                ) : fact.isCode ? (
                  <code>{fact.value}</code>
                ) : (
                  fact.value
                )}
              </dd>
            </div>
          ))}
      </dl>
      <h3 className="spec-prompt-title">System prompt</h3>
      {spec.systemPrompt ? (
        // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region keyboards must reach.
        <pre className="spec-prompt" tabIndex={0}>
          {spec.systemPrompt}
        </pre>
      ) : (
        <p className="muted">None: the harness's default.</p>
      )}
    </>
  );
}
