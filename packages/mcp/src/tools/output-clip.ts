/** Cutting long command output down to what a model is given. */

/** Characters of each output stream a result keeps by default. */
export const DEFAULT_OUTPUT_CHARS = 20_000;

/** At most `limit` characters: the head and the tail, with what was cut in between. */
export function clip(text: string, limit: number): { text: string; isClipped: boolean } {
  if (text.length <= limit) return { text, isClipped: false };
  const half = Math.floor(limit / 2);
  const cut = text.length - 2 * half;
  return {
    text: `${text.slice(0, half)}\n…[${cut} characters omitted]…\n${text.slice(text.length - half)}`,
    isClipped: true,
  };
}
