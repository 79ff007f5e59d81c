/**
 * `aws-auth check`: findings for an aws-auth ConfigMap before it is applied. The structural ones
 * come from parseAwsAuth (YAML errors, dropped entries); this adds what the server accepts but
 * never matches, silently overrides, or trusts too much.
 */
import { parseAwsAuth, type AwsAuthEntry, type AwsAuthProblem } from './aws-auth';
import { mappingArnProblem } from './aws-auth-map';
import { goEqualFold, goToLower, sameFold, storeKey } from './aws-auth-yaml';
import { parseArn } from '../aws/arn';

const KNOWN_PLACEHOLDERS = ['AccountID', 'SessionName', 'SessionNameRaw', 'AccessKeyID', 'EC2PrivateDNSName'];
const SESSION_NAME = /\{\{SessionName(Raw)?\}\}/;

function arnType(arn: string): string | undefined {
  const p = parseArn(arn);
  if (!p) return undefined;
  return p.resource === 'root' ? 'root' : p.resource.split('/')[0];
}

// What IAM allows in an ARN: printable ASCII (names use [\w+=,.@-], paths also other printable characters).
const IAM_CHARACTER = /^[\x21-\x7e]$/;

function hex(cp: number): string {
  return `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;
}

/**
 * An ARN with a character IAM never allows can match no signed-in identity as written, yet the
 * server may still give it a meaning: strings.EqualFold folds the Kelvin sign to k and ſ to s,
 * so the entry grants the ASCII role; strings.ToLower turns İ into i, so the entry replaces the
 * ASCII role's entry in the server's store. Undefined when every character is one IAM allows.
 */
function foreignCharacterProblem(arn: string, section: AwsAuthEntry['section']): string | undefined {
  const bad = [...arn].filter((c) => !IAM_CHARACTER.test(c));
  if (bad.length === 0) return undefined;
  const list = [...new Set(bad)].map((c) => `${hex(c.codePointAt(0) ?? 0)} ${JSON.stringify(c)}`).join(', ');
  // The ASCII ARN the server folds it to, when there is one.
  let folded = '';
  for (const c of arn) {
    const cp = c.codePointAt(0) ?? 0;
    if (IAM_CHARACTER.test(c)) folded += c;
    else {
      const ascii = [...'abcdefghijklmnopqrstuvwxyz'].find((a) => sameFold(cp, a.codePointAt(0) ?? 0));
      folded += ascii ?? c;
    }
  }
  const head = `${arn} contains ${list}, which IAM never allows in an ARN`;
  if (folded !== arn && [...folded].every((c) => IAM_CHARACTER.test(c)) && goEqualFold(arn, folded)) {
    return `${head}; the server still matches it to ${folded} (Go's strings.EqualFold folds it), so this entry grants ${folded} while it reads as something else`;
  }
  const lowered = goToLower(arn);
  if (section === 'mapRoles' && [...lowered].every((c) => IAM_CHARACTER.test(c))) {
    return `${head}; no identity matches it, but the server stores roles under Go's strings.ToLower of the ARN (${lowered}), so it replaces an earlier entry for that role`;
  }
  return `${head}: no identity matches it (a look-alike of an ASCII name?)`;
}

function lintEntry(entry: AwsAuthEntry, findings: AwsAuthProblem[]): void {
  const add = (line: number, severity: AwsAuthProblem['severity'], code: string, message: string): void => {
    findings.push({ line, severity, code, message });
  };
  const where = `${entry.section} entry ${entry.index + 1}`;
  const arnLine = entry.lines.arn ?? entry.line;
  const foreign = entry.arn ? foreignCharacterProblem(entry.arn, entry.section) : undefined;
  if (entry.arn && foreign) {
    add(arnLine, 'error', 'arn-character', `${where}: ${foreign}`);
  } else if (entry.arn) {
    const problem = mappingArnProblem(entry.arn);
    if (problem) add(arnLine, 'error', problem.code, `${where}: ${problem.message}`);
    const type = arnType(entry.arn);
    if (!problem && entry.section === 'mapRoles' && type === 'user') {
      add(
        arnLine,
        'warning',
        'user-in-maproles',
        `${where}: ${entry.arn} is a user ARN under mapRoles; it matches, but belongs in mapUsers as userarn`,
      );
    }
    if (!problem && entry.section === 'mapUsers' && type === 'role') {
      add(
        arnLine,
        'warning',
        'role-in-mapusers',
        `${where}: ${entry.arn} is a role ARN under mapUsers; it matches, but belongs in mapRoles as rolearn`,
      );
    }
  }

  const templated: { text: string; line: number; what: 'username' | 'group' }[] = [];
  if (entry.username !== undefined)
    templated.push({ text: entry.username, line: entry.lines.username ?? entry.line, what: 'username' });
  for (const [i, g] of entry.groups.entries())
    templated.push({ text: g, line: entry.lines.groups[i] ?? entry.line, what: 'group' });
  for (const { text, line, what } of templated) {
    for (const [, name = ''] of text.matchAll(/\{\{([^}]*)\}\}/g)) {
      if (!KNOWN_PLACEHOLDERS.includes(name)) {
        add(
          line,
          'warning',
          'unknown-placeholder',
          `${where}: {{${name}}} is not a template the server knows; it stays literal (known: ${KNOWN_PLACEHOLDERS.join(', ')})`,
        );
      }
    }
    if (SESSION_NAME.test(text)) {
      // Session names are chosen by whoever calls AssumeRole (aws-iam-authenticator Identity.SessionName).
      if (what === 'group') {
        add(
          line,
          'error',
          'session-name-group',
          `${where}: group "${text}" uses the session name, which the caller chooses: anyone who can assume the role picks their own groups`,
        );
      } else {
        add(
          line,
          'warning',
          'session-name-username',
          `${where}: username "${text}" uses the session name, which the caller chooses when assuming the role; it identifies nobody unless only a trusted system (SSO, EC2) can assume it`,
        );
      }
    }
    if (text.includes('{{EC2PrivateDNSName}}') && entry.section === 'mapUsers') {
      add(
        line,
        'error',
        'ec2-template-user',
        `${where}: {{EC2PrivateDNSName}} needs an EC2 instance session; an IAM user has none, so the server refuses every sign-in through this entry`,
      );
    }
    if (what === 'group' && text === 'system:masters') {
      add(
        line,
        'warning',
        'system-masters',
        `${where}: grants system:masters, which no RBAC rule can restrict or revoke; prefer a group bound to a ClusterRole, or an EKS access policy`,
      );
    }
    if (what === 'group' && /\s/.test(text)) {
      add(
        line,
        'warning',
        'group-whitespace',
        `${where}: group "${text}" contains whitespace${text.includes(' - ') ? ': a mis-indented list item?' : ''}`,
      );
    }
  }
}

