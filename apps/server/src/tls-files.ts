import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import { z } from 'zod';

/** A PEM file read at start: its path and its text. */
export type PemFile = { path: string; pem: string };

const MARKERS = {
  certificate: /-----BEGIN CERTIFICATE-----/,
  'private key': /-----BEGIN ([A-Z]+ )?PRIVATE KEY-----/,
} as const;

/** A path to a PEM file holding a `what`; unreadable or not PEM is an issue naming the file. */
export function pemFile(what: keyof typeof MARKERS) {
  return z
    .string()
    .min(1, 'must not be empty')
    .transform((path, ctx): PemFile => {
      let pem: string;
      try {
        pem = readFileSync(path, 'utf8');
      } catch (cause) {
        ctx.addIssue({
          code: 'custom',
          message: `cannot read ${path}: ${(cause as Error).message}`,
        });
        return z.NEVER;
      }
      if (!MARKERS[what].test(pem)) {
        ctx.addIssue({ code: 'custom', message: `${path} holds no PEM ${what}` });
        return z.NEVER;
      }
      return { path, pem };
    });
}

/**
 * Both files or neither; a key that does not belong to the certificate (or PEM that OpenSSL
 * refuses) is an issue on whichever it blames.
 */
export function checkTlsPair(
  cert: PemFile | undefined,
  key: PemFile | undefined,
  addIssue: (path: 'tlsCert' | 'tlsKey', message: string) => void,
): void {
  if (cert === undefined && key === undefined) return;
  if (cert === undefined) {
    addIssue('tlsCert', 'a TLS key needs its certificate too (--tls-cert)');
    return;
  }
  if (key === undefined) {
    addIssue('tlsKey', 'a TLS certificate needs its private key too (--tls-key)');
    return;
  }
  try {
    createSecureContext({ cert: cert.pem, key: key.pem });
  } catch (cause) {
    const message = (cause as Error).message;
    const isKeyFault = /key|PEM|decoder/i.test(message) && !/certificate/i.test(message);
    addIssue(
      /mismatch/i.test(message) || isKeyFault ? 'tlsKey' : 'tlsCert',
      /mismatch/i.test(message)
        ? `${key.path} is not the private key of ${cert.path}`
        : `OpenSSL refuses it: ${message}`,
    );
  }
}
