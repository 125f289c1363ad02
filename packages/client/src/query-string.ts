/**
 * Serialises a query object onto `params`: strings, numbers and booleans as text (`true`), arrays
 * as repeated keys; `undefined` and `null` are left out.
 */
export function appendQuery(params: URLSearchParams, query: unknown): void {
  if (query === undefined || query === null) return;
  if (typeof query !== 'object') throw new TypeError('query must be an object');
  for (const [key, value] of Object.entries(query)) {
    for (const item of Array.isArray(value) ? value : [value]) {
      if (item === undefined || item === null) continue;
      if (typeof item === 'object')
        throw new TypeError(`query parameter "${key}" must be a scalar`);
      params.append(key, String(item));
    }
  }
}
