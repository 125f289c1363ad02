import type { OverridableField } from '@paddock/core';
import { isPaddockError } from '@paddock/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useCallback, useState } from 'react';
import { PageHeader } from '../components/layout.tsx';
import { Link } from '../components/link.tsx';
import { OverridesFields } from '../components/sandbox/create/overrides-fields.tsx';
import { PolicyCheckView } from '../components/sandbox/create/policy-check-view.tsx';
import { ResolvedTemplateView } from '../components/sandbox/create/resolved-template-view.tsx';
import {
  draftProblems,
  emptyDraft,
  parseTemplateChoice,
  type SandboxDraft,
  toManifest,
} from '../components/sandbox/create/sandbox-draft.ts';
import { TemplatePicker } from '../components/sandbox/create/template-picker.tsx';
import { useDebounced } from '../components/sandbox/create/use-debounced.ts';
import { MutationError, QueryView } from '../components/states.tsx';
import { navigate } from '../lib/router.ts';
import { useSession } from '../lib/session.ts';
import './sandbox-create.css';

const NO_FIELDS: readonly OverridableField[] = [];

/** Create a sandbox: name, template, allowed overrides; a live preview and policy dry run. */
export function SandboxCreatePage(_props: { params: Record<string, string> }) {
  const { client, namespace } = useSession();
  const queryClient = useQueryClient();
  const [draft, setDraft] = useState<SandboxDraft>(draftFromQuery);
  const [isNameTouched, setNameTouched] = useState(false);
  const update = useCallback(
    (next: Partial<SandboxDraft>) => setDraft((d) => ({ ...d, ...next })),
    [],
  );
  const settled = useDebounced(draft, 400);

  const choice = parseTemplateChoice(settled.template);
  const resolved = useQuery({
    queryKey: [choice?.kind ?? 'SandboxTemplate', namespace, 'resolved', choice?.name],
    queryFn: () =>
      client.templates.resolve(choice?.name ?? '', {
        cluster: choice?.kind === 'ClusterSandboxTemplate',
      }),
    enabled: choice !== undefined,
  });
  const overridable = resolved.data?.overridable ?? NO_FIELDS;
  const problems = draftProblems(draft, overridable);
  const settledProblems = draftProblems(settled, overridable);
  const manifest = toManifest(settled, namespace, overridable);
  const canCheck = Object.keys(settledProblems).length === 0 && resolved.data !== undefined;
  const check = useQuery({
    queryKey: ['Sandbox', namespace, 'policy-check', manifest],
    queryFn: () => client.policy.check(manifest),
    enabled: canCheck,
  });

  const create = useMutation({
    mutationFn: () => client.sandboxes.create(toManifest(draft, namespace, overridable)),
    onSuccess: (created) => {
      void queryClient.invalidateQueries({ queryKey: ['Sandbox', namespace] });
      navigate(`/sandboxes/${encodeURIComponent(created.metadata.name ?? draft.name)}`);
    },
  });

  const isCurrent = JSON.stringify(settled) === JSON.stringify(draft);
  const violations = check.data?.violations ?? [];
  const blockedBy =
    Object.keys(problems).length > 0
      ? 'Fix the problems in the form first.'
      : !isCurrent || check.isFetching || !check.data
        ? 'Waiting for the policy check…'
        : violations.length > 0
          ? 'The policy check found violations: this sandbox would be refused.'
          : undefined;

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setNameTouched(true);
    if (!blockedBy) create.mutate();
  };
  const allows = (field: OverridableField) => overridable.includes(field);
  const overrides: Record<string, string> = {
    ...(allows('resources') && draft.cpu ? { 'resources.cpu': draft.cpu } : {}),
    ...(allows('resources') && draft.memory ? { 'resources.memory': draft.memory } : {}),
    ...(allows('timeout') && draft.timeout ? { timeout: draft.timeout } : {}),
    ...(allows('idleTimeout') && draft.idleTimeout ? { idleTimeout: draft.idleTimeout } : {}),
    ...Object.fromEntries(
      (allows('env') ? draft.env : [])
        .filter((v) => v.name)
        .map((v) => [`env.${v.name}`, `${v.name}=${v.value}`]),
    ),
  };
  const defaults = resolved.data?.spec;
  const createViolations =
    isPaddockError(create.error, 'policy_violation') &&
    Array.isArray(create.error.details.violations)
      ? (create.error.details.violations as Array<{ code: string; field: string; message: string }>)
      : [];

  return (
    <>
      <PageHeader title="New sandbox">
        <Link to="/sandboxes" className="button ghost">
          Back to sandboxes
        </Link>
      </PageHeader>
      <div className="create-layout">
        <form className="card create-form" onSubmit={submit} noValidate>
          <h2>Sandbox</h2>
          <div className="field">
            <label htmlFor="sandbox-name">Name</label>
            <input
              id="sandbox-name"
              value={draft.name}
              autoComplete="off"
              spellCheck={false}
              aria-invalid={isNameTouched && problems.name ? true : undefined}
              aria-describedby="sandbox-name-hint"
              onChange={(e) => update({ name: e.target.value })}
              onBlur={() => setNameTouched(true)}
            />
            <span
              id="sandbox-name-hint"
              className={isNameTouched && problems.name ? 'form-error small' : 'muted small'}
            >
              {isNameTouched && problems.name
                ? problems.name
                : 'Lowercase letters, digits and "-", at most 63 characters'}
            </span>
          </div>
          <div className="field">
            <label htmlFor="sandbox-template-picker">Template</label>
            <TemplatePicker
              id="sandbox-template-picker"
              value={draft.template}
              onChange={(template) => update({ template })}
            />
          </div>
          <fieldset className="desired-state">
            <legend>Desired state</legend>
            {(['Running', 'Stopped'] as const).map((state) => (
              <label key={state} className="radio">
                <input
                  type="radio"
                  name="desired-state"
                  value={state}
                  checked={draft.desiredState === state}
                  onChange={() => update({ desiredState: state })}
                />{' '}
                {state === 'Running' ? 'Running (start now)' : 'Stopped (provision later)'}
              </label>
            ))}
          </fieldset>
          {resolved.data ? (
            <OverridesFields
              draft={draft}
              problems={problems}
              overridable={overridable}
              defaults={{
                cpu: defaults?.resources?.cpu,
                memory: defaults?.resources?.memory,
                timeout: defaults?.timeout,
                idleTimeout: defaults?.idleTimeout,
              }}
              onChange={update}
            />
          ) : null}
          <div className="row create-submit">
            <button
              type="submit"
              className="button primary"
              disabled={blockedBy !== undefined || create.isPending}
              aria-describedby="create-blocked"
            >
              {create.isPending ? 'Creating…' : 'Create sandbox'}
            </button>
            <span id="create-blocked" className="muted small">
              {blockedBy ?? 'Ready to create.'}
            </span>
          </div>
          <MutationError error={create.error} isInline />
          {createViolations.length > 0 ? (
            <ul className="violations">
              {createViolations.map((v) => (
                <li key={`${v.code}:${v.field}`}>
                  <span className="badge bad">{v.code}</span> <code>{v.field}</code> {v.message}
                </li>
              ))}
            </ul>
          ) : null}
        </form>
        <div className="create-preview">
          <section className="card" aria-labelledby="resolved-heading">
            <h2 id="resolved-heading">Resolved template</h2>
            {choice ? (
              <QueryView query={resolved} what="Resolving the template">
                {(data) => <ResolvedTemplateView resolved={data} overrides={overrides} />}
              </QueryView>
            ) : (
              <p className="muted">Pick a template to see what it resolves to.</p>
            )}
          </section>
          <section className="card" aria-labelledby="policy-heading" aria-live="polite">
            <h2 id="policy-heading">Policy check</h2>
            {canCheck ? (
              <QueryView query={check} what="Checking policy">
                {(data) => <PolicyCheckView result={data} />}
              </QueryView>
            ) : (
              <p className="muted">
                {Object.keys(settledProblems).length > 0
                  ? 'Complete the form to check it against the policy.'
                  : 'Waiting for the template…'}
              </p>
            )}
          </section>
        </div>
      </div>
    </>
  );
}

/**
 * The empty form, or one with its template chosen by the link that opened it
 * (`/sandboxes/new?template=NAME&scope=cluster|namespace`, from a template's page).
 */
function draftFromQuery(): SandboxDraft {
  const query = new URLSearchParams(window.location.search);
  const name = query.get('template');
  if (!name) return emptyDraft;
  const kind = query.get('scope') === 'namespace' ? 'SandboxTemplate' : 'ClusterSandboxTemplate';
  return { ...emptyDraft, template: `${kind}/${name}` };
}
