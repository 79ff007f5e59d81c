/**
 * Mapping an identity through a parsed aws-auth ConfigMap as the EKS authenticator does
 * (aws-iam-authenticator pkg/mapper/configmap/configmap.go saveMap and MapStore, pkg/config/mapper.go
 * Key and Matches, pkg/mapper/configmap/mapper.go Map, pkg/server/server.go doMapping and
 * renderTemplate):
 *
 * - Roles are stored under Go's strings.ToLower of their ARN, users under their ARN as written; a
 *   later entry with the same key replaces an earlier one. An identity matches an entry by
 *   strings.EqualFold of the entry's ARN and the lower-cased canonical ARN; roles before users; with
 *   several matches the server answers with any one. An account in `mapAccounts` with no entry maps
 *   to the canonical ARN, no groups.
 * - Username and group templates: {{AccountID}}, {{SessionName}} (`@` → `-`), {{SessionNameRaw}},
 *   {{AccessKeyID}}, {{EC2PrivateDNSName}} (the server asks EC2; the session name must be an
 *   instance id).
 * - An identity that matches nothing gets the entry that came closest, and why it did not match.
 */
import { PARTITIONS, parseArn, ssoPermissionSet, stripRolePath } from '../aws/arn';
import { editDistance, type AwsAuth, type AwsAuthEntry, type AwsAuthSection } from './aws-auth';
import { serverArnMatches, storeKey } from './aws-auth-yaml';

/** What is wrong with an ARN written in mapRoles/mapUsers, if it can never match a signed-in identity. */
export interface MappingArnProblem {
  code:
    | 'not-arn'
    | 'partition'
    | 'account'
    | 'role-path'
    | 'instance-profile'
    | 'assumed-role'
    | 'group'
    | 'not-principal';
  message: string;
  /** The ARN to write instead, when it is known. */
  suggestion?: string;
}

/** Diagnoses an aws-auth ARN that never matches; undefined for a usable one. */
export function mappingArnProblem(arn: string): MappingArnProblem | undefined {
  const p = parseArn(arn);
  if (!p) return { code: 'not-arn', message: `"${arn}" is not an ARN; the entry never matches` };
  if (!PARTITIONS.includes(p.partition)) {
    return { code: 'partition', message: `${arn} names unknown partition "${p.partition}"; the entry never matches` };
  }
  if (!/^\d{12}$/.test(p.account)) {
    return { code: 'account', message: `${arn} has account "${p.account}", not 12 digits; the entry never matches` };
  }
  const [type = '', ...rest] = p.resource.split('/');
  if (p.service === 'iam' && type === 'role' && rest.length > 1) {
    const suggestion = stripRolePath(arn);
    const permissionSet = ssoPermissionSet(rest[rest.length - 1] ?? '');
    const sso =
      permissionSet === undefined
        ? ''
        : `; it is the IAM Identity Center role of permission set ${permissionSet}, which an EKS access entry takes with or without the path`;
    return {
      code: 'role-path',
      message: `${arn} has a path; EKS matches the role session's ARN, which carries no path, so this never matches (aws-iam-authenticator#268)${sso}; use ${suggestion}`,
      suggestion,
    };
  }
  if (p.service === 'iam' && type === 'instance-profile') {
    return {
      code: 'instance-profile',
      message: `${arn} is an instance-profile ARN; instances sign in as the role inside the profile: map arn:${p.partition}:iam::${p.account}:role/ROLE_NAME`,
    };
  }
  if (p.service === 'sts' && type === 'assumed-role' && rest.length >= 2) {
    const suggestion = `arn:${p.partition}:iam::${p.account}:role/${rest.slice(0, -1).join('/')}`;
    const permissionSet = ssoPermissionSet(rest[rest.length - 2] ?? '');
    const sso =
      permissionSet === undefined ? '' : ` of the IAM Identity Center role of permission set ${permissionSet}`;
    return {
      code: 'assumed-role',
      message: `${arn} is an assumed-role (session) ARN${sso}; EKS maps sessions by their role: use ${suggestion}`,
      suggestion,
    };
  }
  if (p.service === 'iam' && type === 'group') {
    return {
      code: 'group',
      message: `${arn} is an IAM group ARN; groups never sign in: map the users, or a role they assume`,
    };
  }
  // User ARNs keep their path (STS reports it); role paths were handled above.
  const principal =
    (p.service === 'iam' &&
      (p.resource === 'root' || ((type === 'role' || type === 'user') && rest.length >= 1 && !rest.includes('')))) ||
    (p.service === 'sts' && type === 'federated-user' && rest.length === 1 && rest[0] !== '');
  if (!principal)
    return { code: 'not-principal', message: `${arn} is not a role, user or root ARN; the entry never matches` };
  return undefined;
}

/** The identity to map: the canonical ARN and what templates may use. */
export interface MappingIdentity {
  canonicalArn: string;
  account: string;
  sessionName?: string;
  accessKeyId?: string;
}

