/**
 * Field selectors of custom resources: `metadata.name` and `metadata.namespace` with `=`, `==`
 * and `!=`, comma-separated (all must hold). Other fields are `validation_failed` naming the
 * `fieldSelector` parameter, as the API server refuses them for a CRD.
 */
import { type AnyResource, ErrorCode, PaddockError } from '@paddock/core';

const FIELDS = ['metadata.name', 'metadata.namespace'] as const;
type Field = (typeof FIELDS)[number];

export type FieldRequirement = { field: Field; value: string; isEqual: boolean };

function invalid(message: string): PaddockError {
  return new PaddockError(ErrorCode.ValidationFailed, `fieldSelector: ${message}`, {
    issues: [{ path: 'fieldSelector', message }],
  });
}

const isField = (value: string): value is Field => (FIELDS as readonly string[]).includes(value);

export function parseFieldSelector(selector: string | undefined): FieldRequirement[] {
  if (selector === undefined || selector.trim() === '') return [];
  return selector.split(',').map((term) => {
    const match = /^\s*([^=!\s]+)\s*(==|=|!=)\s*(.*?)\s*$/.exec(term);
    if (match === null) throw invalid(`"${term}" is not field=value or field!=value`);
    const [, field = '', op, value = ''] = match;
    if (!isField(field)) {
      throw invalid(`"${field}" is not a field label of this kind (${FIELDS.join(', ')})`);
    }
    return { field, value, isEqual: op !== '!=' };
  });
}

export function matchesFields(object: AnyResource, requirements: FieldRequirement[]): boolean {
  return requirements.every(({ field, value, isEqual }) => {
    const actual =
      field === 'metadata.name' ? object.metadata.name : (object.metadata.namespace ?? '');
    return (actual === value) === isEqual;
  });
}

/** The object name an `metadata.name=` requirement pins, when there is one. */
export function pinnedName(requirements: FieldRequirement[]): string | undefined {
  return requirements.find((r) => r.field === 'metadata.name' && r.isEqual)?.value;
}
