/**
 * How this eks-auth was started, for kubeconfig entries that must start it again: as the
 * standalone binary, as the kubectl plugin (`kubectl eks-auth`, the executable kubectl-eks_auth),
 * or as the JavaScript bundle on Node.js.
 */
import { accessSync, constants, realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { EksAuthError, ExitCode } from '../errors';

/** The name kubectl looks for on PATH to run `kubectl eks-auth` (kubectl's plugin naming: `-` becomes `_`). */
const KUBECTL_PLUGIN_NAME = 'kubectl-eks_auth';

/** A compiled binary (bun build --compile) runs its script from Bun's embedded file system. */
function isStandaloneBinary(): boolean {
  const script = process.argv[1] ?? '';
  return process.versions.bun !== undefined && (script.startsWith('/$bunfs/') || script.includes('~BUN'));
}

function baseName(path: string): string {
  return (path.split(/[\\/]/).pop() ?? path).replace(/\.(exe|cmd|js)$/i, '');
}

/** True when started under the kubectl plugin name (kubectl runs plugins by their path, argv[0] keeps the name). */
export function invokedAsKubectlPlugin(): boolean {
  const name = isStandaloneBinary() ? process.argv0 : (process.argv[1] ?? '');
  return baseName(name) === KUBECTL_PLUGIN_NAME;
}

/** How usage lines name the command: `kubectl eks-auth` when run as the plugin. */
export function commandName(): string {
  return invokedAsKubectlPlugin() ? 'kubectl eks-auth' : 'eks-auth';
}

function executable(path: string | undefined): string | undefined {
  if (!path) return undefined;
  try {
    const real = realpathSync(path);
    accessSync(real, constants.X_OK);
    return real;
  } catch {
    return undefined;
  }
}

/** The npm package of this platform's binary (scripts/build-npm.mjs names them so). */
function platformPackage(): string {
  const os = process.platform === 'win32' ? 'windows' : process.platform;
  let libc = '';
  if (process.platform === 'linux') {
    const header = (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header;
    if (header && header.glibcVersionRuntime === undefined) libc = '-musl';
  }
  return `@eks-auth/${os}-${process.arch}${libc}`;
}

/**
 * The native binary of an npm install that runs on Node.js (install scripts disabled, so the
 * JavaScript shim was left in place): the per-platform package beside the script, when installed.
 */
function npmPlatformBinary(script: string): string | undefined {
  try {
    const manifest = createRequire(script).resolve(`${platformPackage()}/package.json`);
    return executable(join(dirname(manifest), 'bin', process.platform === 'win32' ? 'eks-auth.exe' : 'eks-auth'));
  } catch {
    return undefined;
  }
}

/**
 * What a kubeconfig entry runs to start this eks-auth again, by absolute path (`--absolute-command`):
 * the binary itself; on Node.js the npm package's native binary when there is one, else this
 * node by its absolute path with the script as first argument (no `node` needed on kubectl's PATH).
 */
export function runningExecutable(): { command: string; launchArgs: string[] } {
  if (isStandaloneBinary()) {
    const self = executable(process.execPath);
    if (self) return { command: self, launchArgs: [] };
  } else {
    const script = executable(process.argv[1]) ?? (process.argv[1] ? safeRealpath(process.argv[1]) : undefined);
    const node = executable(process.execPath);
    if (script && node) {
      const native = npmPlatformBinary(script);
      return native ? { command: native, launchArgs: [] } : { command: node, launchArgs: [script] };
    }
  }
  throw new EksAuthError(
    ExitCode.usage,
    `--absolute-command: cannot tell the path of the running eks-auth (${process.argv[1] ?? process.execPath})`,
    {
      hint: 'run the installed eks-auth, or leave out --absolute-command',
    },
  );
}

function safeRealpath(path: string): string | undefined {
  try {
    return realpathSync(path);
  } catch {
    return undefined;
  }
}
