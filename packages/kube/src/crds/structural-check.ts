import type { JSONSchemaProps } from './structural-schema.ts';

const TYPES = new Set(['string', 'integer', 'number', 'boolean', 'object', 'array']);
const JUNCTORS = ['oneOf', 'anyOf', 'allOf', 'not'] as const;
/** JSON Schema keywords that have no place in an `apiextensions.k8s.io/v1` schema. */
const FOREIGN = [
  '$ref',
  '$defs',
  'definitions',
  '$schema',
  'const',
  'propertyNames',
  'prefixItems',
  'unevaluatedProperties',
  'if',
  'then',
  'else',
];
const GENERIC = ['type', 'description', 'title', 'default', 'nullable'];

/**
 * What makes `schema` not structural, as the API server's rules say it (empty when it is): every
 * node outside a junctor has a type (or `x-kubernetes-preserve-unknown-fields` /
 * `x-kubernetes-int-or-string`), no `$ref` or other JSON Schema-only keyword, `properties` and
 * `additionalProperties` apart, arrays with `items`, no `uniqueItems`, boolean exclusive bounds,
 * and junctors (`oneOf`, `anyOf`, `allOf`, `not`) holding value validations only, on properties
 * their node declares.
 */
export function structuralProblems(schema: JSONSchemaProps, path = ''): string[] {
  const problems: string[] = [];
  const at = (message: string) => problems.push(`${path === '' ? '(root)' : path}: ${message}`);
  for (const keyword of FOREIGN) if (keyword in schema) at(`has ${keyword}`);
  const isOpen =
    schema['x-kubernetes-preserve-unknown-fields'] === true ||
    schema['x-kubernetes-int-or-string'] === true;
  if (schema.type === undefined) {
    if (!isOpen) at('has no type');
  } else if (typeof schema.type !== 'string' || !TYPES.has(schema.type)) {
    at(`has type ${JSON.stringify(schema.type)}`);
  }
  if (schema['x-kubernetes-int-or-string'] === true && schema.type !== undefined) {
    at('is int-or-string with a type');
  }
  if (schema.uniqueItems === true) at('has uniqueItems');
  for (const bound of ['exclusiveMinimum', 'exclusiveMaximum']) {
    if (bound in schema && typeof schema[bound] !== 'boolean') at(`has a numeric ${bound}`);
  }
  if (schema.properties !== undefined && schema.additionalProperties !== undefined) {
    at('has both properties and additionalProperties');
  }
  if (typeof schema.additionalProperties === 'boolean') at('has a boolean additionalProperties');
  if (schema.type === 'array' && typeof schema.items !== 'object') at('is an array without items');
  for (const rule of (schema['x-kubernetes-validations'] as Array<{ rule?: unknown }>) ?? []) {
    if (typeof rule.rule !== 'string' || rule.rule === '') at('has a CEL validation without rule');
  }
  const properties = (schema.properties ?? {}) as Record<string, JSONSchemaProps>;
  for (const [name, child] of Object.entries(properties)) {
    problems.push(...structuralProblems(child, path === '' ? name : `${path}.${name}`));
  }
  if (typeof schema.items === 'object' && schema.items !== null) {
    problems.push(...structuralProblems(schema.items as JSONSchemaProps, `${path}[]`));
  }
  if (typeof schema.additionalProperties === 'object' && schema.additionalProperties !== null) {
    problems.push(
      ...structuralProblems(schema.additionalProperties as JSONSchemaProps, `${path}.*`),
    );
  }
  for (const junctor of JUNCTORS) {
    const value = schema[junctor];
    if (value === undefined) continue;
    for (const branch of Array.isArray(value) ? value : [value]) {
      problems.push(...junctorProblems(branch as JSONSchemaProps, schema, `${path}.${junctor}`));
    }
  }
  return problems;
}

/** A junctor branch: value validations only, about fields the structural node (`outer`) has. */
function junctorProblems(branch: JSONSchemaProps, outer: JSONSchemaProps, path: string): string[] {
  const problems: string[] = [];
  for (const key of Object.keys(branch)) {
    if (GENERIC.includes(key) || key.startsWith('x-kubernetes-') || FOREIGN.includes(key)) {
      problems.push(`${path}: has ${key} inside a junctor`);
    }
  }
  const outerProperties = (outer.properties ?? {}) as Record<string, JSONSchemaProps>;
  for (const [name, child] of Object.entries(
    (branch.properties ?? {}) as Record<string, JSONSchemaProps>,
  )) {
    const declared = outerProperties[name];
    if (declared === undefined)
      problems.push(`${path}: names ${name}, which its node does not declare`);
    else problems.push(...junctorProblems(child, declared, `${path}.${name}`));
  }
  for (const junctor of JUNCTORS) {
    const value = branch[junctor];
    if (value === undefined) continue;
    for (const nested of Array.isArray(value) ? value : [value]) {
      problems.push(...junctorProblems(nested as JSONSchemaProps, outer, `${path}.${junctor}`));
    }
  }
  for (const name of (branch.required as string[] | undefined) ?? []) {
    if (outerProperties[name] === undefined)
      problems.push(`${path}: requires ${name}, which its node does not declare`);
  }
  return problems;
}
