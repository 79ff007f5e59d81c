/**
 * `eks-auth aws-auth check FILE`: lints an aws-auth ConfigMap before `kubectl apply`, so a YAML
 * slip or a mapping that can never match fails CI instead of locking people out.
 */
import { EksAuthError, ExitCode } from '../errors';
import { formatFinding, lintAwsAuth } from '../kube/aws-auth-lint';
import type { AwsAuthProblem } from '../kube/aws-auth';
import type { Deps } from '../ports';

export interface AwsAuthCheckInput {
  /** The file to read, as named in findings; `<stdin>` with `text`. */
  file: string;
  /** The ConfigMap's text when it was not read from `file` (`aws-auth check -` reads stdin). */
  text?: string;
  /** Warnings fail the check too. */
  strict: boolean;
}

export interface AwsAuthCheckReport {
  file: string;
  findings: AwsAuthProblem[];
  errors: number;
  warnings: number;
  /** True when the check fails: errors, or warnings under --strict. Exit code 8. */
  failed: boolean;
}

/** The ports aws-auth check uses: the file it reads. */
export type AwsAuthCheckDeps = Pick<Deps, 'files'>;

/** Lints the file. Throws EksAuthError(config) only when it cannot be read. */
export async function awsAuthCheck(input: AwsAuthCheckInput, deps: AwsAuthCheckDeps): Promise<AwsAuthCheckReport> {
  let text: string | undefined = input.text;
  try {
    text ??= deps.files.readText(input.file);
  } catch (err) {
    throw new EksAuthError(
      ExitCode.config,
      `could not read ${input.file}: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  if (text === undefined)
    throw new EksAuthError(ExitCode.config, `${input.file} does not exist`, { reason: 'no-file' });
  const findings = lintAwsAuth(text);
  const errors = findings.filter((f) => f.severity === 'error').length;
  const warnings = findings.length - errors;
  return { file: input.file, findings, errors, warnings, failed: errors > 0 || (input.strict && warnings > 0) };
}

/** One `FILE:LINE: severity: message` line per finding. */
export function formatAwsAuthCheck(report: AwsAuthCheckReport): string {
  return report.findings.map((f) => formatFinding(report.file, f)).join('\n');
}

/** `FILE: 2 errors, 1 warning` (or `FILE: ok`). */
export function summariseAwsAuthCheck(report: AwsAuthCheckReport): string {
  if (report.findings.length === 0) return `${report.file}: ok`;
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  return `${report.file}: ${plural(report.errors, 'error')}, ${plural(report.warnings, 'warning')}`;
}
