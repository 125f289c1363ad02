import type { EffectivePolicy } from '@paddock/api';
import './policy-sections.css';
import type { ReactNode } from 'react';
import { usd } from '../../lib/format.ts';
import { UsageBar } from './usage-bar.tsx';

/** Active runs in the namespace and the caller's share, counted by the page. */
export type RunCounts = { namespace: number; user: number };

/** `ClusterPolicy/default`, or `Policy/<namespace>/default` for the namespace override. */
function sourceOf(policy: EffectivePolicy, path: string): string | undefined {
  const top = path.split('.')[0] ?? path;
  const source = policy.sources[path] ?? policy.sources[top];
  if (source === 'Policy/default') return `Policy/${policy.namespace}/default`;
  return source;
}

function Source({ policy, path }: { policy: EffectivePolicy; path: string }) {
  const source = sourceOf(policy, path);
  return <span className="policy-source">{source ? `from ${source}` : 'not set'}</span>;
}

function Field({
  label,
  policy,
  path,
  children,
}: {
  label: string;
  policy: EffectivePolicy;
  path: string;
  children: ReactNode;
}) {
  return (
    <div className="policy-field">
      <dt>
        {label} <Source policy={policy} path={path} />
      </dt>
      <dd>{children}</dd>
    </div>
  );
}

function Limit({ value }: { value: string | number | undefined }) {
  return value === undefined ? <span className="muted">no limit</span> : <strong>{value}</strong>;
}

function List({ items, empty }: { items: readonly string[] | undefined; empty: string }) {
  if (items === undefined) return <span className="muted">{empty}</span>;
  if (items.length === 0) return <span className="muted">none allowed</span>;
  return (
    <ul className="policy-list">
      {items.map((item) => (
        <li key={item}>
          <code>{item}</code>
        </li>
      ))}
    </ul>
  );
}

function Section({ id, title, children }: { id: string; title: string; children: ReactNode }) {
  return (
    <section className="card policy-section" aria-labelledby={id}>
      <h2 id={id}>{title}</h2>
      <dl>{children}</dl>
    </section>
  );
}

const count = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`;

/** The effective policy as sections, each field with its usage and the policy that set it. */
export function PolicySections({
  policy,
  runs,
}: {
  policy: EffectivePolicy;
  runs: RunCounts | undefined;
}) {
  const { spec, usage } = policy;
  const ofLimit = (used: number, limit: number | undefined, noun: string) =>
    limit === undefined ? count(used, noun) : `${used} of ${count(limit, noun)}`;
  return (
    <div className="grid policy-grid">
      <Section id="policy-quotas" title="Sandbox quotas">
        <Field label="Per namespace" policy={policy} path="sandboxes.maxPerNamespace">
          <UsageBar
            used={usage.namespaceSandboxes}
            limit={spec.sandboxes?.maxPerNamespace}
            text={ofLimit(usage.namespaceSandboxes, spec.sandboxes?.maxPerNamespace, 'sandbox')}
          />
        </Field>
        <Field label="Per user (you)" policy={policy} path="sandboxes.maxPerUser">
          <UsageBar
            used={usage.userSandboxes}
            limit={spec.sandboxes?.maxPerUser}
            text={ofLimit(usage.userSandboxes, spec.sandboxes?.maxPerUser, 'sandbox')}
          />
        </Field>
      </Section>
      <Section id="policy-caps" title="Per-sandbox caps">
        <Field label="CPU" policy={policy} path="resources.maxCpu">
          <Limit value={spec.resources?.maxCpu} />
        </Field>
        <Field label="Memory" policy={policy} path="resources.maxMemory">
          <Limit value={spec.resources?.maxMemory} />
        </Field>
        <Field label="Storage" policy={policy} path="resources.maxStorage">
          <Limit value={spec.resources?.maxStorage} />
        </Field>
        <Field label="Timeout" policy={policy} path="maxTimeout">
          <Limit value={spec.maxTimeout} />
        </Field>
        <Field label="Idle timeout" policy={policy} path="maxIdleTimeout">
          <Limit value={spec.maxIdleTimeout} />
        </Field>
      </Section>
      <Section id="policy-allowed" title="Allowed">
        <Field label="Templates" policy={policy} path="allowedTemplates">
          <List items={spec.allowedTemplates} empty="any template" />
        </Field>
        <Field label="Image registries" policy={policy} path="approvedImageRegistries">
          <List items={spec.approvedImageRegistries} empty="any registry" />
        </Field>
        <Field label="Egress domains" policy={policy} path="allowedEgressDomains">
          <List items={spec.allowedEgressDomains} empty="any domain (open egress allowed)" />
        </Field>
        <Field label="Host paths" policy={policy} path="allowedHostPaths">
          <List items={spec.allowedHostPaths} empty="none (no host mounts)" />
        </Field>
      </Section>
      <Section id="policy-budgets" title="Budgets">
        <Field label="Per run" policy={policy} path="budgets.maxUsdPerRun">
          <Limit
            value={
              spec.budgets?.maxUsdPerRun === undefined ? undefined : usd(spec.budgets.maxUsdPerRun)
            }
          />
        </Field>
        <Field label="Per user per day (you)" policy={policy} path="budgets.maxUsdPerUserPerDay">
          <UsageBar
            used={usage.userSpentTodayUsd}
            limit={spec.budgets?.maxUsdPerUserPerDay}
            text={`${usd(usage.userSpentTodayUsd)}${spec.budgets?.maxUsdPerUserPerDay === undefined ? ' spent today' : ` of ${usd(spec.budgets.maxUsdPerUserPerDay)} today`}`}
          />
        </Field>
        <Field
          label="Per namespace per day"
          policy={policy}
          path="budgets.maxUsdPerNamespacePerDay"
        >
          <UsageBar
            used={usage.namespaceSpentTodayUsd}
            limit={spec.budgets?.maxUsdPerNamespacePerDay}
            text={`${usd(usage.namespaceSpentTodayUsd)}${spec.budgets?.maxUsdPerNamespacePerDay === undefined ? ' spent today' : ` of ${usd(spec.budgets.maxUsdPerNamespacePerDay)} today`}`}
          />
        </Field>
      </Section>
      <Section id="policy-runs" title="Concurrent runs">
        <Field label="Per namespace" policy={policy} path="runs.maxConcurrentPerNamespace">
          {runs ? (
            <UsageBar
              used={runs.namespace}
              limit={spec.runs?.maxConcurrentPerNamespace}
              text={ofLimit(runs.namespace, spec.runs?.maxConcurrentPerNamespace, 'run')}
            />
          ) : (
            <Limit value={spec.runs?.maxConcurrentPerNamespace} />
          )}
        </Field>
        <Field label="Per user (you)" policy={policy} path="runs.maxConcurrentPerUser">
          {runs ? (
            <UsageBar
              used={runs.user}
              limit={spec.runs?.maxConcurrentPerUser}
              text={ofLimit(runs.user, spec.runs?.maxConcurrentPerUser, 'run')}
            />
          ) : (
            <Limit value={spec.runs?.maxConcurrentPerUser} />
          )}
        </Field>
      </Section>
    </div>
  );
}
