import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { structuralProblems } from './structural-check.ts';
import { toStructuralSchema } from './structural-schema.ts';

/** Converts the input JSON Schema of a zod schema, as `kindJsonSchema` makes it. */
function convert(schema: z.ZodType) {
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' });
  return toStructuralSchema(json as Record<string, unknown>);
}

describe('toStructuralSchema', () => {
  it('keeps enums, patterns, lengths, bounds and required fields; consts become enums', () => {
    const { schema, widenings } = convert(
      z.strictObject({
        name: z
          .string()
          .min(1)
          .max(63)
          .regex(/^[a-z]+$/),
        kind: z.literal('Sandbox'),
        mode: z.enum(['task', 'interactive']).default('task'),
        port: z.int().min(1).max(65535),
        ratio: z.number().positive(),
        tags: z.array(z.string()).min(1).max(3).optional(),
      }),
    );
    assert.deepEqual(widenings, []);
    assert.deepEqual(structuralProblems(schema), []);
    const p = schema.properties as Record<string, Record<string, unknown>>;
    assert.deepEqual(schema.required, ['name', 'kind', 'port', 'ratio']);
    assert.deepEqual(p.name, { type: 'string', minLength: 1, maxLength: 63, pattern: '^[a-z]+$' });
    assert.deepEqual(p.kind, { type: 'string', enum: ['Sandbox'] });
    assert.deepEqual(p.mode, { type: 'string', enum: ['task', 'interactive'], default: 'task' });
    assert.equal(p.port?.type, 'integer');
    assert.equal(p.port?.minimum, 1);
    assert.deepEqual(p.ratio, { type: 'number', minimum: 0, exclusiveMinimum: true });
    assert.deepEqual(p.tags, {
      type: 'array',
      minItems: 1,
      maxItems: 3,
      items: { type: 'string' },
    });
    assert.equal('additionalProperties' in schema, false, 'strict objects are pruned instead');
  });

  it('inlines $ref and $defs', () => {
    const { schema } = toStructuralSchema({
      type: 'object',
      properties: { a: { $ref: '#/$defs/Name' }, b: { $ref: '#/$defs/Name', description: 'b' } },
      $defs: { Name: { type: 'string', pattern: '^x$' } },
    });
    assert.deepEqual(structuralProblems(schema), []);
    const p = schema.properties as Record<string, unknown>;
    assert.deepEqual(p.a, { type: 'string', pattern: '^x$' });
    assert.deepEqual(p.b, { description: 'b', type: 'string', pattern: '^x$' });
  });

  it('widens a recursive $ref to preserved unknown fields, and says so', () => {
    const { schema, widenings } = toStructuralSchema({
      type: 'object',
      properties: { child: { $ref: '#' } },
    });
    assert.deepEqual(structuralProblems(schema), []);
    assert.deepEqual(widenings, ['child.child: recursive $ref #']);
  });

  it('makes nullable fields nullable, and records of values additionalProperties', () => {
    const { schema, widenings } = convert(
      z.strictObject({
        note: z.string().nullable(),
        origins: z.record(z.string(), z.string()),
        anything: z.record(z.string(), z.unknown()),
      }),
    );
    assert.deepEqual(widenings, []);
    assert.deepEqual(structuralProblems(schema), []);
    const p = schema.properties as Record<string, unknown>;
    assert.deepEqual(p.note, { type: 'string', nullable: true });
    assert.deepEqual(p.origins, { type: 'object', additionalProperties: { type: 'string' } });
    assert.deepEqual(p.anything, { type: 'object', 'x-kubernetes-preserve-unknown-fields': true });
  });

  it('turns a union of literals into one enum', () => {
    const { schema, widenings } = convert(z.union([z.literal('a'), z.literal('b')]));
    assert.deepEqual(widenings, []);
    assert.deepEqual(schema, { type: 'string', enum: ['a', 'b'] });
  });

  it('turns a discriminated union into one object and a oneOf of value validations', () => {
    const { schema, widenings } = convert(
      z.discriminatedUnion('transport', [
        z.strictObject({ transport: z.literal('stdio'), command: z.array(z.string()) }),
        z.strictObject({ transport: z.literal('http'), url: z.string() }),
      ]),
    );
    assert.deepEqual(widenings, []);
    assert.deepEqual(structuralProblems(schema), []);
    assert.deepEqual(schema, {
      type: 'object',
      required: ['transport'],
      properties: {
        transport: { type: 'string', enum: ['stdio', 'http'] },
        command: { type: 'array', items: { type: 'string' } },
        url: { type: 'string' },
      },
      oneOf: [
        {
          required: ['command'],
          properties: { transport: { enum: ['stdio'] } },
          not: { anyOf: [{ required: ['url'] }] },
        },
        {
          required: ['url'],
          properties: { transport: { enum: ['http'] } },
          not: { anyOf: [{ required: ['command'] }] },
        },
      ],
    });
  });

  it('widens unions it cannot express structurally, and integer|string to int-or-string', () => {
    const mixed = convert(z.strictObject({ v: z.union([z.string(), z.array(z.string())]) }));
    assert.deepEqual(mixed.widenings, ['v: anyOf of string, array']);
    assert.deepEqual((mixed.schema.properties as Record<string, unknown>).v, {
      'x-kubernetes-preserve-unknown-fields': true,
    });
    assert.deepEqual(structuralProblems(mixed.schema), []);
    const port = convert(z.strictObject({ port: z.union([z.int(), z.string()]) }));
    assert.deepEqual((port.schema.properties as Record<string, unknown>).port, {
      'x-kubernetes-int-or-string': true,
    });
    assert.deepEqual(structuralProblems(port.schema), []);
  });

  it('maps unique scalar lists to list-type set and drops what RE2 cannot compile', () => {
    const { schema, widenings } = toStructuralSchema({
      type: 'object',
      properties: {
        ids: { type: 'array', uniqueItems: true, items: { type: 'string' } },
        word: { type: 'string', pattern: '^(?!admin).*$' },
      },
    });
    const p = schema.properties as Record<string, unknown>;
    assert.deepEqual(p.ids, {
      type: 'array',
      items: { type: 'string' },
      'x-kubernetes-list-type': 'set',
    });
    assert.deepEqual(p.word, { type: 'string' });
    assert.deepEqual(widenings, ['word: pattern not valid in RE2 dropped']);
    assert.deepEqual(structuralProblems(schema), []);
  });
});

