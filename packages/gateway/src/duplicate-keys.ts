/** One open object (its keys so far, whether a key comes next) or array (the current index). */
type Frame =
  | { isObject: true; path: string; keys: Set<string>; lastKey: string; isKeyNext: boolean }
  | { isObject: false; path: string; index: number };

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;

/**
 * The path (`model`, `stream_options.include_usage`, `messages[2].role`) of the first key that an
 * object of `json` names twice, or `undefined` when none does. `JSON.parse` keeps the last of
 * duplicates, other parsers the first, so a body with one could be priced as one model and run
 * as another. Keys compare after unescaping (`"mod\u0065l"` is `model`). `json` must be valid
 * JSON (parse it first): this only walks its structure, skipping strings whole.
 */
export function firstDuplicateKey(json: string): string | undefined {
  const stack: Frame[] = [];
  let i = 0;
  while (i < json.length) {
    const code = json.charCodeAt(i);
    const top = stack.at(-1);
    if (code === QUOTE) {
      const end = stringEnd(json, i);
      if (top?.isObject === true && top.isKeyNext) {
        const raw = json.slice(i, end + 1);
        const key = raw.includes('\\') ? String(JSON.parse(raw)) : raw.slice(1, -1);
        if (top.keys.has(key)) return childPath(top.path, key);
        top.keys.add(key);
        top.lastKey = key;
        top.isKeyNext = false;
      }
      i = end + 1;
      continue;
    }
    if (code === OPEN_OBJECT || code === OPEN_ARRAY) {
      const path = top === undefined ? '' : valuePath(top);
      stack.push(
        code === OPEN_OBJECT
          ? { isObject: true, path, keys: new Set(), lastKey: '', isKeyNext: true }
          : { isObject: false, path, index: 0 },
      );
    } else if (code === CLOSE_OBJECT || code === CLOSE_ARRAY) {
      stack.pop();
    } else if (code === COMMA && top !== undefined) {
      if (top.isObject) top.isKeyNext = true;
      else top.index += 1;
    }
    i += 1;
  }
  return undefined;
}

/** The index of the quote closing the string that opens at `start`. */
function stringEnd(json: string, start: number): number {
  let end = json.indexOf('"', start + 1);
  while (end !== -1) {
    let backslashes = 0;
    while (json.charCodeAt(end - 1 - backslashes) === BACKSLASH) backslashes += 1;
    if (backslashes % 2 === 0) return end;
    end = json.indexOf('"', end + 1);
  }
  return json.length;
}

/** The path of the value opening now inside `parent`: its key's, or its index's. */
function valuePath(parent: Frame): string {
  return parent.isObject
    ? childPath(parent.path, parent.lastKey)
    : `${parent.path}[${parent.index}]`;
}

function childPath(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}
