import type { OverridableField } from '@paddock/core';
import type { DraftProblems, SandboxDraft } from './sandbox-draft.ts';

type Props = {
  draft: SandboxDraft;
  problems: DraftProblems;
  overridable: readonly OverridableField[];
  /** The template's own values, shown as placeholders. */
  defaults: {
    cpu?: string | undefined;
    memory?: string | undefined;
    timeout?: string | undefined;
    idleTimeout?: string | undefined;
  };
  onChange: (next: Partial<SandboxDraft>) => void;
};

function TextField({
  id,
  label,
  value,
  placeholder,
  problem,
  hint,
  onChange,
}: {
  id: string;
  label: string;
  value: string;
  placeholder: string | undefined;
  problem: string | undefined;
  hint: string;
  onChange: (value: string) => void;
}) {
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        value={value}
        placeholder={placeholder}
        aria-invalid={problem ? true : undefined}
        aria-describedby={`${id}-hint`}
        onChange={(e) => onChange(e.target.value.trim())}
      />
      <span id={`${id}-hint`} className={problem ? 'form-error small' : 'muted small'}>
        {problem ?? hint}
      </span>
    </div>
  );
}

/** The overrides a template allows: cpu and memory, timeouts, environment variables. */
export function OverridesFields({ draft, problems, overridable, defaults, onChange }: Props) {
  const allows = (field: OverridableField) => overridable.includes(field);
  if (!['resources', 'timeout', 'idleTimeout', 'env'].some((f) => allows(f as OverridableField))) {
    return <p className="muted">This template allows no overrides.</p>;
  }
  const keep = (value: string | undefined) => (value ? `template: ${value}` : 'template default');
  return (
    <fieldset className="overrides">
      <legend>Overrides</legend>
      <div className="overrides-grid">
        {allows('resources') ? (
          <>
            <TextField
              id="override-cpu"
              label="CPU"
              value={draft.cpu}
              placeholder={keep(defaults.cpu)}
              problem={problems.cpu}
              hint="A quantity: 500m, 1, 2"
              onChange={(cpu) => onChange({ cpu })}
            />
            <TextField
              id="override-memory"
              label="Memory"
              value={draft.memory}
              placeholder={keep(defaults.memory)}
              problem={problems.memory}
              hint="A quantity: 512Mi, 2Gi"
              onChange={(memory) => onChange({ memory })}
            />
          </>
        ) : null}
        {allows('timeout') ? (
          <TextField
            id="override-timeout"
            label="Timeout"
            value={draft.timeout}
            placeholder={keep(defaults.timeout)}
            problem={problems.timeout}
            hint="A duration: 30m, 2h; 0 for none"
            onChange={(timeout) => onChange({ timeout })}
          />
        ) : null}
        {allows('idleTimeout') ? (
          <TextField
            id="override-idle-timeout"
            label="Idle timeout"
            value={draft.idleTimeout}
            placeholder={keep(defaults.idleTimeout)}
            problem={problems.idleTimeout}
            hint="A duration: 15m, 1h; 0 for never"
            onChange={(idleTimeout) => onChange({ idleTimeout })}
          />
        ) : null}
      </div>
      {allows('env') ? (
        <EnvEditor draft={draft} problem={problems.env} onChange={onChange} />
      ) : null}
    </fieldset>
  );
}

function EnvEditor({
  draft,
  problem,
  onChange,
}: {
  draft: SandboxDraft;
  problem: string | undefined;
  onChange: (next: Partial<SandboxDraft>) => void;
}) {
  const set = (index: number, next: { name?: string; value?: string }) =>
    onChange({ env: draft.env.map((v, i) => (i === index ? { ...v, ...next } : v)) });
  return (
    <div className="env-editor">
      <h3 className="small">Environment variables</h3>
      {draft.env.map((variable, index) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: rows have no identity but their place.
        <div className="row env-row" key={index}>
          <input
            aria-label={`Variable ${index + 1} name`}
            placeholder="NAME"
            value={variable.name}
            onChange={(e) => set(index, { name: e.target.value.trim() })}
          />
          <input
            aria-label={`Variable ${index + 1} value`}
            placeholder="value"
            value={variable.value}
            onChange={(e) => set(index, { value: e.target.value })}
          />
          <button
            type="button"
            className="button small ghost"
            aria-label={`Remove variable ${index + 1}`}
            onClick={() => onChange({ env: draft.env.filter((_, i) => i !== index) })}
          >
            Remove
          </button>
        </div>
      ))}
      {problem ? (
        <p className="form-error small" role="alert">
          {problem}
        </p>
      ) : null}
      <button
        type="button"
        className="button small"
        onClick={() => onChange({ env: [...draft.env, { name: '', value: '' }] })}
      >
        Add variable
      </button>
    </div>
  );
}
