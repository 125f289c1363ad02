/**
 * JSON Schema (draft 2020-12, as zod writes it) → a Kubernetes structural schema (the OpenAPI v3
 * subset of `apiextensions.k8s.io/v1`): every node has a `type` (or says why not with an
 * `x-kubernetes-*` extension), there is no `$ref`, and `anyOf`/`oneOf` carry value validations only.
 *
 * What changes on the way, each keeping the same accepted values unless listed as a widening:
 * - `$ref`/`$defs` are inlined; `const` becomes a one-value `enum`; `null` in a type or a union
 *   becomes `nullable: true`; a numeric `exclusiveMinimum`/`exclusiveMaximum` becomes the bound
 *   with the boolean flag of OpenAPI v3.
 * - `additionalProperties: false` (a strict zod object) and its absence beside `properties` (zod's
 *   default object, which strips unknown keys) both become nothing: Kubernetes prunes unknown
 *   fields, and rejects them under `fieldValidation=Strict`. A record (`additionalProperties: {…}`
 *   without properties) stays a record; an open object (`{}`/`true`, a loose zod object) and the
 *   empty schema (`z.unknown()`) become `x-kubernetes-preserve-unknown-fields`.
 * - `uniqueItems` on scalars becomes `x-kubernetes-list-type: set` (Kubernetes forbids
 *   `uniqueItems`, it is quadratic).
 * - A union of objects (a zod discriminated union) becomes one object with every branch's
 *   properties, plus a `oneOf`/`anyOf` of value validations that restores each branch exactly:
 *   its discriminator value, its required fields, and (for a strict branch) `not` the other
 *   branches' fields. A union of constants becomes an `enum`.
 *
 * Widenings (recorded in `widenings`, path and why; none happen for Paddock's kinds today): a
 * union of anything else becomes `x-kubernetes-preserve-unknown-fields` (`x-kubernetes-int-or-string`
 * for integer|string), as does a node without a type, a recursive `$ref`, tuples and objects that
 * mix properties with a typed catch-all; `allOf`/`not` outside unions, `propertyNames`, unknown
 * formats and patterns Go's RE2 cannot compile (lookaround, backreferences) are dropped.
 */

/** A node of a Kubernetes structural schema (`JSONSchemaProps`), as plain JSON. */
export type JSONSchemaProps = { [keyword: string]: unknown };

export type Conversion = {
  schema: JSONSchemaProps;
  /** Where the schema accepts more than the source did, and why: `spec.x: union of …`. */
  widenings: string[];
};

type Node = Record<string, unknown>;

const PRESERVE = 'x-kubernetes-preserve-unknown-fields';

/** Formats Kubernetes checks with the same meaning as JSON Schema's. */
const FORMATS = new Set(['date-time', 'date', 'uri', 'email', 'uuid', 'ipv4', 'ipv6', 'hostname']);

/** Keywords a structural schema forbids inside `anyOf`/`oneOf`/`allOf`/`not`. */
const NOT_VALUE_VALIDATION = new Set(['type', 'description', 'title', 'default', 'nullable']);

/** Output key order, so generated YAML reads the same way everywhere. */
const KEY_ORDER = [
  'description',
  'type',
  'format',
  'enum',
  'default',
  'nullable',
  'minimum',
  'exclusiveMinimum',
  'maximum',
  'exclusiveMaximum',
  'multipleOf',
  'minLength',
  'maxLength',
  'pattern',
  'minItems',
  'maxItems',
  'minProperties',
  'maxProperties',
  'required',
  'items',
  'properties',
  'additionalProperties',
  'oneOf',
  'anyOf',
  'not',
];

/** Converts `schema` (its `$defs` resolve its `$ref`s); never throws on a construct: it widens. */
export function toStructuralSchema(schema: Node): Conversion {
  const defs = { ...asNode(schema.definitions), ...asNode(schema.$defs) };
  const widenings: string[] = [];
  const context: Context = { root: schema, defs, widenings, refs: [] };
  return { schema: convert(schema, '', context), widenings };
}

type Context = { root: Node; defs: Node; widenings: string[]; refs: string[] };

