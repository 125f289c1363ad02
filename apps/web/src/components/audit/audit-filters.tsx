import type { AuditQuery } from '@paddock/api';
import { useState } from 'react';

/** The filters the page sends, all optional. */
export type AuditFilter = Pick<
  AuditQuery,
  'actor' | 'action' | 'target' | 'result' | 'since' | 'until'
>;

const RESULTS = ['success', 'failure', 'denied'] as const;

/** `datetime-local` value (local time) → RFC 3339 UTC, or undefined when empty or invalid. */
function toTimestamp(local: string): string | undefined {
  if (!local) return undefined;
  const ms = Date.parse(local);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}

type Draft = Record<'actor' | 'action' | 'target' | 'result' | 'since' | 'until', string>;
const EMPTY: Draft = { actor: '', action: '', target: '', result: '', since: '', until: '' };

function toFilter(draft: Draft): AuditFilter {
  const filter: AuditFilter = {};
  if (draft.actor.trim()) filter.actor = draft.actor.trim();
  if (draft.action.trim()) filter.action = draft.action.trim();
  if (draft.target.trim()) filter.target = draft.target.trim();
  const result = RESULTS.find((r) => r === draft.result);
  if (result) filter.result = result;
  const since = toTimestamp(draft.since);
  if (since) filter.since = since;
  const until = toTimestamp(draft.until);
  if (until) filter.until = until;
  return filter;
}

/** Labelled filter inputs; the filter applies on submit ("Apply filters"), "Clear" resets. */
export function AuditFilters({ onApply }: { onApply: (filter: AuditFilter) => void }) {
  const [draft, setDraft] = useState<Draft>(EMPTY);
  const text = (key: 'actor' | 'action' | 'target', label: string, placeholder: string) => (
    <div className="field">
      <label htmlFor={`audit-${key}`}>{label}</label>
      <input
        id={`audit-${key}`}
        value={draft[key]}
        placeholder={placeholder}
        onChange={(e) => setDraft({ ...draft, [key]: e.target.value })}
      />
    </div>
  );
  const time = (key: 'since' | 'until', label: string) => (
    <div className="field">
      <label htmlFor={`audit-${key}`}>{label}</label>
      <input
        id={`audit-${key}`}
        type="datetime-local"
        value={draft[key]}
        onChange={(e) => setDraft({ ...draft, [key]: e.target.value })}
      />
    </div>
  );
  return (
    <form
      className="audit-filters"
      aria-label="Audit filters"
      onSubmit={(e) => {
        e.preventDefault();
        onApply(toFilter(draft));
      }}
    >
      {text('actor', 'Actor', 'user:alice')}
      {text('action', 'Action', 'sandbox.create')}
      {text('target', 'Target', 'Sandbox/default/box')}
      <div className="field">
        <label htmlFor="audit-result">Result</label>
        <select
          id="audit-result"
          value={draft.result}
          onChange={(e) => setDraft({ ...draft, result: e.target.value })}
        >
          <option value="">Any</option>
          {RESULTS.map((r) => (
            <option key={r} value={r}>
              {r}
            </option>
          ))}
        </select>
      </div>
      {time('since', 'Since')}
      {time('until', 'Until')}
      <div className="audit-filter-actions">
        <button type="submit" className="button primary">
          Apply filters
        </button>
        <button
          type="button"
          className="button ghost"
          onClick={() => {
            setDraft(EMPTY);
            onApply({});
          }}
        >
          Clear
        </button>
      </div>
    </form>
  );
}
