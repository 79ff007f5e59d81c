/**
 * MFA profiles with the built eks-auth against moto behind the verifying STS front: no prompt and a
 * `login` hint when kubectl says the session is not interactive; a prompt on a real pseudo-terminal
 * (util-linux `script`) answered with a code; and then every non-interactive call served from the
 * cached MFA session, without a prompt and without another AssumeRole. Once for the JavaScript
 * bundle on Node.js and once for the standalone binary (npm run build:binary), whose prompt is
 * Bun's terminal handling.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import { cleanAwsEnv, requirePeer, runCommand, type CommandResult, type PeerName } from '../peers/peers';
import { REPO_ROOT } from '../helpers/built-cli';
import { useStsWorkspace } from '../helpers/sts-workspace';

const PEERS: PeerName[] = ['moto_server', 'python3', 'botocore', 'openssl'];
// Made-up static keys the STS front knows (account 111111111111).
const BASE = {
  akid: 'AKIAEKSAUTHMFATEST01',
  secret: 'mfa/base+secret=abcdefghijklmnopqrstuvwx',
  arn: 'arn:aws:iam::111111111111:user/base',
};
const MFA_ROLE = 'arn:aws:iam::222222222222:role/needs-mfa';
const MFA_SERIAL = 'arn:aws:iam::111111111111:mfa/base';
const CONFIG = `[profile base]
aws_access_key_id = ${BASE.akid}
aws_secret_access_key = ${BASE.secret}

[profile secure]
role_arn = ${MFA_ROLE}
source_profile = base
mfa_serial = ${MFA_SERIAL}
`;
const NOT_INTERACTIVE =
  '{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","spec":{"interactive":false}}';

/** util-linux `script`, which runs a command on a pseudo-terminal. Skipped outside CI when missing, a failure in CI. */
function requireScript(t: TestContext): boolean {
  if (spawnSync('script', ['--version']).status === 0) return true;
  const message = 'script is missing, install: apt-get install bsdutils (util-linux script)';
  if (process.env.CI === 'true') throw new Error(message);
  t.skip(message);
  return false;
}

/**
 * Runs `command` on a pseudo-terminal, types `answer` and Enter once `prompt` appears, and
 * resolves with everything the terminal showed (prompt, echo and output, with CR LF line ends).
 * With `typing`, the person takes `delayMs` to type, and `onPrompt` runs as the prompt appears.
 */
function runOnTerminal(
  command: string[],
  env: NodeJS.ProcessEnv,
  prompt: RegExp,
  answer: string,
  typing: { delayMs: number; onPrompt: () => void } = { delayMs: 0, onPrompt: () => {} },
): Promise<CommandResult & { prompted: boolean }> {
  const line = command.map((arg) => `'${arg.replaceAll("'", "'\\''")}'`).join(' ');
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qec', line, '/dev/null'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let prompted = false;
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      if (!prompted && prompt.test(stdout)) {
        prompted = true;
        typing.onPrompt();
        setTimeout(() => child.stdin.write(`${answer}\r`), typing.delayMs);
      }
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, prompted });
    });
  });
}

const BINARY = join(
  REPO_ROOT,
  'build',
  `eks-auth-${process.platform === 'win32' ? 'windows' : process.platform}-${process.arch}`,
);

