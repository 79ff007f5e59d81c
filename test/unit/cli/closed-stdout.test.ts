/**
 * A reader that stops early (`eks-auth token … | head -c1`) closes the pipe: the next write to
 * stdout fails with EPIPE. eks-auth then stops writing and exits as it would have (0 here), with
 * nothing on stderr, as ripgrep and other pipe-friendly tools do; it is not "a bug in eks-auth".
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';

const REPO_ROOT = join(__dirname, '..', '..', '..');
const BIN = join(REPO_ROOT, 'src', 'cli', 'bin.ts');

/** Runs eks-auth with its stdout a pipe whose read end is already closed (before the child starts). */
function runWithClosedStdout(
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; signal: string | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', BIN, ...args], {
      cwd: REPO_ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stderr }));
  });
}

describe('a closed stdout', () => {
  test('`token` with environment keys exits 0 and prints nothing on stderr', async () => {
    const env = {
      PATH: process.env.PATH,
      HOME: '/nonexistent-home',
      AWS_CONFIG_FILE: '/nonexistent/config',
      AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/credentials',
      AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
      AWS_REGION: 'us-west-2',
      EKS_AUTH_NO_CACHE: '1',
    };
    const run = await runWithClosedStdout(['token', '--cluster', 'demo'], env);
    assert.equal(run.stderr, '');
    assert.deepEqual([run.code, run.signal], [0, null]);
  });
});
