import { isTerminalRunPhase, RunPhase } from '@paddock/core';
import { useQuery } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { PolicySections, type RunCounts } from '../components/governance/policy-sections.tsx';
import { PageHeader } from '../components/layout.tsx';
import { QueryView } from '../components/states.tsx';
import { useLiveKind } from '../lib/live.ts';
import { useSession } from '../lib/session.ts';
import './governance.css';

const NAMESPACE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const OWNER_ANNOTATION = 'paddock.dev/owner';

const EXAMPLE = `apiVersion: paddock.dev/v1alpha1
kind: Policy
metadata:
  name: default
  namespace: NAMESPACE
spec:
  sandboxes: { maxPerNamespace: 10, maxPerUser: 3 }
  budgets: { maxUsdPerNamespacePerDay: 50 }`;

/** The policy in force in a namespace (the session's, or one typed in), with usage and sources. */
export function GovernancePage(_props: { params: Record<string, string> }) {
  const { client, namespace, user } = useSession();
  const [viewed, setViewed] = useState(namespace);
  const [draft, setDraft] = useState(namespace);
  const [draftError, setDraftError] = useState<string>();
  // Switching the session's namespace (top bar) shows that namespace's policy.
  useEffect(() => {
    setViewed(namespace);
    setDraft(namespace);
  }, [namespace]);
  const policyKey = ['policy', viewed, 'effective'];
  useLiveKind('Policy', policyKey);
  useLiveKind('ClusterPolicy', policyKey);
  const policy = useQuery({
    queryKey: policyKey,
    queryFn: ({ signal }) => client.policy.effective({ namespace: viewed, signal }),
    refetchInterval: 10_000,
  });
  const runs = useQuery({
    queryKey: ['Run', viewed, 'list', 'governance'],
    queryFn: ({ signal }) => client.resources('Run').list({ namespace: viewed, signal }),
    refetchInterval: 10_000,
  });
  const runCounts: RunCounts | undefined = runs.data
    ? (() => {
        const active = runs.data.items.filter(
          (run) => !isTerminalRunPhase(run.status?.phase ?? RunPhase.Pending),
        );
        return {
          namespace: active.length,
          user: active.filter((run) => run.metadata.annotations?.[OWNER_ANNOTATION] === user.id)
            .length,
        };
      })()
    : undefined;

  return (
    <>
      <PageHeader title="Governance" />
      <form
        className="row governance-namespace"
        onSubmit={(event) => {
          event.preventDefault();
          if (!NAMESPACE.test(draft)) {
            setDraftError('A namespace is lowercase letters, digits and "-".');
            return;
          }
          setDraftError(undefined);
          setViewed(draft);
        }}
      >
        <label htmlFor="governance-namespace">Namespace to view</label>
        <input
          id="governance-namespace"
          value={draft}
          onChange={(event) => setDraft(event.target.value)}
          aria-invalid={draftError ? true : undefined}
          aria-describedby={draftError ? 'governance-namespace-error' : undefined}
        />
        <button type="submit" className="button">
          View policy
        </button>
        {viewed !== namespace ? (
          <button
            type="button"
            className="button ghost"
            onClick={() => {
              setViewed(namespace);
              setDraft(namespace);
            }}
          >
            Back to {namespace}
          </button>
        ) : null}
        {draftError ? (
          <span id="governance-namespace-error" className="form-error">
            {draftError}
          </span>
        ) : null}
      </form>
      <p className="muted" role="status">
        Effective policy of namespace <strong>{viewed}</strong>: the cluster default (
        <code>ClusterPolicy/default</code>) merged field by field with the namespace override (
        <code>Policy/{viewed}/default</code>).
      </p>
      <QueryView query={policy} what={`Loading the policy of ${viewed}`}>
        {(data) => <PolicySections policy={data} runs={runCounts} />}
      </QueryView>
      <section className="card governance-edit" aria-labelledby="governance-edit">
        <h2 id="governance-edit">Changing the policy</h2>
        {user.role === 'admin' ? (
          <>
            <p>
              Write a <code>Policy</code> named <code>default</code> in the namespace (or a{' '}
              <code>ClusterPolicy</code> named <code>default</code> for every namespace) and apply
              it with <code>paddock apply -f policy.yaml</code>:
            </p>
            <pre>{EXAMPLE.replace('NAMESPACE', viewed)}</pre>
          </>
        ) : (
          <p>Policies are set by administrators. Ask one to change a limit that blocks you.</p>
        )}
      </section>
    </>
  );
}
