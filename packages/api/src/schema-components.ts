import {
  Condition,
  KIND_NAMES,
  KINDS,
  ObjectMeta,
  SandboxEnvironment,
  Violation,
} from '@paddock/core';
import { z } from 'zod';
import { ApiKey, CurrentUser } from './accounts.ts';
import { AuditRecord } from './audit.ts';
import { ErrorBody, ErrorEnvelope, JsonValueSchema } from './error-envelope.ts';
import { ExecBody, ExecResult, ExecStreamEvent } from './exec.ts';
import { FileInfo } from './files.ts';
import { ListMeta } from './list.ts';
import { LogLine, ResourceEvent } from './sandbox-info.ts';
import { UsageTotals, WarmPoolStatus } from './usage.ts';

type JsonSchema = Record<string, unknown>;
type Io = 'input' | 'output';

const COMPONENT_PREFIX = '#/components/schemas/';

/** Schemas that become named `components.schemas` entries, referenced wherever they occur. */
function namedSchemas(): Map<string, z.ZodType> {
  const named = new Map<string, z.ZodType>();
  for (const kind of KIND_NAMES) named.set(kind, KINDS[kind].schema);
  const shared: Record<string, z.ZodType> = {
    ObjectMeta,
    Condition,
    SandboxEnvironment,
    Violation,
    ListMeta,
    ErrorEnvelope,
    ErrorBody,
    JsonValue: JsonValueSchema,
    ExecBody,
    ExecResult,
    ExecStreamEvent,
    FileInfo,
    LogLine,
    ResourceEvent,
    AuditRecord,
    ApiKey,
    CurrentUser,
    UsageTotals,
    WarmPoolStatus,
  };
  for (const [id, schema] of Object.entries(shared)) named.set(id, schema);
  return named;
}

/**
 * Converts zod schemas to OpenAPI 3.1 (JSON Schema 2020-12) with every named schema hoisted into
 * `components.schemas` and referenced by `$ref`. A named schema whose input and output forms
 * differ (defaults, transforms) gets two components: `Name` (output, in responses) and
 * `NameInput` (input, in request bodies).
 */
export class SchemaComponents {
  readonly #named = namedSchemas();
  readonly #registry = z.registry<{ id: string }>();
  readonly #differs = new Map<string, boolean>();
  readonly components: Record<string, JsonSchema> = {};

  constructor() {
    for (const [id, schema] of this.#named) this.#registry.add(schema, { id });
  }

  /** The JSON Schema of `schema` as read (`input`) or written (`output`) on the wire. */
  convert(schema: z.ZodType, io: Io): JsonSchema {
    const generated = z.toJSONSchema(schema, {
      metadata: this.#registry,
      io,
      unrepresentable: 'any',
      override: ({ zodSchema, jsonSchema }) => {
        const description = z.globalRegistry.get(zodSchema)?.description;
        if (description !== undefined) jsonSchema.description = description;
      },
    }) as JsonSchema;
    const { $schema: _dialect, $defs, ...root } = generated;
    for (const [id, def] of Object.entries(($defs ?? {}) as Record<string, JsonSchema>)) {
      const name = this.#componentName(id, io);
      this.components[name] ??= this.#rewrite(def, io);
    }
    return this.#rewrite(root, io);
  }

  #componentName(id: string, io: Io): string {
    if (!this.#isNamed(id)) {
      // An unnamed `$defs` entry means a recursive schema nobody named: name it in namedSchemas().
      throw new Error(`OpenAPI: schema ${id} is recursive or shared but has no component name`);
    }
    return io === 'input' && this.#inputDiffers(id) ? `${id}Input` : id;
  }

  #isNamed(id: string): boolean {
    return this.#named.has(id);
  }

  #inputDiffers(id: string): boolean {
    let differs = this.#differs.get(id);
    if (differs === undefined) {
      const schema = this.#named.get(id);
      if (!schema) return false;
      const as = (io: Io) =>
        JSON.stringify(
          z.toJSONSchema(schema, { metadata: this.#registry, io, unrepresentable: 'any' }),
        );
      differs = as('input') !== as('output');
      this.#differs.set(id, differs);
    }
    return differs;
  }

  #rewrite(value: JsonSchema, io: Io): JsonSchema {
    return JSON.parse(JSON.stringify(value), (key, inner: unknown) => {
      if (key === '$ref' && typeof inner === 'string' && inner.startsWith('#/$defs/')) {
        return COMPONENT_PREFIX + this.#componentName(inner.slice('#/$defs/'.length), io);
      }
      return inner;
    }) as JsonSchema;
  }
}
