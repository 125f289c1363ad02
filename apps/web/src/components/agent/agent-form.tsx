import { type Agent, HarnessKind, isPaddockError } from '@paddock/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, type ReactNode, useEffect, useId, useRef, useState } from 'react';
import { useSession } from '../../lib/session.ts';
import { MutationError } from '../states.tsx';
import {
  type AgentField,
  type AgentFormValues,
  emptyAgentForm,
  type FieldErrors,
  fieldErrorsFromIssues,
  formFromAgent,
  specFromForm,
} from './agent-form-model.ts';

/**
 * Creates an agent, or edits one (`agent` given: the name is fixed and the update carries its
 * resourceVersion, so a concurrent change is a clear `conflict`). Field errors from the server's
 * `validation_failed` issues appear under their fields.
 */
export function AgentForm({
  agent,
  onSaved,
  onCancel,
}: {
  agent?: Agent | undefined;
  onSaved: (agent: Agent) => void;
  onCancel: () => void;
}) {
  const { client, namespace } = useSession();
  const queryClient = useQueryClient();
  const id = useId();
  // The version the user started from: saving over a newer one must be a `conflict`.
  const [original] = useState(agent);
  const [values, setValues] = useState<AgentFormValues>(() =>
    agent ? formFromAgent(agent) : emptyAgentForm,
  );
  const [errors, setErrors] = useState<FieldErrors>({});
  const nameRef = useRef<HTMLInputElement>(null);
  const harnessRef = useRef<HTMLSelectElement>(null);
  const isEdit = original !== undefined;

  useEffect(() => (nameRef.current ?? harnessRef.current)?.focus(), []);

  const templates = useQuery({
    queryKey: ['Template', namespace, 'names'],
    queryFn: async () => {
      const [own, cluster] = await Promise.all([
        client.resources('SandboxTemplate').list(),
        client.resources('ClusterSandboxTemplate').list(),
      ]);
      return [
        ...own.items.map((t) => `SandboxTemplate/${t.metadata.name ?? ''}`),
        ...cluster.items.map((t) => `ClusterSandboxTemplate/${t.metadata.name ?? ''}`),
      ];
    },
  });

  const save = useMutation({
    mutationFn: async (next: AgentFormValues) => {
      const { spec, errors: local } = specFromForm(next, original?.spec);
      if (Object.keys(local).length > 0) {
        setErrors(local);
        return undefined;
      }
      const manifest = {
        apiVersion: 'paddock.dev/v1alpha1' as const,
        kind: 'Agent' as const,
        metadata: original ? { ...original.metadata } : { name: next.name.trim(), namespace },
        spec,
      };
      return original
        ? client.resources('Agent').replace(manifest)
        : client.resources('Agent').create(manifest);
    },
    onMutate: () => setErrors({}),
    onSuccess: (saved) => {
      if (!saved) return;
      void queryClient.invalidateQueries({ queryKey: ['Agent', namespace] });
      onSaved(saved);
    },
    onError: (error) => {
      if (isPaddockError(error, 'validation_failed')) {
        setErrors(fieldErrorsFromIssues(error.details.issues));
      }
    },
  });

  const set = <F extends AgentField>(field: F, value: AgentFormValues[F]) =>
    setValues((v) => ({ ...v, [field]: value }));
  const submit = (event: FormEvent) => {
    event.preventDefault();
    save.mutate(values);
  };
  const fieldId = (field: AgentField) => `${id}-${field}`;
  const field = (name: AgentField, label: string, control: ReactNode, hint?: string) => (
    <Field id={fieldId(name)} label={label} errors={errors[name]} hint={hint}>
      {control}
    </Field>
  );
  const describedBy = (name: AgentField) =>
    [errors[name] ? `${fieldId(name)}-error` : '', `${fieldId(name)}-hint`].join(' ').trim();
  const input = (name: Exclude<AgentField, 'harnessKind' | 'provider'>, extra = {}) => (
    <input
      id={fieldId(name)}
      value={values[name]}
      onChange={(e) => set(name, e.target.value)}
      aria-invalid={errors[name] ? true : undefined}
      aria-describedby={describedBy(name)}
      {...extra}
    />
  );
  const isConflict = isPaddockError(save.error, 'conflict');

  return (
    <form className="agent-form" onSubmit={submit} noValidate>
      {errors.form ? (
        <div className="form-error" role="alert">
          {errors.form.map((message) => (
            <p key={message}>{message}</p>
          ))}
        </div>
      ) : null}
      <div className="form-grid">
        {isEdit ? null : (
          <Field
            id={fieldId('name')}
            label="Name"
            errors={errors.name}
            hint="Lowercase letters, digits and '-'."
          >
            <input
              ref={nameRef}
              id={fieldId('name')}
              value={values.name}
              onChange={(e) => set('name', e.target.value)}
              required
              autoComplete="off"
              aria-invalid={errors.name ? true : undefined}
              aria-describedby={describedBy('name')}
            />
          </Field>
        )}
        {field(
          'harnessKind',
          'Harness',
          <select
            ref={harnessRef}
            id={fieldId('harnessKind')}
            value={values.harnessKind}
            onChange={(e) => set('harnessKind', e.target.value as AgentFormValues['harnessKind'])}
            aria-describedby={describedBy('harnessKind')}
          >
            {Object.values(HarnessKind).map((kind) => (
              <option key={kind} value={kind}>
                {kind}
              </option>
            ))}
          </select>,
        )}
        {values.harnessKind === 'command' || values.harnessCommand
          ? field(
              'harnessCommand',
              'Command',
              input('harnessCommand', { className: 'mono' }),
              'argv, space-separated (required for the command harness).',
            )
          : null}
        {field('model', 'Model', input('model', { placeholder: 'e.g. claude-sonnet-4-5' }))}
        {field(
          'provider',
          'Provider',
          <select
            id={fieldId('provider')}
            value={values.provider}
            onChange={(e) => set('provider', e.target.value as AgentFormValues['provider'])}
            aria-describedby={describedBy('provider')}
          >
            <option value="">(harness default)</option>
            <option value="anthropic">anthropic</option>
            <option value="openai">openai</option>
          </select>,
        )}
        {field(
          'template',
          'Template',
          <select
            id={fieldId('template')}
            value={values.template}
            onChange={(e) => set('template', e.target.value)}
            aria-describedby={describedBy('template')}
          >
            <option value="">(default)</option>
            {[
              ...new Set([
                ...(templates.data ?? []),
                ...(values.template ? [values.template] : []),
              ]),
            ].map((ref) => (
              <option key={ref} value={ref}>
                {ref.startsWith('Cluster')
                  ? `${ref.slice(ref.indexOf('/') + 1)} (cluster)`
                  : ref.slice(ref.indexOf('/') + 1)}
              </option>
            ))}
          </select>,
          templates.error ? 'Could not list templates.' : undefined,
        )}
      </div>
      {field(
        'systemPrompt',
        'System prompt',
        <textarea
          id={fieldId('systemPrompt')}
          rows={4}
          value={values.systemPrompt}
          onChange={(e) => set('systemPrompt', e.target.value)}
          aria-describedby={describedBy('systemPrompt')}
        />,
      )}
      {field(
        'tools',
        'Tools allowlist',
        input('tools', { placeholder: 'shell, read, write, edit' }),
        'Comma-separated; empty allows every built-in tool.',
      )}
      <fieldset className="budget">
        <legend>Budget per run</legend>
        <div className="form-grid">
          {field('maxUsd', 'Max USD', input('maxUsd', { inputMode: 'decimal' }))}
          {field('maxTurns', 'Max turns', input('maxTurns', { inputMode: 'numeric' }))}
          {field('maxTokens', 'Max tokens', input('maxTokens', { inputMode: 'numeric' }))}
          {field(
            'timeout',
            'Timeout',
            input('timeout', { placeholder: 'e.g. 30m' }),
            'A duration: 90s, 30m, 2h.',
          )}
        </div>
      </fieldset>
      <div className="row">
        <button type="submit" className="button primary" disabled={save.isPending}>
          {save.isPending ? 'Saving…' : isEdit ? 'Save agent' : 'Create agent'}
        </button>
        <button type="button" className="button ghost" onClick={onCancel}>
          Cancel
        </button>
      </div>
      {isConflict ? (
        <p className="form-error" role="alert">
          <strong>conflict</strong>: this agent was changed by someone else since you opened it.
          Cancel and edit again to start from the latest version.
        </p>
      ) : isPaddockError(save.error, 'validation_failed') ? (
        <p className="form-error" role="alert">
          <strong>validation_failed</strong>: fix the fields marked above.
        </p>
      ) : (
        <MutationError error={save.error} />
      )}
    </form>
  );
}

function Field({
  id,
  label,
  errors,
  hint,
  children,
}: {
  id: string;
  label: string;
  errors: string[] | undefined;
  hint?: string | undefined;
  children: ReactNode;
}) {
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {children}
      <span id={`${id}-hint`} className="muted small">
        {hint ?? ''}
      </span>
      {errors ? (
        <span id={`${id}-error`} className="form-error small">
          {errors.join('; ')}
        </span>
      ) : null}
    </div>
  );
}
