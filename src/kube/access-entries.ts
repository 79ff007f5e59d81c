/**
 * EKS access entries, and the mapping EKS computes for a caller from the cluster's authentication
 * mode, its access entries and the aws-auth ConfigMap. Pure: the calls that read the entries live in
 * aws/eks-client.ts.
 *
 * Sources: botocore `data/eks/2017-11-01/service-2.json` (shapes); the EKS user guide pages
 * creating-access-entries, set-custom-username, access-policies, access-policy-reference and
 * migrating-access-entries; aws-iam-authenticator `pkg/server/server.go` (the order of the mappers).
 *
 * - Mode `CONFIG_MAP`: aws-auth only. `API`: access entries only. `API_AND_CONFIG_MAP`: the access
 *   entry of a principal wins over its aws-auth line; aws-auth serves principals without an entry.
 * - EKS matches an entry by the principal's unique id (the part of STS `UserId` before `:`). The API
 *   does not show that id, so this module matches by partition, account, kind and name: IAM role and
 *   user names are unique per account whatever their path, case-insensitively. An entry's ARN may
 *   carry a path (aws-auth's may not). A principal deleted and created again under the same ARN gets a
 *   new id: its old entry no longer matches, which IAM `GetRole` CreateDate (newer than the entry's
 *   `createdAt`) reveals.
 * - Username: the entry's own, else the default of its type; templates are filled as for aws-auth.
 *   Groups: `kubernetesGroups`. Access policies (allow-only, added to RBAC) with their scope.
 */
import { parseArn, ssoPermissionSet } from '../aws/arn';
import type { AccessEntry, AccessScope, AssociatedAccessPolicy, AuthenticationMode } from '../types';
import { editDistance, type AwsAuth, type AwsAuthEntry } from './aws-auth';
import { mapIdentity, renderTemplate, type MappingIdentity, type MappingResult } from './aws-auth-map';

export type { AccessEntry, AssociatedAccessPolicy, AuthenticationMode } from '../types';
export { ssoPermissionSet } from '../aws/arn';

/** One listed entry (ListAccessEntries gives the principal ARN) and, once described, its details. */
export interface AccessEntryRecord {
  principalArn: string;
  entry?: AccessEntry;
  policies?: AssociatedAccessPolicy[];
}

/** The caller as EKS sees it. */
export interface ClusterIdentity extends MappingIdentity {
  /** As STS reports it (an assumed-role ARN for role sessions). */
  arn: string;
  partition: string;
  /** STS `UserId` (`AROA…:session` for role sessions). */
  userId?: string;
}

export type MatchedBy = 'accessEntry' | 'mapRoles' | 'mapUsers' | 'mapAccounts';

type AccessEntryNearMissKind =
  | 'recreated'
  | 'assumed-role'
  | 'instance-profile'
  | 'account'
  | 'partition'
  | 'typo'
  | 'ignored-by-mode';

/** An access entry (or, for `ignored-by-mode`, an aws-auth entry) that came close, and why it does not map. */
export interface AccessEntryNearMiss {
  kind: AccessEntryNearMissKind;
  /** The entry's principal ARN (for `ignored-by-mode`: the aws-auth entry's ARN). */
  arn: string;
  /** For `ignored-by-mode`: the aws-auth entry that would have matched. */
  awsAuthEntry?: AwsAuthEntry;
  message: string;
}

/** What IAM says of the matched role: its CreateDate, or why it could not be asked. */
export type PrincipalAge = { createdAt: Date } | { unchecked: string };

export interface ClusterMappingInput {
  /** null when it could not be read (the caller warned). */
  mode: AuthenticationMode | null;
  /** The cluster's entries; undefined when they were not read. */
  accessEntries?: readonly AccessEntryRecord[];
  /** aws-auth and where it came from; undefined when it was not read. */
  awsAuth?: { config: AwsAuth; source: string };
  identity: ClusterIdentity;
  /** IAM's answer about the matched entry's role (GetRole), when it was asked. */
  principalAge?: PrincipalAge;
}

