// A throwaway certificate authority and a server certificate it signed, made with openssl, for
// tests of servers that speak TLS (skipped where openssl is absent).
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const opensslSkipReason: string | undefined =
  spawnSync('openssl', ['version'], { encoding: 'utf8' }).status === 0
    ? undefined
    : 'openssl is not on PATH (Debian: apt-get install openssl)';

export type TestCertificates = {
  /** The CA's certificate, PEM (what a client trusts), and its file. */
  caPem: string;
  caFile: string;
  /** The server's certificate (for 127.0.0.1, ::1 and localhost) and its private key, PEM files. */
  certFile: string;
  keyFile: string;
};

function openssl(args: string[]): void {
  const run = spawnSync('openssl', args, { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`openssl ${args[0]}: ${run.stderr}`);
}

/** Writes a CA and a server certificate it signed (valid one day) into `dir`. */
export function makeTestCertificates(dir: string): TestCertificates {
  const file = (name: string) => join(dir, name);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl(
    ['req', '-x509', ...ec, '-keyout', file('ca.key'), '-out', file('ca.pem')].concat([
      '-days',
      '1',
      '-subj',
      '/CN=paddock-test-ca',
    ]),
  );
  openssl(
    ['req', ...ec, '-keyout', file('server.key'), '-out', file('server.csr')].concat([
      '-subj',
      '/CN=paddock-test',
    ]),
  );
  writeFileSync(file('server.ext'), 'subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost\n');
  openssl(
    ['x509', '-req', '-in', file('server.csr'), '-CA', file('ca.pem')]
      .concat(['-CAkey', file('ca.key'), '-CAcreateserial', '-days', '1'])
      .concat(['-extfile', file('server.ext'), '-out', file('server.pem')]),
  );
  return {
    caPem: readFileSync(file('ca.pem'), 'utf8'),
    caFile: file('ca.pem'),
    certFile: file('server.pem'),
    keyFile: file('server.key'),
  };
}