type NearMissKind =
  | 'dropped'
  | 'role-path'
  | 'assumed-role'
  | 'instance-profile'
  | 'account'
  | 'partition'
  | 'typo'
  | 'closest';

/** The entry that came closest to matching, and why it did not. */
export interface NearMiss {
  kind: NearMissKind;
  entry: AwsAuthEntry;
  message: string;
}

export type MappingResult =
  | {
      mapped: true;
      username: string;
      groups: string[];
      via: AwsAuthSection;
      /** The matching entry; undefined for mapAccounts. */
      entry?: AwsAuthEntry;
      /** Template substitutions and what could not be evaluated offline. */
      notes: string[];
    }
  | {
      mapped: false;
      reason: 'not-mapped' | 'template-error';
      message: string;
      nearMiss?: NearMiss;
      notes: string[];
    };

// aws-iam-authenticator server.go instanceIDPattern.
const INSTANCE_ID = /^i-(\w{8}|\w{17})$/;

/** Renders a username or group template as the server does; throws a string when the server would fail. */
export function renderTemplate(template: string, id: MappingIdentity, notes: Set<string>): string {
  let out = template;
  if (out.includes('{{EC2PrivateDNSName}}')) {
    if (id.sessionName !== undefined && !INSTANCE_ID.test(id.sessionName)) {
      throw `{{EC2PrivateDNSName}} needs a session name that is an EC2 instance id, and "${id.sessionName}" is not one; the server refuses the mapping`;
    }
    notes.add(
      '{{EC2PrivateDNSName}} is looked up by the server through EC2 DescribeInstances; it cannot be evaluated offline',
    );
  }
  out = out.replaceAll('{{AccountID}}', id.account);
  if (/\{\{SessionName(Raw)?\}\}/.test(out)) {
    if (id.sessionName === undefined) {
      notes.add('{{SessionName}} is unknown for a role ARN; pass the assumed-role ARN or a token to evaluate it');
    } else {
      out = out.replaceAll('{{SessionName}}', id.sessionName.replaceAll('@', '-'));
      out = out.replaceAll('{{SessionNameRaw}}', id.sessionName);
      notes.add(`the session name "${id.sessionName}" is chosen by the caller`);
    }
  }
  if (out.includes('{{AccessKeyID}}')) {
    if (id.accessKeyId === undefined)
      notes.add('{{AccessKeyID}} is unknown without a token; pass --token to evaluate it');
    else out = out.replaceAll('{{AccessKeyID}}', id.accessKeyId);
  }
  return out;
}

/** The entries the server keeps after loading: per store key, the last one (configmap.go saveMap). */
function storedEntries(entries: readonly AwsAuthEntry[]): AwsAuthEntry[] {
  const store = new Map<string, AwsAuthEntry>();
  for (const e of entries) {
    if (e.invalid || e.arn === undefined) continue;
    store.set(storeKey(e.section, e.arn), e);
  }
  return [...store.values()];
}

/**
 * The entries the server may answer with for a canonical ARN (aws-iam-authenticator MapStore
 * RoleMapping / UserMapping): each stored entry whose ARN strings.EqualFold-matches the
 * lower-cased canonical ARN. The server ranges over a Go map, so with more than one the answer is
 * any of them. `sso` entries are left out: they match through a feature gate the ConfigMap does
 * not show.
 */
export function serverCandidates(
  awsAuth: Pick<AwsAuth, 'roles' | 'users'>,
  canonicalArn: string,
): { roles: AwsAuthEntry[]; users: AwsAuthEntry[] } {
  const matching = (entries: readonly AwsAuthEntry[]) =>
    storedEntries(entries).filter((e) => serverArnMatches(e.arn ?? '', canonicalArn));
  return { roles: matching(awsAuth.roles), users: matching(awsAuth.users) };
}

