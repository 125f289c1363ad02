/** Splits answer text the way a model streams it: a word (with its trailing space) a delta. */
export function textPieces(text: string): string[] {
  const pieces = text.match(/\s*\S+\s*/g);
  return pieces === null || pieces.length === 0 ? [text] : pieces;
}

/** Splits serialized tool arguments into `count` pieces (fewer when the JSON is short). */
export function jsonPieces(json: string, count = 3): string[] {
  const size = Math.max(1, Math.ceil(json.length / count));
  const pieces: string[] = [];
  for (let start = 0; start < json.length; start += size)
    pieces.push(json.slice(start, start + size));
  return pieces.length === 0 ? [json] : pieces;
}