/** The mapping EKS computes for the caller. */
export interface ClusterMapping {
  mapped: boolean;
  matchedBy: MatchedBy | null;
  username: string | null;
  groups: string[];
  /** The matched access entry as the API returned it. */
  accessEntry: AccessEntry | null;
  accessPolicies: AssociatedAccessPolicy[];
  /** The access policies in words, one line each. */
  grants: string[];
  /** aws-auth's own answer, when aws-auth was read (also when the mode ignores it). */
  awsAuth?: MappingResult;
  /** Not mapped: why. */
  reason?: 'not-mapped' | 'template-error';
  message?: string;
  /** The best access-entry near-miss (recreated role, other account…), or aws-auth ignored by the mode. */
  accessEntryNearMiss?: AccessEntryNearMiss;
  /** Mapped, but something the user must know (e.g. an entry that grants nothing). */
  warnings: string[];
  notes: string[];
}

/** The caller's IAM principal behind its canonical ARN: kind and name, or undefined for root and federated users. */
interface PrincipalKey {
  partition: string;
  account: string;
  kind: 'role' | 'user';
  /** Lower-cased, without path. */
  name: string;
}

function principalKey(arn: string): PrincipalKey | undefined {
  const p = parseArn(arn);
  if (p?.service !== 'iam') return undefined;
  const segments = p.resource.split('/');
  const kind = segments[0];
  if ((kind !== 'role' && kind !== 'user') || segments.length < 2) return undefined;
  const name = segments[segments.length - 1] ?? '';
  if (name === '') return undefined;
  return { partition: p.partition, account: p.account, kind, name: name.toLowerCase() };
}

const sameKey = (a: PrincipalKey, b: PrincipalKey): boolean =>
  a.partition === b.partition && a.account === b.account && a.kind === b.kind && a.name === b.name;

/**
 * The listed principal ARN whose entry EKS applies to the caller: same partition, account, kind and
 * name (case-insensitive, any path). Undefined when none matches.
 */
export function matchAccessEntry(
  principalArns: readonly string[],
  identity: Pick<ClusterIdentity, 'canonicalArn'>,
): string | undefined {
  const want = principalKey(identity.canonicalArn);
  if (!want) return undefined;
  return principalArns.find((arn) => {
    const have = principalKey(arn);
    return have !== undefined && sameKey(have, want);
  });
}

/** EKS's username for an entry of `type` without one (creating-access-entries, set-custom-username). */
export function defaultUsername(type: string | undefined, principalArn: string): string {
  switch (type ?? 'STANDARD') {
    case 'EC2_LINUX':
    case 'EC2_WINDOWS':
    case 'EC2':
      return 'system:node:{{EC2PrivateDNSName}}';
    case 'FARGATE_LINUX':
    case 'HYBRID_LINUX':
    case 'HYPERPOD_LINUX':
      return 'system:node:{{SessionName}}';
    default: {
      const p = parseArn(principalArn);
      const key = principalKey(principalArn);
      if (p && key?.kind === 'role') {
        const name = p.resource.split('/').pop() ?? '';
        return `arn:${p.partition}:sts::${p.account}:assumed-role/${name}/{{SessionName}}`;
      }
      return principalArn;
    }
  }
}

// EKS access-policy-reference: what each policy allows (allow-only; added to what RBAC grants).
const POLICY_WORDS: Record<string, string> = {
  AmazonEKSClusterAdminPolicy: 'everything: every verb on every resource and non-resource URL (like cluster-admin)',
  AmazonEKSAdminPolicy:
    'most resources, Roles and RoleBindings included (the Kubernetes admin role): read and write, grant access in its namespaces',
  AmazonEKSEditPolicy:
    'create, change and delete most objects, Secrets included (the Kubernetes edit role); no Roles or RoleBindings',
  AmazonEKSViewPolicy: 'read most objects (the Kubernetes view role); not Secrets',
  AmazonEKSAdminViewPolicy: 'read (get, list, watch) every resource, Secrets included',
  AmazonEKSSecretReaderPolicy: 'read (get, list, watch) Secrets',
};

/** `arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy` → `AmazonEKSViewPolicy`. */
function accessPolicyName(policyArn: string): string {
  return policyArn.split('/').pop() ?? policyArn;
}

/** A scope in words: `on the whole cluster` or `in namespaces a, dev-*`. */
export function describeAccessScope(scope: AccessScope): string {
  if (scope.type === 'cluster') return 'on the whole cluster';
  const namespaces = scope.namespaces ?? [];
  const wildcard = namespaces.some((n) => n.includes('*')) ? ' (`*` matches any characters)' : '';
  return `in namespace${namespaces.length === 1 ? '' : 's'} ${namespaces.join(', ') || '(none)'}${wildcard}`;
}

