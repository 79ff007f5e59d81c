import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { createSdkSourcesPort } from '../../../src/aws/sdk-sources';

const SECRET = 'PROCESSSECRETKEY0123456789';
// credential_process reads neither: only container credentials do.
const NO_IO = { env: {}, files: { readText: () => undefined } };

describe('SDK credential sources', () => {
  const dir = mkdtempSync(join(tmpdir(), 'eks-auth-sdk-sources-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** A credential_process command printing `output`. */
  function processProfile(output: object): string {
    const script = join(dir, 'process.sh');
    writeFileSync(script, `#!/bin/sh\ncat <<'JSON'\n${JSON.stringify(output)}\nJSON\n`);
    chmodSync(script, 0o700);
    return script;
  }

  test('refuses a credential_process Expiration that is not a time, naming the field and not the secret', async () => {
    const files = processProfile({
      Version: 1,
      AccessKeyId: 'AKIDEXAMPLE',
      SecretAccessKey: SECRET,
      Expiration: 'not-a-date',
    });
    const err = await createSdkSourcesPort(NO_IO)
      .fromProcess('p', files)
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    assert.ok(err instanceof Error, 'expected a rejection');
    assert.match(err.message, /Expiration/);
    assert.ok(!err.message.includes(SECRET));
  });

  test('passes a valid credential_process answer through with its expiry', async () => {
    const files = processProfile({
      Version: 1,
      AccessKeyId: 'AKIDEXAMPLE',
      SecretAccessKey: SECRET,
      Expiration: '2999-01-01T00:00:00Z',
    });
    const credentials = await createSdkSourcesPort(NO_IO).fromProcess('p', files);
    assert.equal(credentials.accessKeyId, 'AKIDEXAMPLE');
    assert.equal(credentials.expiration?.toISOString(), '2999-01-01T00:00:00.000Z');
  });
});
