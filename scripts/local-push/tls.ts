// Throwaway self-signed certificates for local HTTPS stand-ins of push
// services. The CA file is what the dispatcher is told to trust.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import selfsigned from 'selfsigned';

export interface LocalTls {
  key: string;
  cert: string;
  caFile: string;
}

/** A certificate for 127.0.0.1 and localhost, plus any extra host names (for a stand-in of a named service). */
export function createLocalTls(hostNames: string[] = []): LocalTls {
  const pems = selfsigned.generate([{ name: 'commonName', value: hostNames[0] ?? '127.0.0.1' }], {
    days: 2,
    keySize: 2048,
    algorithm: 'sha256',
    extensions: [
      { name: 'basicConstraints', cA: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 7, ip: '127.0.0.1' },
          { type: 2, value: 'localhost' },
          ...hostNames.map((value) => ({ type: 2, value })),
        ],
      },
    ],
  });
  const caFile = join(mkdtempSync(join(tmpdir(), 'nearcast-tls-')), 'ca.pem');
  writeFileSync(caFile, pems.cert);
  return { key: pems.private, cert: pems.cert, caFile };
}