/** One associated policy in words: `View in namespace dev: read most objects …`. */
export function describeAccessPolicy(policy: AssociatedAccessPolicy): string {
  const name = accessPolicyName(policy.policyArn);
  const short = name.replace(/^AmazonEKS/, '').replace(/Policy$/, '');
  const words = POLICY_WORDS[name] ?? 'an EKS policy eks-auth does not describe (see aws eks list-access-policies)';
  return `${short} ${describeAccessScope(policy.accessScope)}: ${words}`;
}

function nearMissOf(
  arn: string,
  identity: ClusterIdentity,
  want: PrincipalKey,
): (AccessEntryNearMiss & { rank: number; distance: number }) | undefined {
  const p = parseArn(arn);
  if (!p) return undefined;
  const segments = p.resource.split('/');
  const type = segments[0];
  const last = (segments[segments.length - 1] ?? '').toLowerCase();
  const distance = editDistance(arn.toLowerCase(), identity.canonicalArn.toLowerCase());
  const sameAccount = p.partition === want.partition && p.account === want.account;
  const entry = `the access entry for ${arn}`;
  if (want.kind === 'role' && p.service === 'sts' && type === 'assumed-role' && segments.length >= 3 && sameAccount) {
    if (segments.slice(1, -1).join('/').toLowerCase() === want.name) {
      return {
        kind: 'assumed-role',
        arn,
        rank: 1,
        distance,
        message: `${entry} names a role session; an entry's principal is the role: ${identity.canonicalArn}`,
      };
    }
  }
  if (
    want.kind === 'role' &&
    p.service === 'iam' &&
    type === 'instance-profile' &&
    sameAccount &&
    (last === want.name || distance <= 8)
  ) {
    return {
      kind: 'instance-profile',
      arn,
      rank: 1,
      distance,
      message: `${entry} names an instance profile; instances sign in as the role inside it: ${identity.canonicalArn}`,
    };
  }
  const have = principalKey(arn);
  if (have && have.kind === want.kind && have.name === want.name) {
    if (have.partition === want.partition && have.account !== want.account) {
      return {
        kind: 'account',
        arn,
        rank: 2,
        distance,
        message: `${entry} has the same ${want.kind} name in account ${have.account}, but this identity is in account ${want.account}`,
      };
    }
    if (have.partition !== want.partition && have.account === want.account) {
      return {
        kind: 'partition',
        arn,
        rank: 2,
        distance,
        message: `${entry} is in partition ${have.partition}, but this identity is in partition ${want.partition}`,
      };
    }
  }
  if (distance <= Math.max(3, Math.floor(identity.canonicalArn.length / 12))) {
    return {
      kind: 'typo',
      arn,
      rank: 3,
      distance,
      message: `${entry} is ${distance} character(s) away from ${identity.canonicalArn}: a typo?`,
    };
  }
  return undefined;
}

/** Every access entry that comes close to the caller without matching, best first. */
export function accessEntryNearMisses(
  principalArns: readonly string[],
  identity: ClusterIdentity,
): AccessEntryNearMiss[] {
  const want = principalKey(identity.canonicalArn);
  if (!want) return [];
  const misses = principalArns
    .map((arn) => nearMissOf(arn, identity, want))
    .filter((m): m is NonNullable<typeof m> => m !== undefined)
    .sort((a, b) => a.rank - b.rank || a.distance - b.distance);
  return misses.map(({ kind, arn, message }) => ({ kind, arn, message }));
}

type EntryOutcome =
  | {
      kind: 'mapped';
      username: string;
      groups: string[];
      entry: AccessEntry;
      policies: AssociatedAccessPolicy[];
      notes: string[];
      warnings: string[];
    }
  | { kind: 'template-error'; message: string; notes: string[] }
  | { kind: 'recreated'; nearMiss: AccessEntryNearMiss }
  | { kind: 'none' };

const iso = (d: Date): string => d.toISOString().replace('.000Z', 'Z');

