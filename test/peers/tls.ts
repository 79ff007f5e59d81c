/** A self-signed certificate for the local peers, made with the openssl command. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface TlsCert {
  certFile: string;
  keyFile: string;
  /** The certificate; being self-signed, it is also the CA that clients trust. */
  certPem: string;
  keyPem: string;
}

/** Writes cert.pem and key.pem into `dir`: valid 2 days for 127.0.0.1 and localhost (SAN). */
export function makeTlsCert(dir: string): TlsCert {
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  // P-256 keys generate in milliseconds, unlike RSA; Go, OpenSSL and Node all accept them.
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      keyFile,
      '-out',
      certFile,
      '-days',
      '2',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  return { certFile, keyFile, certPem: readFileSync(certFile, 'utf8'), keyPem: readFileSync(keyFile, 'utf8') };
}
