import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import { ErrorCode, type FieldIssue, PaddockError } from '@paddock/core';

/** Where the API listener's certificate (chain) and private key are: PEM files. */
export type TlsFiles = { certFile: string; keyFile: string };

/** Their contents, checked: the key belongs to the certificate. */
export type TlsMaterial = { cert: string; key: string };

const CERT = { name: '--tls-cert / PADDOCK_TLS_CERT', marker: /-----BEGIN CERTIFICATE-----/ };
const KEY = {
  name: '--tls-key / PADDOCK_TLS_KEY',
  marker: /-----BEGIN ([A-Z]+ )?PRIVATE KEY-----/,
};

function readPem(
  path: string,
  what: typeof CERT | typeof KEY,
  issues: FieldIssue[],
): string | undefined {
  let pem: string;
  try {
    pem = readFileSync(path, 'utf8');
  } catch (cause) {
    issues.push({ path: what.name, message: `cannot read ${path}: ${(cause as Error).message}` });
    return undefined;
  }
  if (what.marker.test(pem)) return pem;
  const kind = what === CERT ? 'certificate' : 'private key';
  issues.push({ path: what.name, message: `${path} holds no PEM ${kind}` });
  return undefined;
}

/**
 * Reads and checks the TLS files at start: each readable PEM, the key the certificate's. Every
 * problem at once as `validation_failed`, each named by its flag and variable.
 */
export function readTlsFiles(files: TlsFiles | undefined): TlsMaterial | undefined {
  if (files === undefined) return undefined;
  const issues: FieldIssue[] = [];
  const cert = readPem(files.certFile, CERT, issues);
  const key = readPem(files.keyFile, KEY, issues);
  if (cert !== undefined && key !== undefined) {
    try {
      createSecureContext({ cert, key });
    } catch (cause) {
      const message = (cause as Error).message;
      issues.push(
        /mismatch/i.test(message)
          ? {
              path: KEY.name,
              message: `${files.keyFile} is not the private key of ${files.certFile}`,
            }
          : {
              path: CERT.name,
              message: `OpenSSL refuses ${files.certFile} or ${files.keyFile}: ${message}`,
            },
      );
    }
  }
  if (issues.length === 0 && cert !== undefined && key !== undefined) return { cert, key };
  const summary = issues.map((i) => `${i.path}: ${i.message}`).join('; ');
  throw new PaddockError(ErrorCode.ValidationFailed, `invalid configuration: ${summary}`, {
    issues,
  });
}