function applyEntry(record: AccessEntryRecord, identity: ClusterIdentity, age: PrincipalAge | undefined): EntryOutcome {
  const entry = record.entry ?? { principalArn: record.principalArn };
  const notes: string[] = [];
  const warnings: string[] = [];
  const isRole = principalKey(record.principalArn)?.kind === 'role';
  if (age && 'createdAt' in age && entry.createdAt && age.createdAt.getTime() > entry.createdAt.getTime()) {
    return {
      kind: 'recreated',
      nearMiss: {
        kind: 'recreated',
        arn: record.principalArn,
        message:
          `the access entry for ${record.principalArn} (created ${iso(entry.createdAt)}) is older than the ${isRole ? 'role' : 'user'} (created ${iso(age.createdAt)}): ` +
          'it was deleted and created again, EKS keeps the old unique id, so the entry no longer matches; delete the access entry and create it again',
      },
    };
  }
  if (age && 'unchecked' in age)
    notes.push(
      `could not check whether ${record.principalArn} was created again after its access entry: ${age.unchecked}`,
    );
  const templateNotes = new Set<string>();
  const template = entry.username ?? defaultUsername(entry.type, record.principalArn);
  let username: string;
  try {
    username = renderTemplate(template, identity, templateNotes);
  } catch (why) {
    return {
      kind: 'template-error',
      message: `the access entry for ${record.principalArn} matches, but ${String(why)}`,
      notes: [...templateNotes],
    };
  }
  if (entry.username === undefined)
    notes.push(
      `the access entry has no username of its own: EKS uses the default of type ${entry.type ?? 'STANDARD'}, ${template}`,
    );
  notes.push(...templateNotes);
  const groups = [...(entry.kubernetesGroups ?? [])];
  const policies = [...(record.policies ?? [])];
  const type = entry.type ?? 'STANDARD';
  if (type !== 'STANDARD') {
    notes.push(
      `a ${type} access entry makes its principal a node: EKS adds the node groups, and the entry takes no Kubernetes groups or access policies`,
    );
  } else if (record.entry && record.policies && groups.length === 0 && policies.length === 0) {
    warnings.push(
      `the access entry for ${record.principalArn} grants nothing: no Kubernetes groups and no access policies; the caller signs in, then every request is Forbidden unless RBAC binds the username ${username}`,
    );
  }
  return { kind: 'mapped', username, groups, entry, policies, notes, warnings };
}

function awsAuthEntryName(e: AwsAuthEntry, source: string): string {
  return `${e.section} entry ${e.index + 1} (${source}:${e.line})`;
}

/**
 * The mapping EKS computes for the caller under the cluster's authentication mode: an access entry
 * (API, API_AND_CONFIG_MAP), else aws-auth (API_AND_CONFIG_MAP, CONFIG_MAP, or a mode not read),
 * with the near-misses and what the mode ignores.
 */
