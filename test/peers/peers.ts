/**
 * The local peers every integration test uses, all on 127.0.0.1 and stopped by the test:
 * moto_server (STS), a verifying STS front in front of it (sts-front.py), a fake kube-apiserver
 * (kube-api.ts), plus helpers for kubeconfigs, pinned kubectl binaries and clean child environments.
 *
 * Typical use, one set of peers per test file (startup ≈ 1 s, the time moto takes to import):
 *
 *   const PEERS: PeerName[] = ['moto_server', 'aws', 'openssl', 'botocore'];
 *   let peers: Peers | undefined;
 *   before(async () => { if (peersAvailable(PEERS)) peers = await startPeers({ staticKeys }); });
 *   after(() => peers?.stop());
 *   test('…', async (t) => { if (!requirePeer(t, ...PEERS)) return; … });
 *
 * Child servers run in their own process groups under a guard that kills them when this process
 * ends, however it ends.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { httpsRequest } from './https-request';
import { startKubeApi, type ConfigMapFixture, type KubeAccessEntry, type KubeApi } from './kube-api';
import { freePort, startProcess, type CleanupContext } from './processes';
import { makeTlsCert, type TlsCert } from './tls';

export {
  startKubeApi,
  checkTokenUrl,
  type KubeApi,
  type AuthOutcome,
  type ConfigMapFixture,
  type KubeAccessEntry,
} from './kube-api';
export { startEksApi, type EksApi, type PeerCluster, type PeerAccessEntry } from './eks-api';
export { makeTlsCert, type TlsCert } from './tls';
export { httpsRequest, type HttpsResponse } from './https-request';
export { runCommand, type CommandResult, type CleanupContext } from './processes';

/** Directory of the pinned kubectl binaries (google-cloud-sdk's kubectl package). */
export const KUBECTL_DIR = '/usr/lib/google-cloud-sdk/bin';

/** A command the tests need. `botocore` is the Python module the STS front imports. */
export type PeerName = 'moto_server' | 'aws' | 'faketime' | 'openssl' | 'python3' | 'botocore' | `kubectl.1.${number}`;

const INSTALL: Record<string, string> = {
  moto_server: "pip install 'moto[server]'",
  aws: 'pip install awscli (AWS CLI v1)',
  faketime: 'apt-get install faketime',
  openssl: 'apt-get install openssl',
  python3: 'apt-get install python3',
  botocore: 'pip install botocore (comes with the AWS CLI v1)',
};

const availability = new Map<string, boolean>();