function convert(input: Node, path: string, context: Context): JSONSchemaProps {
  const ref = input.$ref;
  if (typeof ref === 'string') {
    if (context.refs.includes(ref)) return widen(path, `recursive $ref ${ref}`, context);
    const { $ref: _, ...siblings } = input;
    const target = refTarget(ref, context);
    if (target === undefined) throw new Error(`${path}: unresolved $ref ${ref}`);
    context.refs.push(ref);
    try {
      return convert({ ...target, ...siblings }, path, context);
    } finally {
      context.refs.pop();
    }
  }
  const union = input.oneOf ?? input.anyOf;
  if (Array.isArray(union)) {
    const { oneOf: _o, anyOf: _a, ...siblings } = input;
    return convertUnion(union as Node[], siblings, input.oneOf ? 'oneOf' : 'anyOf', path, context);
  }
  if (input.allOf !== undefined) context.widenings.push(`${label(path)}: allOf dropped`);
  if (input.not !== undefined) context.widenings.push(`${label(path)}: not dropped`);

  let type = input.type;
  let nullable = false;
  if (Array.isArray(type)) {
    const types = type.filter((t) => t !== 'null');
    nullable = types.length < type.length;
    if (types.length === 2 && types.includes('integer') && types.includes('string')) {
      return intOrString(path, nullable, context);
    }
    if (types.length !== 1) return widen(path, `type ${JSON.stringify(type)}`, context);
    type = types[0];
  }
  const values = valuesOf(input);
  if (values?.includes(null)) nullable = true;
  type ??= inferType(input, values);
  if (type === undefined && isEmptySchema(input)) return { [PRESERVE]: true }; // any value
  if (typeof type !== 'string' || type === 'null') {
    return widen(path, type === 'null' ? 'type null' : 'no type', context);
  }

  const out: Node = { type };
  if (typeof input.description === 'string') out.description = input.description;
  if (nullable) out.nullable = true;
  if (values !== undefined) out.enum = values.filter((value) => value !== null);
  if (input.default !== undefined) out.default = input.default;
  if (typeof input.format === 'string') {
    if (FORMATS.has(input.format)) out.format = input.format;
    else context.widenings.push(`${label(path)}: format ${input.format} dropped`);
  }
  copyBounds(input, out);
  for (const keyword of ['multipleOf', 'minLength', 'maxLength', 'minItems', 'maxItems']) {
    if (typeof input[keyword] === 'number') out[keyword] = input[keyword];
  }
  if (typeof input.pattern === 'string') {
    if (isRe2Compatible(input.pattern)) out.pattern = input.pattern;
    else context.widenings.push(`${label(path)}: pattern not valid in RE2 dropped`);
  }
  for (const [key, value] of Object.entries(input)) {
    if (key.startsWith('x-kubernetes-')) out[key] = value;
  }
  if (type === 'object') convertObject(input, out, path, context);
  if (type === 'array') convertArray(input, out, path, context);
  return ordered(out);
}

function convertObject(input: Node, out: Node, path: string, context: Context): void {
  const properties = asNode(input.properties);
  const names = Object.keys(properties);
  const extra = input.additionalProperties;
  const isOpen = extra === undefined || extra === true || isEmptySchema(extra);
  if (input.propertyNames !== undefined && !isStringSchema(input.propertyNames)) {
    context.widenings.push(`${label(path)}: propertyNames dropped`);
  }
  for (const keyword of ['minProperties', 'maxProperties']) {
    if (typeof input[keyword] === 'number') out[keyword] = input[keyword];
  }
  if (names.length === 0 && typeof extra === 'object' && !isOpen) {
    out.additionalProperties = convert(extra as Node, `${path}.*`, context);
    return;
  }
  if (Array.isArray(input.required) && input.required.length > 0) {
    out.required = (input.required as string[]).filter((name) => Object.hasOwn(properties, name));
  }
  if (input.properties !== undefined) {
    out.properties = Object.fromEntries(
      names.map((name) => [name, convert(asNode(properties[name]), join(path, name), context)]),
    );
  }
  // Strict (`false`) or zod's default stripping object (absent): Kubernetes prunes unknown fields.
  if (extra === false || (extra === undefined && input.properties !== undefined)) return;
  if (!isOpen)
    context.widenings.push(`${label(path)}: typed additionalProperties beside properties`);
  out[PRESERVE] = true;
}

function convertArray(input: Node, out: Node, path: string, context: Context): void {
  if (input.prefixItems !== undefined || typeof input.items !== 'object' || input.items === null) {
    context.widenings.push(`${label(path)}: ${input.prefixItems ? 'tuple' : 'no items'}`);
    out.items = { [PRESERVE]: true };
    return;
  }
  const items = convert(input.items as Node, `${path}[]`, context);
  out.items = items;
  if (input.uniqueItems === true) {
    if (items.type === 'object' || items.type === 'array' || items.type === undefined) {
      context.widenings.push(`${label(path)}: uniqueItems dropped`);
    } else {
      out['x-kubernetes-list-type'] = 'set';
    }
  }
}

