/**
 * `eks-auth kubeconfig migrate`: rewrites every user whose exec runs `aws eks get-token` or
 * `aws-iam-authenticator token` (any apiVersion, v1alpha1 included) into the equivalent
 * `eks-auth token` entry. Clusters, contexts and every other user stay as they are.
 */
import { EksAuthError, ExitCode } from '../errors';
import { buildExecConfig, describeExec, recogniseExec } from '../kube/exec-entry';
import { isRecord } from '../util/is-record';
import {
  kubeconfigPaths,
  listEntries,
  readKubeconfig,
  serializeKubeconfig,
  setEntryBody,
  withKubeconfigLock,
  writeKubeconfigFile,
  warnAboutExtraDocuments,
  type KubeconfigFile,
} from '../kube/kubeconfig-file';
import type { Deps } from '../ports';

export interface KubeconfigMigrateInput {
  /** `--kubeconfig`: the one file to migrate; default every KUBECONFIG file, else ~/.kube/config. */
  kubeconfig?: string;
  dryRun?: boolean;
  /** The absolute path of the eks-auth executable (`--absolute-command`), or `kubectl`; default `eks-auth`. */
  absoluteCommand?: string;
  /** Arguments before `token`: [`eks-auth`] for the kubectl plugin, [script] for node. */
  launchArgs?: string[];
}

interface FileResult {
  migrated: number;
  lines: string[];
}

/** The ports kubeconfig migrate uses: where the kubeconfig files are, and warnings. */
export type KubeconfigMigrateDeps = Pick<Deps, 'env' | 'homedir' | 'log'>;

/** Migrates the files and returns the diff-like summary for stdout. */
export async function kubeconfigMigrate(input: KubeconfigMigrateInput, deps: KubeconfigMigrateDeps): Promise<string> {
  const out: string[] = [];
  for (const path of kubeconfigPaths({ explicit: input.kubeconfig, env: deps.env, homedir: deps.homedir })) {
    const planned = readKubeconfig(path);
    if (!planned.exists) {
      // A file named with --kubeconfig must exist; KUBECONFIG entries that do not are skipped, as kubectl does.
      if (input.kubeconfig) {
        throw new EksAuthError(ExitCode.config, `the kubeconfig ${path} does not exist`, {
          hint: 'check the --kubeconfig path, or leave it out to migrate the files KUBECONFIG (or ~/.kube/config) names',
          reason: 'kubeconfig-missing',
        });
      }
      continue;
    }
    warnAboutExtraDocuments(planned, deps);
    let result = migrateUsers(planned, input.absoluteCommand, input.launchArgs);
    if (result.migrated > 0 && !input.dryRun) {
      result = withKubeconfigLock([path], () => {
        // Re-read under the lock: another writer may have finished in between.
        const file = readKubeconfig(path);
        const done = migrateUsers(file, input.absoluteCommand, input.launchArgs);
        if (done.migrated > 0) writeKubeconfigFile(path, serializeKubeconfig(file));
        return done;
      });
    }
    out.push(...result.lines);
    if (result.migrated === 0) out.push(`No aws eks get-token or aws-iam-authenticator users to migrate in ${path}`);
    else if (input.dryRun) out.push(`Would migrate ${plural(result.migrated)} in ${path} (dry run: nothing written)`);
    else out.push(`Migrated ${plural(result.migrated)} in ${path}`);
  }
  return out.join('\n');
}

/** Rewrites the recognised users of one file in memory; the lines say what changed. */
function migrateUsers(
  file: KubeconfigFile,
  absoluteCommand: string | undefined,
  launchArgs: string[] | undefined,
): FileResult {
  const lines: string[] = [];
  let migrated = 0;
  for (const { name, value } of listEntries(file, 'users')) {
    const user = value.user;
    const exec = isRecord(user) ? user.exec : undefined;
    const recognised = recogniseExec(exec);
    if (recognised === undefined || recognised.tool === 'eks-auth') continue;
    lines.push(`user ${name}:`);
    lines.push(`- ${describeExec(exec)}`);
    if ('unsupported' in recognised) {
      lines.push(`! not migrated: ${recognised.unsupported}; edit this user by hand`);
      continue;
    }
    const next = buildExecConfig(recognised.settings, absoluteCommand, launchArgs);
    setEntryBody(file, 'users', name, { ...(user as Record<string, unknown>), exec: next });
    lines.push(`+ ${describeExec(next)}`);
    for (const note of recognised.notes) lines.push(`! ${note}`);
    if (!recognised.settings.region) {
      lines.push('! no region in this entry: eks-auth takes it from AWS_REGION, AWS_DEFAULT_REGION or the profile');
    }
    migrated++;
  }
  return { migrated, lines };
}

function plural(n: number): string {
  return n === 1 ? '1 user' : `${n} users`;
}
