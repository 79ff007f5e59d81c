/**
 * The HttpSettings of a run, from the environment and the profile, with the AWS CLI's names:
 * HTTPS_PROXY / HTTP_PROXY / NO_PROXY (either case, lower case winning, as Python's urllib reads
 * them for botocore), AWS_CA_BUNDLE over the profile's ca_bundle, and the profile keys
 * cli_connect_timeout, cli_read_timeout and max_attempts (AWS_MAX_ATTEMPTS). Kept apart from
 * http.ts, and free of node:net / node:tls, so that the token path can resolve settings for free.
 */
import { EksAuthError, ExitCode } from '../errors';
import type { Env, FilePort, HttpSettings, Logger, ProxyEnv } from '../ports';

export type { HttpSettings, ProxyEnv } from '../ports';
import type { Profile } from './config';

/**
 * The documented defaults (README "Deadlines and retries"). 3 s connect, 10 s request and 3 attempts
 * as the README has always promised; the TLS handshake gets the connect deadline, as urllib3 (the
 * AWS CLI) bounds the handshake by its connect timeout; a call ends within three request deadlines.
 */
export const DEFAULT_HTTP: Readonly<
  Pick<HttpSettings, 'connectTimeoutMs' | 'tlsTimeoutMs' | 'requestTimeoutMs' | 'callTimeoutMs' | 'maxAttempts'>
> = {
  connectTimeoutMs: 3_000,
  tlsTimeoutMs: 3_000,
  requestTimeoutMs: 10_000,
  callTimeoutMs: 30_000,
  maxAttempts: 3,
};

/** The warning a run gets when NODE_TLS_REJECT_UNAUTHORIZED=0 turns certificate checks off. */
export const UNCHECKED_TLS_WARNING =
  'NODE_TLS_REJECT_UNAUTHORIZED=0 turns certificate checks off for calls to AWS; unset it, and trust a private CA with AWS_CA_BUNDLE instead';

export interface HttpSettingsInput {
  env: Env;
  profile: Profile | undefined;
  files: FilePort;
  homedir: string;
  log: Pick<Logger, 'warn' | 'verbose'>;
  /** verify: certificates are checked whatever NODE_TLS_REJECT_UNAUTHORIZED says. */
  alwaysVerify?: boolean;
}

/** Python's getproxies_environment: the lower-case variable wins, and an empty one means none. */
function proxyVariable(env: Env, name: string): string | undefined {
  const lower = env[name.toLowerCase()];
  if (lower !== undefined) return lower === '' ? undefined : lower;
  const upper = env[name.toUpperCase()];
  return upper === '' ? undefined : upper;
}

/** The proxy variables of an environment. */
export function proxyEnv(env: Env): ProxyEnv {
  const out: ProxyEnv = {};
  const https = proxyVariable(env, 'https_proxy');
  const http = proxyVariable(env, 'http_proxy');
  const noProxy = proxyVariable(env, 'no_proxy');
  if (https) out.https = https;
  if (http) out.http = http;
  if (noProxy) out.noProxy = noProxy;
  return out;
}

function positiveSeconds(value: string, name: string, where: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0) {
    throw new EksAuthError(ExitCode.config, `${name} must be a positive number of seconds, not "${value}"`, {
      hint: `fix ${name} ${where} (e.g. ${name} = 5); eks-auth has no "wait forever"`,
      reason: 'bad-setting',
    });
  }
  return Math.round(n * 1000);
}