/** Every finding for an aws-auth ConfigMap's text, in line order. */
export function lintAwsAuth(text: string): AwsAuthProblem[] {
  const awsAuth = parseAwsAuth(text);
  const findings = [...awsAuth.problems];
  const kept = [...awsAuth.roles, ...awsAuth.users];
  for (const entry of kept) lintEntry(entry, findings);

  // Duplicate ARNs, as the server stores them (configmap.go saveMap): roles under Go's
  // strings.ToLower of the ARN, users under the ARN as written; a later entry replaces an earlier
  // one. Entries that strings.EqualFold-match each other under different keys are all kept, and the
  // server answers with any one of them. mapRoles is checked before mapUsers.
  const stored = new Map<string, AwsAuthEntry>();
  for (const entry of kept) {
    if (!entry.arn || entry.invalid) continue;
    const key = `${entry.section}\u0000${storeKey(entry.section, entry.arn)}`;
    const earlier = stored.get(key);
    if (earlier) {
      findings.push({
        line: earlier.lines.arn ?? earlier.line,
        severity: 'warning',
        code: 'duplicate',
        message: `${earlier.section} entry ${earlier.index + 1}: ${earlier.arn} is mapped again at line ${entry.line}; the server keeps only the last`,
      });
    }
    stored.set(key, entry);
  }
  // Only entries with the same rough fold can be EqualFold-equal: compare within those groups.
  const groups = new Map<string, AwsAuthEntry[]>();
  for (const entry of stored.values()) {
    const rough = [...(entry.arn ?? '')]
      .map((c) => (c === '\u212a' ? 'k' : c === '\u017f' ? 's' : c < '\u0080' ? c.toLowerCase() : '?'))
      .join('');
    groups.set(rough, [...(groups.get(rough) ?? []), entry]);
  }
  for (const group of groups.values())
    group.forEach((entry, i) => {
      for (const other of group.slice(0, i)) {
        if (!goEqualFold(entry.arn ?? '', other.arn ?? '')) continue;
        if (other.section === entry.section) {
          findings.push({
            line: entry.lines.arn ?? entry.line,
            severity: 'error',
            code: 'ambiguous',
            message: `${entry.section} entry ${entry.index + 1}: ${entry.arn} and entry ${other.index + 1} (line ${other.line}, ${other.arn}) match the same identities; the server answers with either, at random`,
          });
        } else if (entry.section === 'mapUsers') {
          findings.push({
            line: entry.lines.arn ?? entry.line,
            severity: 'warning',
            code: 'duplicate',
            message: `mapUsers entry ${entry.index + 1}: ${entry.arn} is also in mapRoles (line ${other.line}), which the server checks first; this entry is never used`,
          });
        }
      }
    });

  const accounts = new Map<string, number>();
  for (const { account, line, quoted } of awsAuth.accounts) {
    if (!/^\d{12}$/.test(account)) {
      findings.push({
        line,
        severity: 'error',
        code: 'account',
        message: `mapAccounts: "${account}" is not a 12-digit account id; it never matches`,
      });
    } else if (!quoted) {
      findings.push({
        line,
        severity: 'warning',
        code: 'unquoted-account',
        message: `mapAccounts: ${account} is an unquoted YAML number${account.startsWith('0') ? ' with a leading zero, which YAML 1.2 tools (yq, Terraform, most libraries) drop or read as octal' : '; tools that re-serialise the ConfigMap may rewrite it'}: write "${account}"`,
      });
    }
    const seen = accounts.get(account);
    if (seen !== undefined) {
      findings.push({
        line,
        severity: 'warning',
        code: 'duplicate',
        message: `mapAccounts: ${account} is listed again (line ${seen})`,
      });
    }
    accounts.set(account, line);
  }
  return findings.sort((a, b) => a.line - b.line);
}

/** `FILE:LINE: error|warning: message`, the format editors and CI annotations understand. */
export function formatFinding(file: string, finding: AwsAuthProblem): string {
  return `${file}:${finding.line}: ${finding.severity}: ${finding.message}`;
}