function onPath(command: string): boolean {
  return (process.env.PATH ?? '').split(delimiter).some((dir) => {
    try {
      accessSync(join(dir, command), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** Whether a peer is installed. Cached per process. */
export function peerAvailable(name: PeerName): boolean {
  let found = availability.get(name);
  if (found === undefined) {
    if (name.startsWith('kubectl.')) found = existsSync(join(KUBECTL_DIR, name));
    else if (name === 'botocore')
      found = onPath('python3') && spawnSync('python3', ['-c', 'import botocore.auth']).status === 0;
    else found = onPath(name);
    availability.set(name, found);
  }
  return found;
}

/** Whether all the named peers are installed. */
export function peersAvailable(names: readonly PeerName[]): boolean {
  return names.every(peerAvailable);
}

/**
 * True when every named peer is installed. Otherwise: outside CI, skips the test with what to install
 * and returns false; with CI=true, throws, so a CI machine missing a peer fails instead of passing.
 */
export function requirePeer(t: { skip(message?: string): void }, ...names: PeerName[]): boolean {
  const missing = names.filter((name) => !peerAvailable(name));
  if (missing.length === 0) return true;
  const message = missing
    .map(
      (name) => `${name} is missing, install: ${INSTALL[name] ?? `google-cloud-sdk kubectl (${KUBECTL_DIR}/${name})`}`,
    )
    .join('; ');
  if (process.env.CI === 'true') throw new Error(message);
  t.skip(message);
  return false;
}

/** The pinned kubectl binary for 1.<minor>; throws when it is not installed. */
export function kubectlPath(minor: number): string {
  const path = join(KUBECTL_DIR, `kubectl.1.${minor}`);
  if (!existsSync(path)) throw new Error(`${path} is missing, install google-cloud-sdk's kubectl component`);
  return path;
}

function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `eks-auth-${prefix}-`));
}

/** Environment for the peer servers themselves: no AWS_* or CA settings from the machine. */
function serverEnv(): NodeJS.ProcessEnv {
  return cleanAwsEnv();
}

export interface Moto {
  /** `http://127.0.0.1:PORT` */
  url: string;
  stop(): Promise<void>;
}

/** Starts `moto_server -H 127.0.0.1 -p <port, default a free one>` and waits until it accepts connections. */
export async function startMoto(options: { port?: number; t?: CleanupContext } = {}): Promise<Moto> {
  const port = options.port ?? (await freePort());
  const proc = startProcess('moto_server', 'moto_server', ['-H', '127.0.0.1', '-p', String(port)], serverEnv());
  options.t?.after(() => proc.stop());
  try {
    await proc.waitForPort(port, 30_000);
  } catch (err) {
    await proc.stop();
    throw err;
  }
  return { url: `http://127.0.0.1:${port}`, stop: () => proc.stop() };
}

/** Static IAM keys the STS front knows: AKID -> secret and the identity GetCallerIdentity answers. */
export type StaticKeys = Record<string, { secret: string; arn: string; userId?: string }>;

/** One request as the STS front logged it; every field is present, null when not applicable. No secrets. */
export interface StsCall {
  method: 'GET' | 'POST';
  action: string | null;
  /** AssumeRole*: the RoleArn asked for. */
  roleArn: string | null;
  /** Presigned GET: the x-k8s-aws-id header the verifier sent. */
  cluster: string | null;
  /** The access key that signed the request (unsigned AssumeRoleWithWebIdentity: null). */
  akid: string | null;
  ok: boolean;
  /**
   * Why it was refused: unknown-akid, signature-mismatch, expired, future-date, session-token-missing,
   * session-token-mismatch, unsigned, unsigned-header-missing, host-not-signed, wrong-service,
   * wrong-action, wrong-algorithm, duplicate-parameter, malformed-date, malformed-credential,
   * injected-<kind>, moto-<status>.
   */
  reason: string | null;
  /** GetCallerIdentity (presigned or signed): the identity answered. */
  arn: string | null;
  /** AssumeRole* / GetSessionToken: the AccessKeyId moto issued. */
  issuedAkid: string | null;
}

export type FailureKind = 'throttle' | 'error' | 'denied';

export interface StsFront {
  /** `https://127.0.0.1:PORT`: use as AWS_ENDPOINT_URL_STS. */
  url: string;
  caFile: string;
  caPem: string;
  logFile: string;
  /** Every request so far, oldest first. */
  calls(): StsCall[];
  /**
   * The next `count` (default 1) calls of `action` fail with `kind` (throttle: 400 Throttling;
   * error: 500 InternalFailure; denied: 403 AccessDenied); with `roleArn`, only calls for that role.
   */
  failNext(action: string, kind: FailureKind, options?: { count?: number; roleArn?: string }): Promise<void>;
  stop(): Promise<void>;
}

export interface StsFrontOptions {
  motoUrl: string;
  staticKeys?: StaticKeys;
  /** The serving certificate; a new one when omitted. */
  tls?: TlsCert;
  t?: CleanupContext;
}

/** Starts the verifying STS front (sts-front.py) on a free port of 127.0.0.1. */
export async function startStsFront(options: StsFrontOptions): Promise<StsFront> {
  const dir = tempDir('sts-front');
  const tls = options.tls ?? makeTlsCert(dir);
  const keysFile = join(dir, 'keys.json');
  const logFile = join(dir, 'sts-calls.jsonl');
  const caFile = join(dir, 'sts-ca.pem');
  writeFileSync(keysFile, JSON.stringify(options.staticKeys ?? {}), { mode: 0o600 });
  writeFileSync(logFile, '');
  writeFileSync(caFile, tls.certPem);
  const script = join(__dirname, 'sts-front.py');
  const args = [
    script,
    '--moto',
    options.motoUrl,
    '--cert',
    tls.certFile,
    '--key',
    tls.keyFile,
    '--keys',
    keysFile,
    '--log',
    logFile,
  ];
  const proc = startProcess('sts-front.py', 'python3', args, serverEnv());
  const stop = async () => {
    await proc.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  options.t?.after(stop);
  let port: number;
  try {
    port = (JSON.parse(await proc.firstLine(20_000)) as { port: number }).port;
  } catch (err) {
    await stop();
    throw err;
  }
  const url = `https://127.0.0.1:${port}`;
  return {
    url,
    caFile,
    caPem: tls.certPem,
    logFile,
    calls: () =>
      readFileSync(logFile, 'utf8')
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as StsCall),
    async failNext(action, kind, { count = 1, roleArn }: { count?: number; roleArn?: string } = {}) {
      const res = await httpsRequest(`${url}/_peer/fail`, {
        method: 'POST',
        ca: tls.certPem,
        body: JSON.stringify({ action, kind, count, roleArn }),
      });
      if (res.status !== 200) throw new Error(`sts-front refused the failure injection: ${res.status}`);
    },
    stop,
  };
}

export interface Peers {
  moto: Moto;
  sts: StsFront;
  kube: KubeApi;
  /** The one certificate both HTTPS peers serve; trust `caFile` / `caPem`. */
  tls: TlsCert;
  /** CA file trusted for both the STS front and the kube-api. */
  caFile: string;
  /** A temp dir for the test's own files (kubeconfigs, AWS config), removed by stop(). */
  dir: string;
  stop(): Promise<void>;
}

export interface StartPeersOptions {
  /** What the kube-api expects in x-k8s-aws-id; default `demo`. */
  clusterId?: string;
  staticKeys?: StaticKeys;
  configMaps?: Record<string, ConfigMapFixture>;
  /** The kube-api maps callers by these access entries (mode API). */
  accessEntries?: KubeAccessEntry[];
  t?: CleanupContext;
}

/** Starts moto, the STS front and the kube-api together (moto and the front in parallel). */
export async function startPeers(options: StartPeersOptions = {}): Promise<Peers> {
  const dir = tempDir('peers');
  const tls = makeTlsCert(dir);
  const caFile = join(dir, 'ca.pem');
  writeFileSync(caFile, tls.certPem);
  const started: { stop(): Promise<void> }[] = [];
  const stopAll = async () => {
    await Promise.all(started.map((peer) => peer.stop()));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    // The front needs moto's URL only per request, so both start at once: startup ≈ moto's import time.
    const motoPort = await freePort();
    const [moto, sts] = await Promise.all([
      startMoto({ port: motoPort }).then((m) => {
        started.push(m);
        return m;
      }),
      startStsFront({ motoUrl: `http://127.0.0.1:${motoPort}`, staticKeys: options.staticKeys, tls }).then((s) => {
        started.push(s);
        return s;
      }),
    ]);
    const kube = await startKubeApi({
      clusterId: options.clusterId ?? 'demo',
      stsUrl: sts.url,
      caPem: tls.certPem,
      tls,
      configMaps: options.configMaps,
      ...(options.accessEntries ? { accessEntries: options.accessEntries } : {}),
    });
    started.push(kube);
    const peers: Peers = { moto, sts, kube, tls, caFile, dir, stop: stopAll };
    options.t?.after(stopAll);
    return peers;
  } catch (err) {
    await stopAll();
    throw err;
  }
}

export interface ExecConfig {
  apiVersion: string;
  command: string;
  args?: string[];
  env?: Record<string, string>;
  interactiveMode?: 'Never' | 'IfAvailable' | 'Always';
  provideClusterInfo?: boolean;
}

export interface KubeconfigOptions {
  server: string;
  /** base64 CA PEM (certificate-authority-data). */
  caData: string;
  exec: ExecConfig;
  /** Cluster, user and context name; default `peers`. */
  name?: string;
}

/** Writes a one-context kubeconfig (JSON, which kubectl reads as YAML) with mode 0600. */
export function writeKubeconfig(path: string, options: KubeconfigOptions): void {
  const name = options.name ?? 'peers';
  const { env, ...exec } = options.exec;
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name, cluster: { server: options.server, 'certificate-authority-data': options.caData } }],
    users: [
      {
        name,
        user: {
          exec: {
            ...exec,
            ...(env ? { env: Object.entries(env).map(([key, value]) => ({ name: key, value })) } : {}),
          },
        },
      },
    ],
    contexts: [{ name, context: { cluster: name, user: name } }],
    'current-context': name,
  };
  writeFileSync(path, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
}