for (const flavour of ['JavaScript bundle', 'binary'] as const)
  describe(`MFA profiles (${flavour})`, () => {
    const ws = useStsWorkspace({ prefix: 'eks-auth-mfa-it-', config: CONFIG, base: BASE, peers: PEERS });
    /** How each test starts eks-auth: node and the workspace's copy of the bundle, or the binary. */
    const launch = (): string[] => (flavour === 'binary' ? [BINARY] : [process.execPath, ws.bin]);

    /** The binary flavour needs build/eks-auth-<os>-<arch>: skipped outside CI when missing, a failure in CI. */
    function requireBinary(t: TestContext): boolean {
      if (flavour !== 'binary' || existsSync(BINARY)) return true;
      const message = `${BINARY} is not built: run \`npm run build:binary\` first`;
      if (process.env.CI === 'true') throw new Error(message);
      t.skip(message);
      return false;
    }

    /** Each test gets its own cache directory. */
    function env(cacheName: string, extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
      const f = ws.front;
      return cleanAwsEnv({
        configFile: ws.configFile,
        caFile: f.caFile,
        env: {
          AWS_ENDPOINT_URL_STS: f.url,
          AWS_REGION: 'us-east-1',
          KUBECACHEDIR: join(ws.dir, cacheName),
          TERM: 'dumb',
          ...extra,
        },
      });
    }

    const mfaAssumes = () =>
      ws.front.calls().filter((c) => c.method === 'POST' && c.action === 'AssumeRole' && c.roleArn === MFA_ROLE);

    /** What the front logged of the MFA fields, when it logs them (older fronts do not). */
    function assertMfaSent(call: Record<string, unknown> | undefined): void {
      assert.ok(call?.ok, 'the MFA AssumeRole succeeded');
      if ('serialNumber' in call) assert.equal(call.serialNumber, MFA_SERIAL);
      if ('tokenCode' in call) assert.equal(call.tokenCode, '123456');
    }

    function nonInteractiveToken(cacheName: string, cluster: string): Promise<CommandResult> {
      // stdin is a pipe and kubectl says interactive: false, as for kubectl run from a script.
      return runCommand(
        launch()[0] as string,
        [...launch().slice(1), 'token', '--cluster', cluster, '--profile', 'secure'],
        {
          env: env(cacheName, { KUBERNETES_EXEC_INFO: NOT_INTERACTIVE }),
        },
      );
    }

    test('not interactive and nothing cached: exit 4, the login hint, no prompt and no AssumeRole', async (t) => {
      if (!requirePeer(t, ...PEERS) || !requireBinary(t)) return;
      const before = mfaAssumes().length;
      const run = await nonInteractiveToken('cold', 'demo');
      assert.equal(run.code, 4);
      assert.equal(run.stdout, '');
      assert.match(
        run.stderr,
        /^error: profile "secure" needs an MFA code \(mfa_serial arn:aws:iam::111111111111:mfa\/base\) but this session is not interactive$/m,
      );
      assert.match(
        run.stderr,
        /^hint: run `eks-auth login --profile secure` in a terminal once; the MFA session is then cached until it expires$/m,
      );
      assert.doesNotMatch(run.stderr, /Enter MFA code/);
      assert.equal(mfaAssumes().length, before);
    });

    test('on a terminal, token prompts on stderr; the code is sent; later non-interactive calls reuse the session', async (t) => {
      if (!requirePeer(t, ...PEERS) || !requireBinary(t) || !requireScript(t)) return;
      const before = mfaAssumes().length;
      const run = await runOnTerminal(
        [...launch(), 'token', '--cluster', 'demo', '--profile', 'secure'],
        env('token-tty'),
        /Enter MFA code for arn:aws:iam::111111111111:mfa\/base: /,
        '123456',
      );
      assert.ok(run.prompted, `no prompt appeared: ${run.stdout}`);
      assert.equal(run.code, 0, run.stdout);
      const credential = /\{"kind":"ExecCredential".*\}/.exec(run.stdout);
      assert.ok(credential, `no ExecCredential in: ${run.stdout}`);
      assert.match((JSON.parse(credential[0]) as { status: { token: string } }).status.token, /^k8s-aws-v1\./);
      assert.equal(mfaAssumes().length, before + 1);
      assertMfaSent(mfaAssumes().at(-1) as unknown as Record<string, unknown>);

      // kubectl from a script, for another cluster: no token to reuse, but the MFA session is.
      const later = await nonInteractiveToken('token-tty', 'other');
      assert.equal(later.code, 0, later.stderr);
      assert.doesNotMatch(later.stderr, /MFA/);
      assert.equal(mfaAssumes().length, before + 1);
    });

    test('`eks-auth login` on a terminal asks once; then kubectl-style calls need neither a prompt nor STS for the MFA hop', async (t) => {
      if (!requirePeer(t, ...PEERS) || !requireBinary(t) || !requireScript(t)) return;
      const before = mfaAssumes().length;
      const run = await runOnTerminal(
        [...launch(), 'login', '--profile', 'secure'],
        env('login'),
        /Enter MFA code for .*: /,
        '123456',
      );
      assert.ok(run.prompted, `no prompt appeared: ${run.stdout}`);
      assert.equal(run.code, 0, run.stdout);
      assert.match(
        run.stdout,
        /profile "secure": the session of arn:aws:iam::222222222222:role\/needs-mfa is cached until \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ/,
      );
      assert.equal(mfaAssumes().length, before + 1);
      assertMfaSent(mfaAssumes().at(-1) as unknown as Record<string, unknown>);

      const runs = await Promise.all(['a', 'b', 'c'].map((cluster) => nonInteractiveToken('login', cluster)));
      for (const r of runs) assert.equal(r.code, 0, r.stderr);
      assert.equal(mfaAssumes().length, before + 1);

      // whoami (stdin a pipe: no prompt possible) uses the same cached session ...
      const who = await runCommand(
        launch()[0] as string,
        [...launch().slice(1), 'whoami', '--profile', 'secure', '--json'],
        { env: env('login') },
      );
      assert.equal(who.code, 0, who.stderr);
      assert.equal((JSON.parse(who.stdout) as { canonicalArn: string }).canonicalArn, MFA_ROLE);
      assert.equal(mfaAssumes().length, before + 1);
      // ... and without the cache it would need a code that nobody can type.
      const uncached = await runCommand(
        launch()[0] as string,
        [...launch().slice(1), 'whoami', '--profile', 'secure', '--no-cache'],
        { env: env('login') },
      );
      assert.equal(uncached.code, 4);
      assert.match(uncached.stderr, /needs an MFA code/);
      assert.equal(mfaAssumes().length, before + 1);
    });

    test('while one call waits at the prompt past the 10 s lock bound, a concurrent kubectl-style call waits for its session', async (t) => {
      if (!requirePeer(t, ...PEERS) || !requireScript(t)) return;
      const before = mfaAssumes().length;
      let background: Promise<CommandResult> | undefined;
      // The person types the code 13 s after the prompt appears: longer than the lock's 10 s bound,
      // after which the lock used to be broken and the waiting call failed for want of a terminal.
      const run = await runOnTerminal(
        [process.execPath, ws.bin, 'token', '--cluster', 'demo', '--profile', 'secure'],
        env('slow-typist'),
        /Enter MFA code/,
        '123456',
        {
          delayMs: 13_000,
          onPrompt: () => {
            background = nonInteractiveToken('slow-typist', 'other');
          },
        },
      );
      assert.equal(run.code, 0, run.stdout);
      const waited = await (background as Promise<CommandResult>);
      assert.equal(waited.code, 0, waited.stderr);
      assert.match(waited.stdout, /"token":"k8s-aws-v1\./);
      assert.equal(mfaAssumes().length, before + 1, 'one AssumeRole with a code, made by the call at the prompt');
    });

    test('a wrong-format code typed on the terminal fails with exit 4 before any STS call', async (t) => {
      if (!requirePeer(t, ...PEERS) || !requireBinary(t) || !requireScript(t)) return;
      const before = mfaAssumes().length;
      const run = await runOnTerminal(
        [...launch(), 'token', '--cluster', 'demo', '--profile', 'secure'],
        env('bad-code'),
        /Enter MFA code/,
        '12ab',
      );
      assert.equal(run.code, 4);
      assert.match(run.stdout, /error: .*must be 6 digits/);
      assert.equal(mfaAssumes().length, before);
    });
  });