/** Unions: nullable wrappers, enums of constants, integer|string, and unions of objects. */
function convertUnion(
  branches: Node[],
  siblings: Node,
  junctor: 'oneOf' | 'anyOf',
  path: string,
  context: Context,
): JSONSchemaProps {
  const resolved = branches.map((branch) => resolve(branch, context));
  const nonNull = resolved.filter((branch) => branch.type !== 'null');
  const nullable = nonNull.length < resolved.length;
  const withNull = (schema: JSONSchemaProps) =>
    nullable && schema.type !== undefined ? ordered({ ...schema, nullable: true }) : schema;
  if (nonNull.length === 1)
    return withNull(convert({ ...(nonNull[0] as Node), ...siblings }, path, context));

  const converted = nonNull.map((branch) => convert({ ...siblings, ...branch }, path, context));
  const types = new Set(converted.map((branch) => branch.type));
  const allConstants = converted.every(
    (branch) => Array.isArray(branch.enum) && onlyKeys(branch, ['type', 'enum', 'description']),
  );
  if (types.size === 1 && allConstants) {
    const values = [...new Set(converted.flatMap((branch) => branch.enum as unknown[]))];
    return withNull(ordered({ ...(converted[0] as Node), enum: values }));
  }
  if (types.size === 2 && types.has('integer') && types.has('string')) {
    return intOrString(path, nullable, context);
  }
  if (types.size === 1 && types.has('object')) {
    const merged = mergeObjects(converted, nonNull, junctor);
    if (merged !== undefined) return withNull(merged);
  }
  return widen(path, `${junctor} of ${[...types].join(', ')}`, context);
}

/**
 * One object with every branch's properties; a property the branches give different validations
 * keeps the shared structure (with the union of their enums), and each branch's own validations
 * move into the junctor. `undefined` when the branches disagree on structure.
 */
function mergeObjects(
  branches: JSONSchemaProps[],
  sources: Node[],
  junctor: 'oneOf' | 'anyOf',
): JSONSchemaProps | undefined {
  if (branches.some((branch) => branch[PRESERVE] === true || branch.properties === undefined)) {
    return undefined;
  }
  const props = branches.map((branch) => branch.properties as Record<string, JSONSchemaProps>);
  const names = [...new Set(props.flatMap((p) => Object.keys(p)))];
  const properties: Record<string, JSONSchemaProps> = {};
  const differing = new Set<string>();
  for (const name of names) {
    const schemas = props.flatMap((p) => (p[name] === undefined ? [] : [p[name]]));
    const first = schemas[0] as JSONSchemaProps;
    if (schemas.every((schema) => sameJson(schema, first))) {
      properties[name] = first;
      continue;
    }
    const skeleton = structuralPart(first);
    if (!schemas.every((schema) => sameJson(structuralPart(schema), skeleton))) return undefined;
    differing.add(name);
    const enums = schemas.map((schema) => schema.enum);
    properties[name] = enums.every(Array.isArray)
      ? ordered({ ...skeleton, enum: [...new Set(enums.flat())] })
      : skeleton;
  }
  const requireds = branches.map((branch) => (branch.required as string[] | undefined) ?? []);
  const required = names.filter((name) => requireds.every((list) => list.includes(name)));
  const alternatives = props.map((own, index) => {
    const alternative: Node = {};
    const ownRequired = (requireds[index] as string[]).filter((name) => !required.includes(name));
    if (ownRequired.length > 0) alternative.required = ownRequired;
    const validations = Object.fromEntries(
      [...differing].flatMap((name) =>
        own[name] === undefined ? [] : [[name, valueValidations(own[name])]],
      ),
    );
    if (Object.keys(validations).length > 0) alternative.properties = validations;
    const foreign = names.filter((name) => own[name] === undefined);
    if (sources[index]?.additionalProperties === false && foreign.length > 0) {
      alternative.not = { anyOf: foreign.map((name) => ({ required: [name] })) };
    }
    return alternative;
  });
  const out: Node = { type: 'object' };
  if (required.length > 0) out.required = required;
  out.properties = properties;
  if (alternatives.some((alternative) => Object.keys(alternative).length > 0))
    out[junctor] = alternatives;
  return ordered(out);
}

/** What a structural schema says about shape alone: type, properties, items, records. */
function structuralPart(schema: JSONSchemaProps): JSONSchemaProps {
  const out: Node = { type: schema.type };
  if (schema.properties !== undefined) {
    out.properties = Object.fromEntries(
      Object.entries(schema.properties as Node).map(([name, child]) => [
        name,
        structuralPart(child as Node),
      ]),
    );
  }
  if (schema.items !== undefined) out.items = structuralPart(schema.items as Node);
  if (typeof schema.additionalProperties === 'object') {
    out.additionalProperties = structuralPart(schema.additionalProperties as Node);
  }
  if (schema[PRESERVE] === true) out[PRESERVE] = true;
  return out;
}

