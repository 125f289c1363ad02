/**
 * Base64url (RFC 4648 §5, unpadded) without Buffer, so the opaque tokens of @paddock/core read
 * the same in Node and in a browser.
 */
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const VALUES = new Map<string, number>([
  ...[...ALPHABET].map((char, i): [string, number] => [char, i]),
  // The standard alphabet's two characters read as theirs.
  ['+', 62],
  ['/', 63],
]);

/** `bytes` as unpadded base64url text. */
export function encodeBase64Url(bytes: Uint8Array): string {
  let text = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = ((buffer << 8) | byte) & 0xffff;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      text += ALPHABET[(buffer >> bits) & 0x3f];
    }
  }
  if (bits > 0) text += ALPHABET[(buffer << (6 - bits)) & 0x3f];
  return text;
}

/**
 * The bytes of base64url (or base64) `text`, read leniently as Node's Buffer reads it: other
 * characters are skipped, the first `=` ends the text, and trailing bits short of a byte are
 * dropped. Never throws; text that is not base64 yields bytes that fail the caller's check.
 */
export function decodeBase64Url(text: string): Uint8Array {
  const bytes: number[] = [];
  let buffer = 0;
  let bits = 0;
  for (const char of text) {
    if (char === '=') break;
    const value = VALUES.get(char);
    if (value === undefined) continue;
    buffer = ((buffer << 6) | value) & 0xffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      bytes.push((buffer >> bits) & 0xff);
    }
  }
  return Uint8Array.from(bytes);
}
