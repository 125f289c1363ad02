import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { dirname, join } from 'node:path';
import { createSecureContext } from 'node:tls';
import { ErrorCode, type FieldIssue, PaddockError } from '@paddock/core';
import { PREVIEW_DOMAIN } from './preview/preview-path.ts';

/**
 * Where the API listener's certificate (chain) and private key are: PEM files, given or (with
 * `--tls-self-signed`) made on first start.
 */
export type TlsFiles = { certFile: string; keyFile: string; isSelfSigned: boolean };

/** Where `--tls-self-signed` keeps its certificate: `home/tls/`. */
export function selfSignedFiles(home: string): TlsFiles {
  const dir = join(home, 'tls');
  return { certFile: join(dir, 'cert.pem'), keyFile: join(dir, 'key.pem'), isSelfSigned: true };
}

/**
 * Makes the self-signed certificate with openssl unless it exists: for localhost, every preview
 * host (`*.preview.localhost`), 127.0.0.1, ::1 and the listen host (a name or an address; not a
 * wildcard), valid ten years.
 */
function makeSelfSigned(files: TlsFiles, listenHost: string): void {
  if (existsSync(files.certFile) && existsSync(files.keyFile)) return;
  const names = new Set(['DNS:localhost', `DNS:*.${PREVIEW_DOMAIN}`, 'IP:127.0.0.1', 'IP:::1']);
  if (listenHost !== '0.0.0.0' && listenHost !== '::') {
    names.add(`${isIP(listenHost) === 0 ? 'DNS' : 'IP'}:${listenHost}`);
  }
  mkdirSync(dirname(files.certFile), { recursive: true, mode: 0o700 });
  const run = spawnSync(
    'openssl',
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes']
      .concat(['-days', '3650', '-subj', '/CN=paddock'])
      .concat(['-addext', `subjectAltName=${[...names].join(',')}`])
      .concat(['-keyout', files.keyFile, '-out', files.certFile]),
    { encoding: 'utf8' },
  );
  if (run.error !== undefined || run.status !== 0) {
    throw new PaddockError(
      ErrorCode.RuntimeUnavailable,
      `--tls-self-signed: openssl could not make a certificate (${run.error?.message ?? run.stderr.trim()}): install openssl, or give --tls-cert and --tls-key`,
    );
  }
}

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
 * Reads and checks the TLS files at start (making the self-signed ones first when asked): each
 * readable PEM, the key the certificate's. Every problem at once as `validation_failed`, each
 * named by its flag and variable.
 */
export function readTlsFiles(
  files: TlsFiles | undefined,
  listenHost: string,
): TlsMaterial | undefined {
  if (files === undefined) return undefined;
  if (files.isSelfSigned) makeSelfSigned(files, listenHost);
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