describe('structuralProblems', () => {
  it('accepts a structural schema', () => {
    assert.deepEqual(
      structuralProblems({
        type: 'object',
        properties: {
          a: { type: 'string', enum: ['x', 'y'] },
          b: { 'x-kubernetes-int-or-string': true },
        },
        oneOf: [{ required: ['a'] }, { required: ['b'] }],
      }),
      [],
    );
  });

  it('names each violation with its path', () => {
    assert.deepEqual(
      structuralProblems({
        type: 'object',
        properties: {
          ref: { $ref: '#/$defs/X' },
          untyped: { minLength: 1 },
          list: { type: 'array', uniqueItems: true },
          num: { type: 'number', exclusiveMinimum: 0 },
          both: { type: 'object', properties: {}, additionalProperties: { type: 'string' } },
          nil: { type: ['string', 'null'] },
        },
        anyOf: [{ type: 'object', properties: { ghost: { minLength: 1 } } }],
      }),
      [
        'ref: has $ref',
        'ref: has no type',
        'untyped: has no type',
        'list: has uniqueItems',
        'list: is an array without items',
        'num: has a numeric exclusiveMinimum',
        'both: has both properties and additionalProperties',
        'nil: has type ["string","null"]',
        '.anyOf: has type inside a junctor',
        '.anyOf: names ghost, which its node does not declare',
      ],
    );
  });
});
