/** A JSON-like value as read from YAML: what infra overrides and defaults are made of. */
export type YamlValue =
  | null
  | boolean
  | number
  | string
  | YamlValue[]
  | { [key: string]: YamlValue };

export type YamlMap = { [key: string]: YamlValue };

/** Whether `value` is a map (a plain object, not an array or null). */
export function isYamlMap(value: unknown): value is YamlMap {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/**
 * `override` deep-merged over `base`: where both hold a map the maps merge key by key, recursively;
 * everything else in `override` (arrays, scalars, null) replaces what `base` holds. Neither input
 * is changed; the result shares no map with them.
 */
export function deepMerge(base: YamlValue, override: YamlValue): YamlValue {
  if (!isYamlMap(base) || !isYamlMap(override)) return copy(override);
  const result: YamlMap = copy(base) as YamlMap;
  for (const [key, value] of Object.entries(override)) {
    const current = Object.hasOwn(result, key) ? result[key] : undefined;
    define(result, key, current === undefined ? copy(value) : deepMerge(current, value));
  }
  return result;
}

function copy(value: YamlValue): YamlValue {
  if (Array.isArray(value)) return value.map(copy);
  if (!isYamlMap(value)) return value;
  const result: YamlMap = {};
  for (const [key, inner] of Object.entries(value)) define(result, key, copy(inner));
  return result;
}

/** Sets `key` as an own data property, so a key named `__proto__` stays a key. */
function define(target: YamlMap, key: string, value: YamlValue): void {
  Object.defineProperty(target, key, {
    value,
    enumerable: true,
    writable: true,
    configurable: true,
  });
}
