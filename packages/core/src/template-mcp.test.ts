import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { API_VERSION } from './metadata.ts';
import type { SandboxOverrides } from './sandbox.ts';
import { type AnyTemplate, McpToolset, OverridableField, SandboxTemplate } from './template.ts';
import { applyOverrides, resolveTemplate } from './template-resolve.ts';

const NS = 'team-a';

function template(name: string, spec: unknown): AnyTemplate {
  return SandboxTemplate.parse({
    apiVersion: API_VERSION,
    kind: 'SandboxTemplate',
    metadata: { name, namespace: NS },
    spec,
  });
}

function resolve(templates: AnyTemplate[], name: string) {
  const lookup = (_kind: string, _namespace: string | undefined, wanted: string | undefined) =>
    templates.find((t) => t.metadata.name === wanted);
  return resolveTemplate({ name }, { lookup, namespace: NS });
}

describe('template field mcp', () => {
  it('accepts paddock-readonly and nothing else', () => {
    const ok = template('t', { mcp: 'paddock-readonly' });
    assert.equal(ok.spec.mcp, McpToolset.PaddockReadonly);
    for (const mcp of ['paddock', 'paddock-readwrite', '', true]) {
      const parsed = SandboxTemplate.safeParse({ ...ok, spec: { mcp } });
      assert.equal(parsed.success, false, `mcp: ${JSON.stringify(mcp)} was accepted`);
    }
  });

  it('is off unless a template in the chain opts in, and a child inherits its parent’s opt-in', () => {
    const templates = [
      template('base', { mcp: 'paddock-readonly', timeout: '1h' }),
      template('child', { inheritsFrom: { name: 'base' }, image: 'alpine' }),
      template('plain', { image: 'alpine' }),
    ];
    assert.equal(resolve(templates, 'child').spec.mcp, 'paddock-readonly');
    assert.equal(resolve(templates, 'child').origins.mcp, 'SandboxTemplate/base');
    assert.equal(resolve(templates, 'plain').spec.mcp, undefined);
  });

  it('is never a Sandbox override: a sandbox cannot opt itself in', () => {
    assert.equal(OverridableField.options.includes('mcp' as never), false);
    const resolved = resolve([template('plain', { overridable: ['env'] })], 'plain');
    const smuggled: SandboxOverrides = JSON.parse('{"mcp":"paddock-readonly"}');
    const { spec, violations } = applyOverrides(resolved, smuggled, 'Sandbox/box');
    assert.deepEqual(
      violations.map((v) => v.field),
      ['mcp'],
    );
    assert.equal(spec.mcp, undefined);
  });
});
