/**
 * Fakes for the ports in src/ports.ts: a fixed clock, an env object, an in-memory FilePort, a
 * recording logger, and recording STS / SDK-sources ports that hand out distinct credentials per
 * call and remember what they were asked, with which source credentials.
 */
import type {
  AssumeRoleRequest,
  AssumeRoleWithWebIdentityRequest,
  AwsCredentials,
  AwsFileLocations,
  CallerIdentity,
  Deps,
  Env,
  FilePort,
  Logger,
  PromptPort,
  SdkSourcesPort,
  StsEndpoint,
  StsPort,
} from '../../src/ports';

/** The fixed "now" of every test that does not choose its own. */
export const FIXED_NOW = new Date('2026-01-01T00:00:00.000Z');
export const HOME = '/home/tester';
export const CONFIG_PATH = `${HOME}/.aws/config`;
export const CREDENTIALS_PATH = `${HOME}/.aws/credentials`;

/** Removes the common leading indentation of a template literal, so INI fixtures can sit indented in the test. */
export function dedent(text: string): string {
  const lines = text.replace(/^\n/, '').split('\n');
  const indents = lines.filter((l) => l.trim() !== '').map((l) => /^[ \t]*/.exec(l)?.[0].length ?? 0);
  const cut = indents.length > 0 ? Math.min(...indents) : 0;
  return lines.map((l) => l.slice(cut)).join('\n');
}

/** An in-memory file system: path → text. `fail` makes a path throw like an unreadable file. */
export class MemoryFiles implements FilePort {
  readonly texts = new Map<string, string>();
  readonly failures = new Map<string, Error>();
  /** Every path read, in order. */
  readonly reads: string[] = [];

  constructor(initial: Record<string, string> = {}) {
    for (const [path, text] of Object.entries(initial)) this.texts.set(path, text);
  }

  set(path: string, text: string): void {
    this.texts.set(path, text);
  }

  fail(path: string, error: Error): void {
    this.failures.set(path, error);
  }

  readText(path: string): string | undefined {
    this.reads.push(path);
    const failure = this.failures.get(path);
    if (failure) throw failure;
    return this.texts.get(path);
  }
}

/** Records every warning, verbose line and protected value. */
export class RecordingLogger implements Logger {
  readonly warnings: string[] = [];
  readonly verboseLines: string[] = [];
  readonly protectedValues: string[] = [];

  warn(message: string): void {
    this.warnings.push(message);
  }

  verbose(message: string): void {
    this.verboseLines.push(message);
  }

  protect(value: string | undefined): void {
    if (value !== undefined) this.protectedValues.push(value);
  }

  /** Everything that would have reached stderr. */
  messages(): string[] {
    return [...this.warnings, ...this.verboseLines];
  }
}

/** Distinct temporary credentials: `ASIA<PREFIX>00000001`, a secret and a session token naming the issuer and call number. */
export function issuedCredentials(issuer: string, n: number, expiration: Date | undefined): AwsCredentials {
  const serial = String(n).padStart(8, '0');
  return {
    accessKeyId: `ASIA${issuer
      .toUpperCase()
      .replace(/[^A-Z]/g, '')
      .slice(0, 8)}${serial}`,
    secretAccessKey: `${issuer}-secret-${serial}`,
    sessionToken: `${issuer}-session-token-${serial}`,
    ...(expiration ? { expiration } : {}),
  };
}

export type StsCall =
  | {
      op: 'assumeRole';
      request: AssumeRoleRequest;
      source: AwsCredentials;
      endpoint: StsEndpoint;
      issued: AwsCredentials;
    }
  | {
      op: 'assumeRoleWithWebIdentity';
      request: AssumeRoleWithWebIdentityRequest;
      endpoint: StsEndpoint;
      issued: AwsCredentials;
    }
  | { op: 'getCallerIdentity'; source: AwsCredentials; endpoint: StsEndpoint };

/** An STS port that records each call and answers with new credentials (or `failWith`). */
export class RecordingSts implements StsPort {
  readonly calls: StsCall[] = [];
  failWith: Error | undefined;
  /** Expiry of issued credentials; one hour after the clock by default. */
  expiration: Date | undefined;
  /** Overrides the session token of issued credentials (e.g. a 3 KB one). */
  sessionToken: string | undefined;
  /** What getCallerIdentity answers; an IAM user by default. */
  callerIdentity: CallerIdentity = {
    account: '111122223333',
    arn: 'arn:aws:iam::111122223333:user/tester',
    userId: 'AIDATESTER',
  };

  constructor(private readonly now: () => Date) {}

  private issue(): AwsCredentials {
    if (this.failWith) throw this.failWith;
    const issued = issuedCredentials(
      'sts',
      this.calls.length + 1,
      this.expiration ?? new Date(this.now().getTime() + 3600_000),
    );
    if (this.sessionToken !== undefined) issued.sessionToken = this.sessionToken;
    return issued;
  }

  async assumeRole(request: AssumeRoleRequest, source: AwsCredentials, endpoint: StsEndpoint): Promise<AwsCredentials> {
    const issued = this.issue();
    this.calls.push({ op: 'assumeRole', request, source, endpoint, issued });
    return issued;
  }

  async assumeRoleWithWebIdentity(
    request: AssumeRoleWithWebIdentityRequest,
    endpoint: StsEndpoint,
  ): Promise<AwsCredentials> {
    const issued = this.issue();
    this.calls.push({ op: 'assumeRoleWithWebIdentity', request, endpoint, issued });
    return issued;
  }