export function mapClusterIdentity(input: ClusterMappingInput): ClusterMapping {
  const { mode, identity } = input;
  const notes: string[] = [];
  const warnings: string[] = [];
  const entriesApply = mode === 'API' || mode === 'API_AND_CONFIG_MAP';
  const awsAuthApplies = mode !== 'API';
  const result = (fields: Partial<ClusterMapping>): ClusterMapping => ({
    mapped: false,
    matchedBy: null,
    username: null,
    groups: [],
    accessEntry: null,
    accessPolicies: [],
    grants: [],
    warnings,
    notes,
    ...fields,
  });

  const key = principalKey(identity.canonicalArn);
  const roleName = key?.kind === 'role' ? (identity.canonicalArn.split('/').pop() ?? '') : undefined;
  const permissionSet = roleName ? ssoPermissionSet(roleName) : undefined;
  if (roleName && permissionSet) {
    notes.push(
      `${roleName} is the IAM Identity Center role of permission set ${permissionSet}: aws-auth needs ${identity.canonicalArn} (no path); ` +
        'an access entry takes it with or without its aws-reserved/sso.amazonaws.com/ path',
    );
  }

  let entryOutcome: EntryOutcome = { kind: 'none' };
  let entryNearMiss: AccessEntryNearMiss | undefined;
  const entries = input.accessEntries;
  if (entriesApply && entries) {
    const arns = entries.map((e) => e.principalArn);
    const matched = matchAccessEntry(arns, identity);
    const record = matched === undefined ? undefined : entries.find((e) => e.principalArn === matched);
    if (record) entryOutcome = applyEntry(record, identity, input.principalAge);
    if (entryOutcome.kind === 'recreated') entryNearMiss = entryOutcome.nearMiss;
    else if (entryOutcome.kind === 'none') entryNearMiss = accessEntryNearMisses(arns, identity)[0];
    if (!key)
      notes.push(
        `${identity.canonicalArn} is not an IAM role or user: access entries never name it (only aws-auth mapUsers and mapAccounts can)`,
      );
  } else if (mode === 'CONFIG_MAP') {
    notes.push(
      "the cluster's authentication mode is CONFIG_MAP: EKS reads aws-auth only, and access entries are not used",
    );
  }

  const awsAuthResult = input.awsAuth ? mapIdentity(identity, input.awsAuth.config) : undefined;
  const awsAuthSource = input.awsAuth?.source ?? 'aws-auth';

  if (entryOutcome.kind === 'mapped') {
    const { username, groups, entry, policies } = entryOutcome;
    notes.push(...entryOutcome.notes);
    warnings.push(...entryOutcome.warnings);
    if (awsAuthResult?.mapped && awsAuthResult.entry) {
      const e = awsAuthResult.entry;
      notes.push(
        mode === 'API'
          ? `${awsAuthEntryName(e, awsAuthSource)} also names this identity, but the cluster's authentication mode API ignores aws-auth`
          : `${awsAuthEntryName(e, awsAuthSource)} also names this identity; the access entry wins (aws-auth would give username ${awsAuthResult.username})`,
      );
    }
    return result({
      mapped: true,
      matchedBy: 'accessEntry',
      username,
      groups,
      accessEntry: entry,
      accessPolicies: policies,
      grants: policies.map(describeAccessPolicy),
      ...(awsAuthResult ? { awsAuth: awsAuthResult } : {}),
    });
  }
  if (entryOutcome.kind === 'template-error') {
    notes.push(...entryOutcome.notes);
    return result({
      reason: 'template-error',
      message: entryOutcome.message,
      ...(awsAuthResult ? { awsAuth: awsAuthResult } : {}),
    });
  }

  const entryMessage = entriesApply
    ? entries
      ? `${identity.canonicalArn} matches none of the cluster's ${entries.length} access entr${entries.length === 1 ? 'y' : 'ies'}`
      : 'the access entries were not read'
    : undefined;

  if (awsAuthApplies && awsAuthResult) {
    notes.push(...awsAuthResult.notes);
    if (awsAuthResult.mapped) {
      if (entryNearMiss) notes.push(entryNearMiss.message);
      return result({
        mapped: true,
        matchedBy: awsAuthResult.via,
        username: awsAuthResult.username,
        groups: awsAuthResult.groups,
        awsAuth: awsAuthResult,
      });
    }
    return result({
      reason: awsAuthResult.reason,
      message:
        entryMessage === undefined
          ? awsAuthResult.message
          : `${entryMessage}; ${awsAuthSource}: ${awsAuthResult.message}`,
      awsAuth: awsAuthResult,
      ...(entryNearMiss ? { accessEntryNearMiss: entryNearMiss } : {}),
    });
  }

  // Not mapped by an access entry, and aws-auth does not apply or was not read.
  let nearMiss = entryNearMiss;
  if (mode === 'API' && awsAuthResult) {
    const wouldMatch = awsAuthResult.mapped ? awsAuthResult.entry : undefined;
    const ignored = {
      kind: 'ignored-by-mode' as const,
      arn: wouldMatch?.arn ?? identity.canonicalArn,
      ...(wouldMatch ? { awsAuthEntry: wouldMatch } : {}),
      message: awsAuthResult.mapped
        ? `${wouldMatch ? awsAuthEntryName(wouldMatch, awsAuthSource) : `mapAccounts of ${awsAuthSource}`} would map this identity (username ${awsAuthResult.username}), but the cluster's authentication mode API ignores aws-auth: create an access entry for ${identity.canonicalArn}`
        : `${awsAuthSource} is ignored by this cluster (authentication mode API), and it does not map this identity either`,
    };
    notes.push(`${awsAuthSource} is ignored: the cluster's authentication mode is API`);
    if (!nearMiss || awsAuthResult.mapped) nearMiss = ignored;
  }
  const parts = [entryMessage];
  if (mode === 'API_AND_CONFIG_MAP' && !input.awsAuth)
    parts.push('aws-auth was not read (pass --from-cluster or --aws-auth FILE to check it too)');
  return result({
    reason: 'not-mapped',
    message: parts.filter((m) => m !== undefined).join('; ') || `${identity.canonicalArn} is not mapped`,
    ...(awsAuthResult ? { awsAuth: awsAuthResult } : {}),
    ...(nearMiss ? { accessEntryNearMiss: nearMiss } : {}),
  });
}
