/**
 * `aws-auth check`: findings for an aws-auth ConfigMap before it is applied. The structural ones
 * come from parseAwsAuth (YAML errors, dropped entries); this adds what the server accepts but
 * never matches, silently overrides, or trusts too much.
 */
import { mappingArnProblem, parseAwsAuth, type AwsAuthEntry, type AwsAuthProblem } from './aws-auth';
import { parseArn } from '../aws/arn';

const KNOWN_PLACEHOLDERS = ['AccountID', 'SessionName', 'SessionNameRaw', 'AccessKeyID', 'EC2PrivateDNSName'];
const SESSION_NAME = /\{\{SessionName(Raw)?\}\}/;

function arnType(arn: string): string | undefined {
  const p = parseArn(arn);
  if (!p) return undefined;
  return p.resource === 'root' ? 'root' : p.resource.split('/')[0];
}

function lintEntry(entry: AwsAuthEntry, findings: AwsAuthProblem[]): void {
  const add = (line: number, severity: AwsAuthProblem['severity'], code: string, message: string): void => {
    findings.push({ line, severity, code, message });
  };
  const where = `${entry.section} entry ${entry.index + 1}`;
  const arnLine = entry.lines.arn ?? entry.line;
  if (entry.arn) {
    const problem = mappingArnProblem(entry.arn);
    if (problem) add(arnLine, 'error', problem.code, `${where}: ${problem.message}`);
    const type = arnType(entry.arn);
    if (!problem && entry.section === 'mapRoles' && type === 'user') {
      add(arnLine, 'warning', 'user-in-maproles', `${where}: ${entry.arn} is a user ARN under mapRoles; it matches, but belongs in mapUsers as userarn`);
    }
    if (!problem && entry.section === 'mapUsers' && type === 'role') {
      add(arnLine, 'warning', 'role-in-mapusers', `${where}: ${entry.arn} is a role ARN under mapUsers; it matches, but belongs in mapRoles as rolearn`);
    }
  }

  const templated: { text: string; line: number; what: 'username' | 'group' }[] = [];
  if (entry.username !== undefined) templated.push({ text: entry.username, line: entry.lines.username ?? entry.line, what: 'username' });
  for (const [i, g] of entry.groups.entries()) templated.push({ text: g, line: entry.lines.groups[i] ?? entry.line, what: 'group' });
  for (const { text, line, what } of templated) {
    for (const [, name = ''] of text.matchAll(/\{\{([^}]*)\}\}/g)) {
      if (!KNOWN_PLACEHOLDERS.includes(name)) {
        add(line, 'warning', 'unknown-placeholder', `${where}: {{${name}}} is not a template the server knows; it stays literal (known: ${KNOWN_PLACEHOLDERS.join(', ')})`);
      }
    }
    if (SESSION_NAME.test(text)) {
      // Session names are chosen by whoever calls AssumeRole (aws-iam-authenticator Identity.SessionName).
      if (what === 'group') {
        add(line, 'error', 'session-name-group', `${where}: group "${text}" uses the session name, which the caller chooses: anyone who can assume the role picks their own groups`);
      } else {
        add(line, 'warning', 'session-name-username', `${where}: username "${text}" uses the session name, which the caller chooses when assuming the role; it identifies nobody unless only a trusted system (SSO, EC2) can assume it`);
      }
    }
    if (text.includes('{{EC2PrivateDNSName}}') && entry.section === 'mapUsers') {
      add(line, 'error', 'ec2-template-user', `${where}: {{EC2PrivateDNSName}} needs an EC2 instance session; an IAM user has none, so the server refuses every sign-in through this entry`);
    }
    if (what === 'group' && text === 'system:masters') {
      add(line, 'warning', 'system-masters', `${where}: grants system:masters, which no RBAC rule can restrict or revoke; prefer a group bound to a ClusterRole, or an EKS access policy`);
    }
    if (what === 'group' && /\s/.test(text)) {
      add(line, 'warning', 'group-whitespace', `${where}: group "${text}" contains whitespace${text.includes(' - ') ? ': a mis-indented list item?' : ''}`);
    }
  }
}

/** Every finding for an aws-auth ConfigMap's text, in line order. */
export function lintAwsAuth(text: string): AwsAuthProblem[] {
  const awsAuth = parseAwsAuth(text);
  const findings = [...awsAuth.problems];
  const kept = [...awsAuth.roles, ...awsAuth.users];
  for (const entry of kept) lintEntry(entry, findings);

  // Duplicate ARNs: the server keys entries by lower-cased ARN, so the last one wins silently;
  // an ARN in both sections is always served by mapRoles, which is checked first.
  const last = new Map<string, AwsAuthEntry>();
  for (const entry of kept) {
    if (!entry.arn || entry.dropped) continue;
    const key = entry.arn.toLowerCase();
    const earlier = last.get(key);
    if (earlier && earlier.section === entry.section) {
      findings.push({
        line: earlier.lines.arn ?? earlier.line,
        severity: 'warning',
        code: 'duplicate',
        message: `${earlier.section} entry ${earlier.index + 1}: ${earlier.arn} is mapped again at line ${entry.line}; the server keeps only the last`,
      });
    } else if (earlier) {
      findings.push({
        line: entry.lines.arn ?? entry.line,
        severity: 'warning',
        code: 'duplicate',
        message: `mapUsers entry ${entry.index + 1}: ${entry.arn} is also in mapRoles (line ${earlier.line}), which the server checks first; this entry is never used`,
      });
      continue;
    }
    last.set(key, entry);
  }

  const accounts = new Map<string, number>();
  for (const { account, line, quoted } of awsAuth.accounts) {
    if (!/^\d{12}$/.test(account)) {
      findings.push({ line, severity: 'error', code: 'account', message: `mapAccounts: "${account}" is not a 12-digit account id; it never matches` });
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
      findings.push({ line, severity: 'warning', code: 'duplicate', message: `mapAccounts: ${account} is listed again (line ${seen})` });
    }
    accounts.set(account, line);
  }
  return findings.sort((a, b) => a.line - b.line);
}

/** `FILE:LINE: error|warning: message`, the format editors and CI annotations understand. */
export function formatFinding(file: string, finding: AwsAuthProblem): string {
  return `${file}:${finding.line}: ${finding.severity}: ${finding.message}`;
}