  async getCallerIdentity(source: AwsCredentials, endpoint: StsEndpoint): Promise<CallerIdentity> {
    this.calls.push({ op: 'getCallerIdentity', source, endpoint });
    return { ...this.callerIdentity };
  }

  assumeRoleCalls(): Extract<StsCall, { op: 'assumeRole' }>[] {
    return this.calls.filter((c): c is Extract<StsCall, { op: 'assumeRole' }> => c.op === 'assumeRole');
  }

  webIdentityCalls(): Extract<StsCall, { op: 'assumeRoleWithWebIdentity' }>[] {
    return this.calls.filter(
      (c): c is Extract<StsCall, { op: 'assumeRoleWithWebIdentity' }> => c.op === 'assumeRoleWithWebIdentity',
    );
  }
}

export type SdkSourceName = 'process' | 'sso' | 'login' | 'container' | 'imds';

export interface SdkSourceCall {
  source: SdkSourceName;
  profile?: string;
  files?: AwsFileLocations;
  /** credential_process only: the command it was asked to run. */
  command?: string;
  issued: AwsCredentials;
}

/** An SDK-sources port that records each call; `failures` makes a source throw. */
export class RecordingSdkSources implements SdkSourcesPort {
  readonly calls: SdkSourceCall[] = [];
  readonly failures = new Map<SdkSourceName, Error>();
  private count = 0;

  constructor(private readonly now: () => Date) {}

  private issue(source: SdkSourceName, profile?: string, files?: AwsFileLocations): AwsCredentials {
    const failure = this.failures.get(source);
    if (failure) throw failure;
    const issued = issuedCredentials(source, ++this.count, new Date(this.now().getTime() + 3600_000));
    this.calls.push({ source, ...(profile !== undefined ? { profile } : {}), ...(files ? { files } : {}), issued });
    return issued;
  }

  async fromProcess(profile: string, command: string): Promise<AwsCredentials> {
    const issued = this.issue('process', profile);
    (this.calls[this.calls.length - 1] as SdkSourceCall).command = command;
    return issued;
  }

  async fromSso(profile: string, files: AwsFileLocations): Promise<AwsCredentials> {
    return this.issue('sso', profile, files);
  }

  async fromLogin(profile: string, files: AwsFileLocations): Promise<AwsCredentials> {
    return this.issue('login', profile, files);
  }

  async fromContainer(): Promise<AwsCredentials> {
    return this.issue('container');
  }

  async fromInstanceMetadata(): Promise<AwsCredentials> {
    return this.issue('imds');
  }
}

/** A prompt that answers from a queue and records the questions. */
export class ScriptedPrompt implements PromptPort {
  readonly questions: string[] = [];

  constructor(private readonly answers: string[]) {}

  async ask(question: string): Promise<string> {
    this.questions.push(question);
    const answer = this.answers.shift();
    if (answer === undefined) throw new Error(`unexpected prompt: ${question}`);
    return answer;
  }
}

export interface FakeDepsOptions {
  env?: Env;
  now?: Date;
  /** The AWS config file (at ~/.aws/config unless env.AWS_CONFIG_FILE says otherwise). */
  config?: string;
  /** The AWS credentials file (at ~/.aws/credentials unless env.AWS_SHARED_CREDENTIALS_FILE says otherwise). */
  credentials?: string;
  /** Any other files. */
  files?: Record<string, string>;
  /** Answers for MFA prompts; no prompt port at all when undefined. */
  promptAnswers?: string[];
  /** Whether stdin is a terminal (deps.stdinIsTerminal); none means no. */
  stdinIsTerminal?: boolean;
}

/** Deps made of fakes, with the fakes and their load counters exposed for assertions. */
export interface FakeDeps extends Deps {
  files: MemoryFiles;
  log: RecordingLogger;
  stsFake: RecordingSts;
  sdkFake: RecordingSdkSources;
  promptFake: ScriptedPrompt | undefined;
  /** How often deps.sts() / deps.sdkSources() were called: the hot path must keep both at 0. */
  loads: { sts: number; sdkSources: number };
}

export function fakeDeps(options: FakeDepsOptions = {}): FakeDeps {
  const fixed = options.now ?? FIXED_NOW;
  const now = () => new Date(fixed.getTime());
  const env: Env = { ...options.env };
  const files = new MemoryFiles(options.files);
  if (options.config !== undefined) files.set(env.AWS_CONFIG_FILE ?? CONFIG_PATH, dedent(options.config));
  if (options.credentials !== undefined)
    files.set(env.AWS_SHARED_CREDENTIALS_FILE ?? CREDENTIALS_PATH, dedent(options.credentials));
  const stsFake = new RecordingSts(now);
  const sdkFake = new RecordingSdkSources(now);
  const promptFake = options.promptAnswers ? new ScriptedPrompt([...options.promptAnswers]) : undefined;
  const loads = { sts: 0, sdkSources: 0 };
  return {
    env,
    now,
    homedir: HOME,
    files,
    log: new RecordingLogger(),
    sts: async () => {
      loads.sts++;
      return stsFake;
    },
    sdkSources: async () => {
      loads.sdkSources++;
      return sdkFake;
    },
    ...(promptFake ? { prompt: promptFake } : {}),
    ...(options.stdinIsTerminal === undefined ? {} : { stdinIsTerminal: () => options.stdinIsTerminal === true }),
    stsFake,
    sdkFake,
    promptFake,
    loads,
  };
}
