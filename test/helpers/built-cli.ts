/**
 * The built eks-auth (dist/eks-auth.js), as kubectl and users run it. `npm test` builds first;
 * a test file run on its own builds once if dist/ is missing.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { runCommand, type CommandResult } from '../peers/peers';

export const REPO_ROOT = join(__dirname, '..', '..');
export const EKS_AUTH_JS = join(REPO_ROOT, 'dist', 'eks-auth.js');

export function ensureBuilt(): string {
  if (!existsSync(EKS_AUTH_JS)) execFileSync('npm', ['run', 'build'], { cwd: REPO_ROOT, stdio: 'ignore' });
  return EKS_AUTH_JS;
}

/** Runs `node dist/eks-auth.js ARGS` with exactly `env`. */
export function runEksAuth(
  args: string[],
  env: NodeJS.ProcessEnv,
  options: { input?: string; timeoutMs?: number } = {},
): Promise<CommandResult> {
  return runCommand(process.execPath, [ensureBuilt(), ...args], { env, ...options });
}

/** The presigned URL inside a `k8s-aws-v1.` token. */
export function tokenUrl(token: string): URL {
  const body = token.slice('k8s-aws-v1.'.length);
  return new URL(Buffer.from(body, 'base64url').toString('utf8'));
}

/** The same token with one hex digit of X-Amz-Signature changed. */
export function tamperSignature(token: string): string {
  const url = tokenUrl(token);
  const sig = url.searchParams.get('X-Amz-Signature') ?? '';
  const flipped = (sig[0] === 'a' ? 'b' : 'a') + sig.slice(1);
  const text = url.toString().replace(`X-Amz-Signature=${sig}`, `X-Amz-Signature=${flipped}`);
  return `k8s-aws-v1.${Buffer.from(text).toString('base64url')}`;
}
