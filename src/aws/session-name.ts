/**
 * Role session names. STS shows the name in CloudTrail, and EKS's default access-entry username
 * for a role is `assumed-role/<role>/{{SessionName}}`, so the default says who: `eks-auth-<user>`
 * (botocore's `botocore-session-<unix time>` and `aws eks get-token`'s `EKSGetTokenAuth` do not).
 */
import type { CallerIdentity, Deps } from '../ports';
import { parsePrincipal } from './arn';

const PREFIX = 'eks-auth-';
/** STS RoleSessionName: `[\w+=,.@-]{2,64}` (AssumeRole API reference). */
const MAX_LENGTH = 64;
const FALLBACK = 'eks-auth';

/**
 * The local user name as Python's getpass.getuser finds it: LOGNAME, USER, LNAME, USERNAME, then
 * the password database (`userName`, which loads node:os: asked only when none of these is set).
 */
export function localUserName(deps: Pick<Deps, 'env' | 'userName'>): string | undefined {
  const env = deps.env;
  return env.LOGNAME || env.USER || env.LNAME || env.USERNAME || deps.userName?.() || undefined;
}

/**
 * `eks-auth-<user>`, the user name kept to STS's characters (others become `-`, as in
 * `DOMAIN\alice` → `DOMAIN-alice`) and cut to fit 64 characters; `eks-auth` when there is no
 * user name with a letter or digit in it.
 */
export function defaultSessionName(deps: Pick<Deps, 'env' | 'userName'>): string {
  const user = (localUserName(deps) ?? '').replace(/[^\w+=,.@-]/g, '-').slice(0, MAX_LENGTH - PREFIX.length);
  return /[A-Za-z0-9]/.test(user) ? `${PREFIX}${user}` : FALLBACK;
}

/**
 * The caller's own session name for --forward-session-name: the last part of its assumed-role ARN
 * (or a federated user's name), as aws-iam-authenticator forwards the part of the UserId after
 * `:` (pkg/token/token.go). Undefined for IAM users and roots, which have none.
 */
export function callerSessionName(identity: CallerIdentity): string | undefined {
  try {
    const principal = parsePrincipal(identity.arn);
    const name =
      principal.kind === 'assumed-role'
        ? principal.sessionName
        : principal.kind === 'federated-user'
          ? principal.name
          : undefined;
    return name && /^[\w+=,.@-]{2,64}$/.test(name) ? name : undefined;
  } catch {
    return undefined;
  }
}