function readCaFile(path: string, source: string, input: HttpSettingsInput): string {
  const expanded = path.startsWith('~/') ? `${input.homedir}/${path.slice(2)}` : path;
  let text: string | undefined;
  try {
    text = input.files.readText(expanded);
  } catch (err) {
    throw new EksAuthError(ExitCode.config, `${source} ${path} could not be read: ${(err as Error).message}`, {
      hint: 'point it at a readable PEM file of CA certificates',
      reason: 'bad-ca-bundle',
    });
  }
  if (text === undefined) {
    throw new EksAuthError(ExitCode.config, `${source} names ${path}, which does not exist`, {
      hint: 'point it at a PEM file of CA certificates, or unset it',
      reason: 'bad-ca-bundle',
    });
  }
  if (!text.includes('-----BEGIN CERTIFICATE-----')) {
    throw new EksAuthError(ExitCode.config, `${source} ${path} holds no PEM certificate`, {
      hint: 'it must hold one or more -----BEGIN CERTIFICATE----- blocks',
      reason: 'bad-ca-bundle',
    });
  }
  return text;
}

/** Resolves the settings every call of this run uses. Throws EksAuthError(config) on a bad value. */
export function resolveHttpSettings(input: HttpSettingsInput): HttpSettings {
  const { env, profile } = input;
  const where = profile
    ? `in [${profile.name === 'default' ? 'default' : `profile ${profile.name}`}] of your AWS config`
    : 'in your AWS config';
  const connect = profile?.get('cli_connect_timeout');
  const read = profile?.get('cli_read_timeout');
  const connectMs =
    connect === undefined || connect === ''
      ? DEFAULT_HTTP.connectTimeoutMs
      : positiveSeconds(connect, 'cli_connect_timeout', where);
  const requestMs =
    read === undefined || read === ''
      ? DEFAULT_HTTP.requestTimeoutMs
      : positiveSeconds(read, 'cli_read_timeout', where);

  let maxAttempts: number = DEFAULT_HTTP.maxAttempts;
  const attemptsText = env.AWS_MAX_ATTEMPTS || profile?.get('max_attempts');
  if (attemptsText) {
    const n = Number(attemptsText);
    if (!Number.isInteger(n) || n < 1) {
      throw new EksAuthError(
        ExitCode.config,
        `max_attempts must be a whole number of at least 1, not "${attemptsText}"`,
        {
          hint: `fix AWS_MAX_ATTEMPTS or max_attempts ${where}`,
          reason: 'bad-setting',
        },
      );
    }
    maxAttempts = n;
  }

  const settings: HttpSettings = {
    connectTimeoutMs: connectMs,
    tlsTimeoutMs: connectMs,
    requestTimeoutMs: requestMs,
    // A call ends within three request deadlines, whatever max_attempts says.
    callTimeoutMs: 3 * requestMs,
    maxAttempts,
    proxy: proxyEnv(env),
    rejectUnauthorized: true,
    warn: (message) => input.log.warn(message),
    trace: (message) => input.log.verbose(`http: ${message}`),
  };

  // botocore: AWS_CA_BUNDLE over the profile's ca_bundle. Both add to the default roots, and since
  // a custom list replaces Node's own, NODE_EXTRA_CA_CERTS is added back explicitly.
  const bundle = env.AWS_CA_BUNDLE
    ? { path: env.AWS_CA_BUNDLE, source: 'AWS_CA_BUNDLE' }
    : profile?.get('ca_bundle')
      ? { path: profile.get('ca_bundle') as string, source: `ca_bundle ${where}` }
      : undefined;
  if (bundle) {
    settings.caSource = `${bundle.source} ${bundle.path}`;
    settings.loadExtraCa = () => {
      const pems = [readCaFile(bundle.path, bundle.source, input)];
      if (env.NODE_EXTRA_CA_CERTS) {
        try {
          const extra = input.files.readText(env.NODE_EXTRA_CA_CERTS);
          if (extra) pems.push(extra);
        } catch {
          // Node itself warns about an unreadable NODE_EXTRA_CA_CERTS at startup.
        }
      }
      return pems.join('\n');
    };
  }

  if (env.NODE_TLS_REJECT_UNAUTHORIZED === '0') {
    if (input.alwaysVerify)
      input.log.verbose('NODE_TLS_REJECT_UNAUTHORIZED=0 is ignored: verify always checks certificates');
    else settings.rejectUnauthorized = false;
  }
  return settings;
}
