/**
 * AWS ARNs as EKS sees them: parsing, the principal kinds STS returns, and the canonical form that
 * aws-auth is matched against (aws-iam-authenticator pkg/arn: an assumed-role session becomes its
 * IAM role, everything else keeps its ARN).
 */
import { EksAuthError, ExitCode } from '../errors';
import { PARTITIONS as PARTITION_RULES } from './endpoint';

/**
 * The names of the partitions, from the endpoint rules' table: the same eight that
 * aws-iam-authenticator pkg/endpoints lists as PARTITIONS.
 */
export const PARTITIONS: readonly string[] = PARTITION_RULES.map((p) => p.name);

/** The six fields of `arn:partition:service:region:account:resource`. */
export interface Arn {
  partition: string;
  service: string;
  region: string;
  account: string;
  /** Everything after the fifth colon, e.g. `role/path/Name` or `root`. */
  resource: string;
}

/** Splits an ARN into its fields, or returns undefined when the text is not shaped like one. */
export function parseArn(text: string): Arn | undefined {
  const parts = text.split(':');
  if (parts.length < 6 || parts[0] !== 'arn') return undefined;
  const [, partition = '', service = '', region = '', account = ''] = parts;
  const resource = parts.slice(5).join(':');
  if (partition === '' || service === '' || resource === '') return undefined;
  return { partition, service, region, account, resource };
}

export type PrincipalKind = 'role' | 'assumed-role' | 'user' | 'root' | 'federated-user';

/** An identity STS can return, with the ARN EKS maps. */
export interface Principal {
  arn: string;
  kind: PrincipalKind;
  partition: string;
  account: string;
  /** Role, user or federated-user name; the account id for root. */
  name: string;
  /** IAM path of a role or user (`/` when none); assumed-role ARNs never carry one. */
  path: string;
  /** The role session name of an assumed-role ARN. */
  sessionName?: string;
  /** What aws-auth is matched against: `arn:P:iam::A:role/R` for an assumed-role session, else `arn`. */
  canonicalArn: string;
}

const ACCOUNT_ID = /^\d{12}$/;

function invalid(arn: string, why: string): EksAuthError {
  return new EksAuthError(ExitCode.usage, `"${arn}" is not an IAM principal ARN: ${why}`, {
    reason: 'invalid-arn',
    hint: 'expected arn:aws:iam::123456789012:role/NAME, …:user/NAME, …:root or arn:aws:sts::123456789012:assumed-role/ROLE/SESSION',
  });
}

/**
 * Parses the ARN of an IAM principal (root, user, role) or an STS session (assumed-role,
 * federated-user). Throws EksAuthError (reason `invalid-arn`) for anything else.
 */
export function parsePrincipal(arn: string): Principal {
  const parsed = parseArn(arn);
  if (!parsed) throw invalid(arn, 'not of the form arn:PARTITION:SERVICE::ACCOUNT:RESOURCE');
  const { partition, service, region, account, resource } = parsed;
  if (!PARTITIONS.includes(partition)) throw invalid(arn, `unknown partition "${partition}"`);
  if (region !== '') throw invalid(arn, 'IAM and STS principal ARNs have an empty region field');
  if (!ACCOUNT_ID.test(account)) throw invalid(arn, 'the account must be 12 digits');
  const segments = resource.split('/');
  const type = segments[0];
  const base = { arn, partition, account };

  if (service === 'iam') {
    if (resource === 'root') {
      return { ...base, kind: 'root', name: account, path: '/', canonicalArn: arn };
    }
    if ((type === 'role' || type === 'user') && segments.length >= 2 && segments.every((s) => s !== '')) {
      const name = segments[segments.length - 1] ?? '';
      const path = segments.length > 2 ? `/${segments.slice(1, -1).join('/')}/` : '/';
      return { ...base, kind: type, name, path, canonicalArn: arn };
    }
    throw invalid(arn, `unsupported IAM resource "${resource}" (only root, user/… and role/… sign in)`);
  }
  if (service === 'sts') {
    if (type === 'assumed-role') {
      if (segments.length < 3 || segments.some((s) => s === '')) {
        throw invalid(arn, 'an assumed-role ARN is assumed-role/ROLE/SESSION');
      }
      // Like aws-iam-authenticator: everything between the type and the last segment is the role.
      const name = segments.slice(1, -1).join('/');
      const sessionName = segments[segments.length - 1] ?? '';
      return {
        ...base,
        kind: 'assumed-role',
        name,
        path: '/',
        sessionName,
        canonicalArn: `arn:${partition}:iam::${account}:role/${name}`,
      };
    }
    if (type === 'federated-user' && segments.length === 2 && segments[1] !== '') {
      return { ...base, kind: 'federated-user', name: segments[1] ?? '', path: '/', canonicalArn: arn };
    }
    throw invalid(arn, `unsupported STS resource "${resource}"`);
  }
  throw invalid(arn, `service "${service}" does not sign in (expected iam or sts)`);
}

/**
 * The ARN aws-auth is matched against: `arn:P:sts::A:assumed-role/R/S` → `arn:P:iam::A:role/R`;
 * users, roles, federated users and root keep their ARN. Throws EksAuthError for a non-principal ARN.
 */
export function canonicalizeArn(arn: string): string {
  return parsePrincipal(arn).canonicalArn;
}

/** `arn:P:iam::A:role/a/b/Name` → `arn:P:iam::A:role/Name`; any other ARN is returned unchanged. */
export function stripRolePath(arn: string): string {
  const parsed = parseArn(arn);
  if (parsed?.service !== 'iam') return arn;
  const segments = parsed.resource.split('/');
  if (segments[0] !== 'role' || segments.length <= 2) return arn;
  const name = segments[segments.length - 1] ?? '';
  return `arn:${parsed.partition}:${parsed.service}:${parsed.region}:${parsed.account}:role/${name}`;
}

const SSO_ROLE = /^AWSReservedSSO_(.+)_[0-9a-f]{16}$/;

/**
 * The permission set of an IAM Identity Center role name (`AWSReservedSSO_<set>_<16 hex>`, at path
 * `/aws-reserved/sso.amazonaws.com/[region/]`), else undefined.
 */
export function ssoPermissionSet(roleName: string): string | undefined {
  return SSO_ROLE.exec(roleName)?.[1];
}
