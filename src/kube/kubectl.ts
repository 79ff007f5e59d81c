/**
 * kubectl as a port: the real one runs kubectl from PATH with the user's environment (KUBECONFIG,
 * exec plugins); a failed `kubectl get` is told apart by what kubectl wrote on stderr.
 */
import { execFile } from 'node:child_process';
import { EksAuthError, ExitCode } from '../errors';
import type { KubectlPort } from '../ports';

/** kubectl from PATH, with the user's environment (KUBECONFIG, exec plugins). */
export const kubectlFromPath: KubectlPort = {
  run: (args) =>
    new Promise((resolve, reject) => {
      execFile('kubectl', [...args], { maxBuffer: 16 * 1024 * 1024, timeout: 60_000 }, (err, stdout, stderr) => {
        if (err && (err as NodeJS.ErrnoException).code === 'ENOENT') {
          reject(
            new EksAuthError(
              ExitCode.config,
              'kubectl is not on PATH; --from-cluster runs kubectl get configmap aws-auth',
              {
                reason: 'no-kubectl',
                hint: 'install kubectl, or save the ConfigMap elsewhere and pass it with --aws-auth FILE',
              },
            ),
          );
          return;
        }
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ exitCode: code, stdout, stderr });
      });
    }),
};

/** The error for a kubectl get of kube-system/aws-auth that exited non-zero, classified by its stderr. */
export function kubectlFailure(exitCode: number, stderr: string): EksAuthError {
  const said = stderr.trim().split('\n').pop() ?? '';
  if (/NotFound|not found/.test(stderr)) {
    return new EksAuthError(ExitCode.config, 'the cluster has no ConfigMap kube-system/aws-auth', {
      reason: 'no-aws-auth',
      hint: 'the cluster may use EKS access entries only (authentication mode API): see aws eks list-access-entries',
    });
  }
  if (/Unauthorized|must be logged in|Forbidden/i.test(stderr)) {
    return new EksAuthError(ExitCode.credentials, `kubectl may not read kube-system/aws-auth: ${said}`, {
      reason: 'kubectl-denied',
      hint: 'run explain with --aws-auth FILE on a copy of the ConfigMap, or with a kubeconfig/context that can read it',
    });
  }
  if (/Unable to connect|connection refused|no such host|i\/o timeout/i.test(stderr)) {
    return new EksAuthError(ExitCode.network, `kubectl could not reach the cluster: ${said}`, {
      reason: 'kubectl-network',
    });
  }
  return new EksAuthError(ExitCode.config, `kubectl get configmap aws-auth failed (exit ${exitCode}): ${said}`, {
    reason: 'kubectl-failed',
    hint: 'check --kubeconfig and --context',
  });
}
