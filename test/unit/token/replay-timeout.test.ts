import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { DEFAULT_HTTP } from '../../../src/aws/http';
import { createHttpsGet } from '../../../src/token/replay';
import { makeTlsCert } from '../../peers/tls';
import { requirePeer } from '../../peers/peers';

test('the STS call ends at its deadline even when the server keeps trickling bytes', { timeout: 10_000 }, async (t) => {
  if (!requirePeer(t, 'openssl')) return;
  const dir = mkdtempSync(join(tmpdir(), 'eks-auth-replay-'));
  const tls = makeTlsCert(dir);
  // An HTTPS server on 127.0.0.1 that sends a byte every 50 ms and never finishes: the socket never
  // idles long enough for an idle timeout, so only an overall deadline can end the call.
  const server = createServer({ key: tls.keyPem, cert: tls.certPem }, (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    const timer = setInterval(() => res.write(' '), 50);
    res.on('close', () => clearInterval(timer));
  });
  // Cleanup in an after hook: it runs even if a regression makes the call hang until the test's timeout.
  t.after(() => {
    server.closeAllConnections();
    server.close();
    rmSync(dir, { recursive: true, force: true });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const get = createHttpsGet({ ...DEFAULT_HTTP, proxy: {}, extraCaPem: tls.certPem, rejectUnauthorized: true });
  const started = Date.now();
  await assert.rejects(
    get(`https://127.0.0.1:${port}/`, {}, { timeoutMs: 400, maxBytes: 1 << 20 }),
    new RegExp(`^EksAuthError: no answer from https://127\\.0\\.0\\.1:${port}: the 0\\.4 s overall call deadline passed$`),
  );
  assert.ok(Date.now() - started < 3000, `took ${Date.now() - started} ms`);
});
