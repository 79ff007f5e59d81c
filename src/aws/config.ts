/**
 * The AWS CLI's two shared files and the profile view built from them. Same locations, variables
 * and precedence as the AWS CLI: AWS_CONFIG_FILE (default ~/.aws/config, `[profile x]`, `[default]`,
 * `[sso-session x]`, `[services x]`) and AWS_SHARED_CREDENTIALS_FILE (default ~/.aws/credentials,
 * `[x]`). Where both files set a key for one profile, the credentials file wins (botocore merges
 * it over the config file).
 */
import { join } from 'node:path';
import { EksAuthError, ExitCode } from '../errors';
import type { AwsFileLocations, Env, FilePort } from '../ports';
import { parseIni, type IniFile, type IniSection } from './ini';

export interface AwsConfigFiles extends AwsFileLocations {
  config: IniFile;
  credentials: IniFile;
}

/** One profile's settings: credentials-file keys over config-file keys. */
export interface Profile {
  name: string;
  /** Which file(s) define it, for messages. */
  definedIn: string[];
  get(key: string): string | undefined;
  /** A nested map such as `s3 =` with indented lines. */
  getNested(key: string): Readonly<Record<string, string>> | undefined;
  has(key: string): boolean;
  /** Whether the key is set in the credentials file itself (the AWS CLI ranks those keys first). */
  inCredentialsFile(key: string): boolean;
}

export function awsFileLocations(env: Env, homedir: string): AwsFileLocations {
  return {
    configFile: expandHome(env.AWS_CONFIG_FILE || join(homedir, '.aws', 'config'), homedir),
    credentialsFile: expandHome(env.AWS_SHARED_CREDENTIALS_FILE || join(homedir, '.aws', 'credentials'), homedir),
  };
}

function expandHome(path: string, homedir: string): string {
  return path === '~' || path.startsWith('~/') ? join(homedir, path.slice(1)) : path;
}

/** Reads and parses both files. A missing file is empty; an unreadable line is a config error. */
export function loadAwsConfigFiles(deps: { env: Env; homedir: string; files: FilePort }): AwsConfigFiles {
  const locations = awsFileLocations(deps.env, deps.homedir);
  return {
    ...locations,
    config: readIni(deps.files, locations.configFile),
    credentials: readIni(deps.files, locations.credentialsFile),
  };
}

function readIni(files: FilePort, path: string): IniFile {
  let text: string | undefined;
  try {
    text = files.readText(path);
  } catch (err) {
    throw new EksAuthError(ExitCode.config, `cannot read ${path}: ${(err as Error).message}`, {
      hint: 'check the file permissions, or point AWS_CONFIG_FILE / AWS_SHARED_CREDENTIALS_FILE elsewhere',
      cause: err,
      reason: 'config-unreadable',
    });
  }
  if (text === undefined) return Object.create(null) as IniFile;
  const { sections, problems } = parseIni(text);
  const first = problems[0];
  if (first) {
    throw new EksAuthError(ExitCode.config, `cannot parse ${path} line ${first.line}: ${first.message}`, {
      hint: `fix line ${first.line} of ${path} (the AWS CLI refuses this file too)`,
      reason: 'config-malformed',
    });
  }
  return sections;
}

function configSectionFor(files: AwsConfigFiles, name: string): IniSection | undefined {
  const named = files.config[`profile ${name}`];
  if (name !== 'default') return named;
  const plain = files.config.default;
  if (!named || !plain) return named ?? plain;
  // `[profile default]` also names the default profile; with both sections the AWS CLI keeps the
  // later one in the file, whole (botocore configloader.build_profile_map).
  const sections = Object.keys(files.config);
  return sections.indexOf('profile default') > sections.indexOf('default') ? named : plain;
}

/** The merged profile, or undefined when neither file defines it. */
export function findProfile(files: AwsConfigFiles, name: string): Profile | undefined {
  const fromConfig = configSectionFor(files, name);
  const fromCredentials = files.credentials[name];
  if (!fromConfig && !fromCredentials) return undefined;
  const definedIn: string[] = [];
  if (fromConfig) definedIn.push(files.configFile);
  if (fromCredentials) definedIn.push(files.credentialsFile);
  const lookup = (key: string) => fromCredentials?.[key] ?? fromConfig?.[key];
  return {
    name,
    definedIn,
    get(key) {
      const value = lookup(key);
      return typeof value === 'string' && value !== '' ? value : undefined;
    },
    getNested(key) {
      const value = lookup(key);
      return typeof value === 'object' ? value : undefined;
    },
    has(key) {
      const value = lookup(key);
      return value !== undefined && value !== '';
    },
    inCredentialsFile(key) {
      const value = fromCredentials?.[key];
      return typeof value === 'string' && value !== '';
    },
  };
}

/** A profile that must exist; the error text is the AWS CLI's, with a hint about the usual slip. */
export function requireProfile(files: AwsConfigFiles, name: string): Profile {
  const profile = findProfile(files, name);
  if (profile) return profile;
  let hint = `define [profile ${name}] in ${files.configFile} or [${name}] in ${files.credentialsFile}, or pick another with --profile`;
  if (files.config[name] && name !== 'default') {
    hint = `${files.configFile} has a [${name}] section, but profiles in the config file are named [profile ${name}]`;
  }
  const known = profileNames(files);
  if (known.length > 0 && known.length <= 20) hint += ` (known profiles: ${known.join(', ')})`;
  throw new EksAuthError(ExitCode.config, `the config profile (${name}) could not be found`, {
    hint,
    reason: 'profile-not-found',
  });
}

/** Every profile name defined in either file. */
export function profileNames(files: AwsConfigFiles): string[] {
  const names = new Set<string>();
  for (const section of Object.keys(files.config)) {
    if (section === 'default') names.add('default');
    else if (section.startsWith('profile ')) names.add(section.slice('profile '.length).trim());
  }
  for (const section of Object.keys(files.credentials)) names.add(section);
  return [...names].sort();
}

/** `[sso-session NAME]` from the config file. */
export function findSsoSession(files: AwsConfigFiles, name: string): IniSection | undefined {
  return files.config[`sso-session ${name}`];
}

/** `[services NAME]` from the config file. */
export function findServicesSection(files: AwsConfigFiles, name: string): IniSection | undefined {
  return files.config[`services ${name}`];
}