/** A node with only the keywords allowed inside a junctor (no type, default, extensions…). */
function valueValidations(schema: JSONSchemaProps): JSONSchemaProps {
  const out: Node = {};
  for (const [key, value] of Object.entries(schema)) {
    if (NOT_VALUE_VALIDATION.has(key) || key.startsWith('x-kubernetes-')) continue;
    if (key === 'properties') {
      out.properties = Object.fromEntries(
        Object.entries(value as Node).map(([name, child]) => [
          name,
          valueValidations(child as Node),
        ]),
      );
    } else if (key === 'items' || key === 'additionalProperties') {
      out[key] = typeof value === 'object' ? valueValidations(value as Node) : value;
    } else {
      out[key] = value;
    }
  }
  return out;
}

function copyBounds(input: Node, out: Node): void {
  for (const [bound, exclusive, stricter] of [
    ['minimum', 'exclusiveMinimum', (a: number, b: number) => a > b],
    ['maximum', 'exclusiveMaximum', (a: number, b: number) => a < b],
  ] as const) {
    const inclusive = input[bound];
    const strict = input[exclusive];
    if (
      typeof strict === 'number' &&
      (typeof inclusive !== 'number' || !stricter(inclusive, strict))
    ) {
      out[bound] = strict;
      out[exclusive] = true;
    } else if (typeof inclusive === 'number') {
      out[bound] = inclusive;
      if (strict === true) out[exclusive] = true;
    }
  }
}

function intOrString(path: string, nullable: boolean, context: Context): JSONSchemaProps {
  context.widenings.push(`${label(path)}: integer|string as x-kubernetes-int-or-string`);
  return nullable
    ? { nullable: true, 'x-kubernetes-int-or-string': true }
    : { 'x-kubernetes-int-or-string': true };
}

function widen(path: string, why: string, context: Context): JSONSchemaProps {
  context.widenings.push(`${label(path)}: ${why}`);
  return { [PRESERVE]: true };
}

/** What `ref` (`#` or `#/$defs/<name>`) points at; `undefined` when it points at nothing. */
function refTarget(ref: string, context: Context): Node | undefined {
  const target =
    ref === '#' ? context.root : context.defs[ref.replace(/^#\/(\$defs|definitions)\//, '')];
  return typeof target === 'object' && target !== null ? (target as Node) : undefined;
}

/** A union branch with its `$ref` inlined (left as is when recursive or unresolved). */
function resolve(node: Node, context: Context): Node {
  if (typeof node.$ref !== 'string' || context.refs.includes(node.$ref)) return node;
  const { $ref, ...siblings } = node;
  const target = refTarget($ref, context);
  return target === undefined ? node : { ...target, ...siblings };
}

function valuesOf(input: Node): unknown[] | undefined {
  const fromConst = Object.hasOwn(input, 'const') ? [input.const] : undefined;
  const fromEnum = Array.isArray(input.enum) ? (input.enum as unknown[]) : undefined;
  if (fromConst && fromEnum) return fromEnum.filter((value) => sameJson(value, fromConst[0]));
  return fromConst ?? fromEnum;
}

function inferType(input: Node, values: unknown[] | undefined): string | undefined {
  if (values !== undefined) {
    const types = new Set(
      values.filter((v) => v !== null).map((v) => (Number.isInteger(v) ? 'integer' : typeof v)),
    );
    return types.size === 1 ? [...types][0] : undefined;
  }
  if (input.properties !== undefined || input.additionalProperties !== undefined) return 'object';
  if (input.items !== undefined) return 'array';
  return undefined;
}

/** RE2 (Go's regexp) has no lookaround and no backreferences. */
function isRe2Compatible(pattern: string): boolean {
  return !/\(\?<?[=!]|\\[1-9]|\\k</.test(pattern);
}

function isEmptySchema(value: unknown): boolean {
  return typeof value === 'object' && value !== null && Object.keys(value).length === 0;
}

function isStringSchema(value: unknown): boolean {
  return (
    typeof value === 'object' &&
    value !== null &&
    onlyKeys(value as Node, ['type']) &&
    (value as Node).type === 'string'
  );
}

function onlyKeys(node: Node, keys: readonly string[]): boolean {
  return Object.keys(node).every((key) => keys.includes(key));
}

function asNode(value: unknown): Node {
  return typeof value === 'object' && value !== null ? (value as Node) : {};
}

function ordered(node: Node): JSONSchemaProps {
  const rank = (key: string) => {
    const index = KEY_ORDER.indexOf(key);
    return index === -1 ? KEY_ORDER.length : index;
  };
  return Object.fromEntries(Object.entries(node).sort(([a], [b]) => rank(a) - rank(b)));
}

/** Deep equality of JSON values, key order ignored. */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const keysA = Object.keys(a);
  const keysB = Object.keys(b);
  return (
    keysA.length === keysB.length &&
    keysA.every((key) => Object.hasOwn(b, key) && sameJson((a as Node)[key], (b as Node)[key]))
  );
}

function join(path: string, name: string): string {
  return path === '' ? name : `${path}.${name}`;
}

function label(path: string): string {
  return path === '' ? '(root)' : path;
}