function nearMissOf(
  entry: AwsAuthEntry,
  canonicalArn: string,
): { kind: NearMissKind; rank: number; distance: number; message: string } | undefined {
  const arn = entry.arn;
  if (!arn) return undefined;
  const want = canonicalArn.toLowerCase();
  const have = arn.toLowerCase();
  const at = `${entry.section} entry ${entry.index + 1} (line ${entry.line})`;
  const distance = editDistance(have, want);
  if (have === want || serverArnMatches(arn, canonicalArn)) {
    return {
      kind: 'dropped',
      rank: 0,
      distance,
      message: `${at} names this ARN, but the server drops it: ${entry.dropped ?? ''}`,
    };
  }
  const problem = mappingArnProblem(arn);
  if (
    problem?.suggestion?.toLowerCase() === want &&
    (problem.code === 'role-path' || problem.code === 'assumed-role')
  ) {
    return { kind: problem.code, rank: 1, distance, message: `${at}: ${problem.message}` };
  }
  const a = parseArn(have);
  const b = parseArn(want);
  if (a && b) {
    if (
      a.service === 'iam' &&
      a.resource.startsWith('instance-profile/') &&
      b.resource.startsWith('role/') &&
      a.account === b.account
    ) {
      const sameName = a.resource.split('/').pop() === b.resource.split('/').pop();
      if (sameName || distance <= 8) {
        return {
          kind: 'instance-profile',
          rank: 1,
          distance,
          message: `${at}: ${problem?.message ?? ''}; this identity is ${canonicalArn}`,
        };
      }
    }
    const sameExcept = (field: 'account' | 'partition'): boolean =>
      a[field] !== b[field] &&
      a.service === b.service &&
      a.resource === b.resource &&
      (field === 'account' ? a.partition === b.partition : a.account === b.account);
    if (sameExcept('account')) {
      return {
        kind: 'account',
        rank: 2,
        distance,
        message: `${at} maps ${arn}: the same name in account ${a.account}, but this identity is in account ${b.account}`,
      };
    }
    if (sameExcept('partition')) {
      return {
        kind: 'partition',
        rank: 2,
        distance,
        message: `${at} maps ${arn}: partition ${a.partition}, but this identity is in partition ${b.partition}`,
      };
    }
  }
  if (distance <= Math.max(3, Math.floor(want.length / 12))) {
    return {
      kind: 'typo',
      rank: 3,
      distance,
      message: `${at} maps ${arn}, ${distance} character(s) away from ${canonicalArn}: a typo?`,
    };
  }
  if (distance <= Math.floor(want.length * 0.4)) {
    return { kind: 'closest', rank: 4, distance, message: `the closest entry is ${at}: ${arn}` };
  }
  return undefined;
}

/** The best near-miss among all entries for an identity that matched none. */
function findNearMiss(awsAuth: AwsAuth, canonicalArn: string): NearMiss | undefined {
  let best: (NearMiss & { rank: number; distance: number }) | undefined;
  for (const entry of [...awsAuth.roles, ...awsAuth.users]) {
    const miss = nearMissOf(entry, canonicalArn);
    if (miss && (!best || miss.rank < best.rank || (miss.rank === best.rank && miss.distance < best.distance))) {
      best = { ...miss, entry };
    }
  }
  if (!best) return undefined;
  return { kind: best.kind, entry: best.entry, message: best.message };
}

/**
 * Maps an identity through aws-auth as the EKS authenticator does: mapRoles, then mapUsers, then
 * mapAccounts, with templates rendered. Not mapped: the reason and the closest near-miss.
 */
export function mapIdentity(identity: MappingIdentity, awsAuth: AwsAuth): MappingResult {
  const notes = new Set<string>();
  const candidates = serverCandidates(awsAuth, identity.canonicalArn);
  const found = candidates.roles.length > 0 ? candidates.roles : candidates.users;
  if (found.length > 1) {
    const list = found.map((e) => `${e.section} entry ${e.index + 1} (line ${e.line})`).join(', ');
    notes.add(`${list} all match this ARN: the server picks any one of them, differently on every load; keep one`);
  }
  const entry = found[found.length - 1];
  if (entry?.dropped) {
    return {
      mapped: false,
      reason: 'not-mapped',
      message: `${entry.section} entry ${entry.index + 1} (line ${entry.line}) matches ${identity.canonicalArn}, but ${entry.dropped}`,
      nearMiss: {
        kind: 'dropped',
        entry,
        message: `${entry.section} entry ${entry.index + 1} (line ${entry.line}) names this ARN, but ${entry.dropped}`,
      },
      notes: [...notes],
    };
  }
  if (entry) {
    try {
      const username = renderTemplate(entry.username ?? '', identity, notes);
      const groups = entry.groups.map((g) => renderTemplate(g, identity, notes));
      return { mapped: true, username, groups, via: entry.section, entry, notes: [...notes] };
    } catch (why) {
      return {
        mapped: false,
        reason: 'template-error',
        message: `${entry.section} entry ${entry.index + 1} (line ${entry.line}) matches, but ${String(why)}`,
        notes: [...notes],
      };
    }
  }
  if (awsAuth.accounts.some((a) => a.account === identity.account)) {
    return {
      mapped: true,
      username: identity.canonicalArn,
      groups: [],
      via: 'mapAccounts',
      notes: [`account ${identity.account} is in mapAccounts: the username is the canonical ARN, with no groups`],
    };
  }
  const ignored = Object.entries(awsAuth.ignored).map(
    ([section, why]) => `${section} is ignored by the server (${why})`,
  );
  const message = [
    `${identity.canonicalArn} matches no mapRoles or mapUsers entry and account ${identity.account} is not in mapAccounts`,
    ...ignored,
  ].join('; ');
  const nearMiss = findNearMiss(awsAuth, identity.canonicalArn);
  return { mapped: false, reason: 'not-mapped', message, ...(nearMiss ? { nearMiss } : {}), notes: [...notes] };
}
