import type { Kind, ResourceOf } from '@paddock/core';
import type { RowKey } from './object-key.ts';
import { decodeObject } from './row-codec.ts';

/** Objects' JSON texts remembered (newest first out), at about 2 KiB each. */
const DEFAULT_CAPACITY = 4096;

/**
 * The JSON texts of stored objects this store has already validated, by object and version: read
 * back and parsed with their kind's schema (`decodeObject`), or written by the store itself from a
 * validated object. A row read again with the same text at the same key is `JSON.parse`d alone
 * (a fresh copy for each caller, as before), not validated again: the schema would give the same
 * answer for the same text. Watches, gets, lists and the read before each write all read the
 * versions just written, so under load most reads skip the schema (several times the cost of the
 * parse). Bounded: the oldest entries go first.
 */
export class ValidatedRows {
  /** `kind/namespace/name@version` → the text as stored and the text its validated value prints as. */
  readonly #entries = new Map<string, { json: string; canonical: string }>();
  readonly #capacity: number;

  constructor(capacity = DEFAULT_CAPACITY) {
    this.#capacity = capacity;
  }

  /** The object a row holds: validated once per text, then parsed alone. */
  decode<K extends Kind>(key: RowKey & { kind: K }, version: number, json: string): ResourceOf<K> {
    const id = entryId(key, version);
    const known = this.#entries.get(id);
    // The same text validated before at this key (its checks of kind, name and namespace too).
    if (known !== undefined && known.json === json) return JSON.parse(known.canonical);
    const object = decodeObject(key, json);
    const canonical = JSON.stringify(object);
    this.#remember(id, { json, canonical: canonical === json ? json : canonical });
    return object;
  }

  /** After a write: `json` is the store's own serialization of a validated object. */
  written(key: RowKey, version: number, json: string): void {
    this.#remember(entryId(key, version), { json, canonical: json });
  }

  /** Number of texts remembered (for tests). */
  get size(): number {
    return this.#entries.size;
  }

  #remember(id: string, entry: { json: string; canonical: string }): void {
    this.#entries.delete(id);
    this.#entries.set(id, entry);
    if (this.#entries.size <= this.#capacity) return;
    const oldest = this.#entries.keys().next().value;
    if (oldest !== undefined) this.#entries.delete(oldest);
  }
}

function entryId(key: RowKey, version: number): string {
  return `${key.kind}/${key.namespace}/${key.name}@${version}`;
}