export interface CleanAwsEnvOptions {
  /** AWS_CONFIG_FILE; default a path that does not exist (an empty config). */
  configFile?: string;
  /** AWS_SHARED_CREDENTIALS_FILE; default a path that does not exist. */
  credentialsFile?: string;
  /** CA to trust: becomes NODE_EXTRA_CA_CERTS (Node) and AWS_CA_BUNDLE (AWS CLI). */
  caFile?: string;
  /** HOME for the child; default an empty temp dir, so ~/.aws, ~/.kube and CLI caches never leak in. */
  home?: string;
  /** Added last; a value of undefined removes the key. */
  env?: Record<string, string | undefined>;
}

const KEPT_FROM_PROCESS = ['PATH', 'LANG', 'LC_ALL', 'TMPDIR', 'PYENV_ROOT', 'PYENV_VERSION', 'SYSTEMROOT'];

let sharedHome: string | undefined;
function emptyHome(): string {
  if (sharedHome === undefined) {
    const home = tempDir('home');
    sharedHome = home;
    process.on('exit', () => rmSync(home, { recursive: true, force: true }));
  }
  return sharedHome;
}

/**
 * An environment for child processes (aws, kubectl, eks-auth): PATH and locale from this process,
 * nothing else. No AWS_* leaks in from the machine, AWS config files point where the test says, and
 * the instance metadata service is off (it would only slow a credential-less run down).
 */
export function cleanAwsEnv(options: CleanAwsEnvOptions = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const key of KEPT_FROM_PROCESS) {
    const value = process.env[key];
    if (value !== undefined) env[key] = value;
  }
  const home = options.home ?? emptyHome();
  env.HOME = home;
  env.AWS_CONFIG_FILE = options.configFile ?? join(home, 'no-aws-config');
  env.AWS_SHARED_CREDENTIALS_FILE = options.credentialsFile ?? join(home, 'no-aws-credentials');
  env.AWS_EC2_METADATA_DISABLED = 'true';
  if (options.caFile !== undefined) {
    env.NODE_EXTRA_CA_CERTS = options.caFile;
    env.AWS_CA_BUNDLE = options.caFile;
  }
  for (const [key, value] of Object.entries(options.env ?? {})) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  return env;
}
