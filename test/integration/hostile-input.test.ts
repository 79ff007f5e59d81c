/**
 * The built eks-auth given hostile or unbounded input: terminal escape sequences in an aws-auth
 * ConfigMap, stdin that never ends, files that are FIFOs or too large. Each case hung, read without
 * bound, or passed escape sequences to the terminal before.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { ensureBuilt, runEksAuth } from '../helpers/built-cli';

const dir = mkdtempSync(join(tmpdir(), 'eks-auth-hostile-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir };

// A ConfigMap as kubectl get -o json prints it; JSON carries the escape sequences as \u001b.
const TITLE = '\u001b]0;owned\u0007';
const CLEAR = '\u001b[2J';
const hostile = JSON.stringify({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: `aws-auth${TITLE}`, namespace: `kube-system${CLEAR}` },
  data: {
    mapRoles: '- rolearn: arn:aws:iam::111122223333:role/ops\n  username: ops\n  groups: [system:masters]\n',
    [`mapRole${CLEAR}s`]: '',
  },
});

/** util-linux `script`: runs a command on a pseudo-terminal, so stdout is a terminal. */
function scriptAvailable(t: { skip(m?: string): void }): boolean {
  if (spawnSync('script', ['--version']).status === 0) return true;
  if (process.env.CI === 'true')
    throw new Error('CI=true and util-linux script is missing (scripts/setup installs it)');
  t.skip('util-linux script is missing');
  return false;
}

function onTerminal(args: string[]): Promise<string> {
  const quote = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;
  const line = [process.execPath, ensureBuilt(), ...args].map(quote).join(' ');
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qec', line, '/dev/null'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString('utf8');
    });
    child.on('error', reject);
    child.on('close', () => resolve(out));
  });
}

describe('hostile input to the built eks-auth', () => {
  test('aws-auth check: escape sequences from the ConfigMap never reach the terminal', async (t) => {
    if (!scriptAvailable(t)) return;
    const file = join(dir, 'hostile.json');
    writeFileSync(file, hostile);
    const shown = await onTerminal(['aws-auth', 'check', file]);
    assert.match(shown, /configmap-name|EKS reads only kube-system\/aws-auth/);
    assert.ok(!shown.includes('\u001b]0;') && !shown.includes('\u001b[2J'), JSON.stringify(shown));
    assert.match(shown, /\\u001b\]0;owned\\u0007/, 'shown as text instead');
  });

  test('aws-auth check: piped output keeps the bytes; stderr is neutralised even when piped', async () => {
    const file = join(dir, 'hostile.json');
    writeFileSync(file, hostile);
    const r = await runEksAuth(['aws-auth', 'check', file], env);
    assert.ok(r.stdout.includes(TITLE), 'a file or pipe gets the findings as they are');
    assert.ok(!r.stderr.includes('\u001b'), JSON.stringify(r.stderr));
    const explained = await runEksAuth(
      ['explain', '--aws-auth', file, '--arn', 'arn:aws:iam::111122223333:role/\u001b[2Jops'],
      env,
    );
    assert.ok(!explained.stderr.includes('\u001b'), JSON.stringify(explained.stderr));
  });

  test('aws-auth check - reads stdin', async () => {
    const r = await runEksAuth(['aws-auth', 'check', '-'], env, {
      input: 'data:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/a/b/ops\n      username: ops\n',
    });
    assert.equal(r.code, 8, r.stderr);
    assert.match(r.stdout, /^<stdin>:3: error: mapRoles entry 1: .* has a path/m);
  });

  test('verify - refuses endless stdin instead of reading it without bound', async () => {
    const r = await new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
      const child = spawn(process.execPath, [ensureBuilt(), 'verify', '-', '--cluster', 'demo'], {
        env,
        stdio: ['pipe', 'ignore', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
      });
      child.stdin.on('error', () => {});
      const chunk = Buffer.alloc(64 * 1024, 0x41);
      const pump = () => {
        while (!child.stdin.destroyed && child.stdin.write(chunk)) {}
      };
      child.stdin.on('drain', pump);
      pump();
      // Before the bound this never ended: give up after a minute instead of hanging the suite.
      const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
      child.on('error', reject);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code, stderr });
      });
    });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /larger than 1048576 bytes/);
  });

  test('a FIFO or an oversized file as the aws-auth file is refused, not waited on or read whole', async () => {
    const fifo = join(dir, 'fifo');
    spawnSync('mkfifo', [fifo]);
    const r = await runEksAuth(['aws-auth', 'check', fifo], env, { timeoutMs: 20_000 });
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /not a regular file/);
    const big = join(dir, 'big.yaml');
    writeFileSync(big, Buffer.alloc(16 * 1024 * 1024 + 1, 0x23));
    const large = await runEksAuth(['explain', '--aws-auth', big, '--arn', 'arn:aws:iam::111122223333:role/ops'], env);
    assert.equal(large.code, 3, large.stderr);
    assert.match(large.stderr, /more than the 16777216 eks-auth reads/);
  });
});
