import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KIND_NAMES } from '@paddock/core';
import { Validator } from '@seriousme/openapi-schema-validator';
import { buildOpenApiDocument } from './openapi.ts';
import { pathParamNames } from './route.ts';
import { ROUTES } from './routes.ts';

type Json = Record<string, unknown>;
const doc = buildOpenApiDocument({ serverUrl: 'http://127.0.0.1:7070' });
const METHODS = ['get', 'put', 'post', 'delete', 'patch'];

function operations(document: Json): { path: string; method: string; op: Json }[] {
  const out: { path: string; method: string; op: Json }[] = [];
  for (const [path, item] of Object.entries(document.paths as Record<string, Json>)) {
    for (const method of METHODS) {
      const op = item[method];
      if (op) out.push({ path, method, op: op as Json });
    }
  }
  return out;
}

function collectRefs(value: unknown, refs: string[] = []): string[] {
  if (Array.isArray(value)) for (const v of value) collectRefs(v, refs);
  else if (value && typeof value === 'object') {
    for (const [key, inner] of Object.entries(value)) {
      if (key === '$ref' && typeof inner === 'string') refs.push(inner);
      else collectRefs(inner, refs);
    }
  }
  return refs;
}

function resolve(document: Json, ref: string): unknown {
  assert.ok(ref.startsWith('#/'), `external ref ${ref}`);
  let node: unknown = document;
  for (const part of ref.slice(2).split('/')) {
    node = node && typeof node === 'object' ? (node as Json)[part] : undefined;
  }
  return node;
}

describe('OpenAPI document', () => {
  it('is valid OpenAPI 3.1 by the meta-schema', async () => {
    const result = await new Validator().validate(structuredClone(doc));
    assert.equal(result.valid, true, JSON.stringify(result.errors, null, 2));
  });

  it('has a validator that can fail', async () => {
    const broken = structuredClone(doc) as { paths: Record<string, Json> };
    broken.paths['/healthz'] = { get: { responses: { 200: { content: 'nope' } } } };
    assert.equal((await new Validator().validate(broken)).valid, false);
  });

  it('has one operation per route with a unique operationId', () => {
    const ops = operations(doc);
    assert.equal(ops.length, ROUTES.length);
    const ids = ops.map((o) => o.op.operationId);
    assert.equal(new Set(ids).size, ids.length);
    assert.deepEqual(new Set(ids), new Set(ROUTES.map((r) => r.operationId)));
  });

  it('declares every path parameter as required', () => {
    for (const { path, op } of operations(doc)) {
      const declared = (op.parameters as Json[])
        .filter((p) => p.in === 'path')
        .map((p) => {
          assert.equal(p.required, true, `${path} ${String(p.name)}`);
          return p.name;
        });
      assert.deepEqual(declared.sort(), pathParamNames(path).sort(), path);
    }
  });

  it('resolves every $ref', () => {
    const refs = collectRefs(doc);
    assert.ok(refs.length > 100);
    for (const ref of new Set(refs)) assert.ok(resolve(doc, ref) !== undefined, ref);
  });

  it('answers errors on every operation with the envelope', () => {
    for (const { path, method, op } of operations(doc)) {
      const responses = op.responses as Record<string, Json>;
      const errors = Object.keys(responses).filter((s) => /^[45]\d\d$/.test(s));
      assert.ok(
        errors.some((s) => s.startsWith('4')),
        `${method} ${path}: no 4xx`,
      );
      for (const status of errors) {
        const response = collectRefs(responses[status]).length
          ? resolve(doc, (responses[status] as { $ref: string }).$ref)
          : responses[status];
        const schema = (response as { content: Record<string, { schema: { $ref: string } }> })
          .content['application/json']?.schema;
        assert.equal(schema?.$ref, '#/components/schemas/ErrorEnvelope', `${path} ${status}`);
      }
    }
  });

  it('names each kind and the envelope in components.schemas', () => {
    const schemas = (doc.components as { schemas: Json }).schemas;
    for (const name of [...KIND_NAMES, 'ErrorEnvelope', 'ObjectMeta']) {
      assert.ok(schemas[name], name);
    }
    const get = operations(doc).find((o) => o.op.operationId === 'getSandbox')?.op;
    assert.deepEqual(collectRefs((get?.responses as Json)['200']), [
      '#/components/schemas/Sandbox',
    ]);
  });

  it('uses input forms for request bodies where defaults make them differ', () => {
    const create = operations(doc).find((o) => o.op.operationId === 'createSandbox')?.op;
    assert.deepEqual(collectRefs(create?.requestBody), ['#/components/schemas/SandboxInput']);
  });

  it('lets probes, metrics, sign-in discovery and signed download links through without auth, and nothing else', () => {
    const open = operations(doc)
      .filter((o) => Array.isArray(o.op.security) && (o.op.security as unknown[]).length === 0)
      .map((o) => o.op.operationId)
      .sort();
    assert.deepEqual(open, [
      'downloadSandboxFileByLink',
      'getAuthConfig',
      'getHealth',
      'getMetrics',
      'getOpenApiDocument',
      'getReadiness',
    ]);
  });

  it('documents the 403 of a signed download link', () => {
    const download = operations(doc).find((o) => o.op.operationId === 'downloadSandboxFileByLink');
    assert.ok(Object.keys(download?.op.responses as Json).includes('403'));
  });

  it('coerces list query parameters from strings and documents watch streams', () => {
    const list = operations(doc).find((o) => o.op.operationId === 'listSandbox')?.op;
    const limit = (list?.parameters as Json[]).find((p) => p.name === 'limit');
    assert.deepEqual(limit, {
      name: 'limit',
      in: 'query',
      required: false,
      schema: { type: 'integer', minimum: 1, maximum: 1000 },
    });
    const content = ((list?.responses as Json)['200'] as { content: Json }).content;
    assert.deepEqual(Object.keys(content), ['application/json', 'text/event-stream']);
  });
});
