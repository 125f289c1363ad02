import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { KIND_NAMES, KINDS } from '@paddock/core';
import { CRD_DIR, crdFiles, crdPath } from './crd-files.ts';
import { crdSchema } from './crds.ts';
import { structuralProblems } from './structural-check.ts';
import type { JSONSchemaProps } from './structural-schema.ts';

/** The schema node a printer column's JSONPath reads (`[?(…)]` filters step into items). */
function nodeAt(schema: JSONSchemaProps, jsonPath: string): JSONSchemaProps | undefined {
  let node: JSONSchemaProps | undefined = schema;
  for (const step of jsonPath
    .replace(/\[\?\(.*?\)\]/g, '.[]')
    .split('.')
    .slice(1)) {
    if (node === undefined) return undefined;
    node =
      step === '[]'
        ? (node.items as JSONSchemaProps | undefined)
        : (node.properties as Record<string, JSONSchemaProps> | undefined)?.[step];
  }
  return node;
}

describe('deploy/crds', () => {
  it('holds exactly the generated CRDs (run `npm run crds` after a schema change)', () => {
    const files = crdFiles();
    const committed = readdirSync(CRD_DIR).filter((file) => file.endsWith('.yaml'));
    assert.deepEqual(committed.sort(), [...files.keys()].sort());
    for (const [file, text] of files) {
      assert.equal(readFileSync(crdPath(file), 'utf8'), text, `deploy/crds/${file} is stale`);
    }
  });

  for (const kind of KIND_NAMES) {
    it(`${kind}: a structural schema, converted without widening`, () => {
      const { schema, widenings } = crdSchema(kind);
      assert.deepEqual(structuralProblems(schema), []);
      assert.deepEqual(widenings, []);
    });

    it(`${kind}: every printer column reads a field of the schema, of the column's type`, () => {
      const { schema } = crdSchema(kind);
      for (const column of KINDS[kind].printerColumns) {
        if (column.jsonPath === '.metadata.creationTimestamp') continue; // the server's metadata
        const node = nodeAt(schema, column.jsonPath);
        assert.ok(node, `${column.name}: ${column.jsonPath} is not in the schema`);
        const type =
          column.type === 'date'
            ? 'string'
            : column.type === 'number'
              ? /number|integer/
              : column.type;
        if (typeof type === 'string') assert.equal(node.type, type, column.name);
        else assert.match(String(node.type), type, column.name);
        if (column.type === 'date') assert.equal(node.format, 'date-time', column.name);
      }
    });
  }
});
