/**
 * Where the cache lives and whether it is safe to keep secrets there. Entries hold bearer tokens and
 * AWS secret keys, so the directory must be 0700 and each file 0600, both owned by the user
 * (aws-iam-authenticator refuses a group- or other-readable cache file for the same reason).
 */
import { closeSync, constants, fstatSync, lstatSync, mkdirSync, openSync, statSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import type { Env } from '../ports';

/** `$KUBECACHEDIR/eks-auth`, else `~/.kube/cache/eks-auth`: kubectl's cache directory, as kubelogin uses it. */
export function cacheDirectory(env: Env, homedir: string): string {
  return join(env.KUBECACHEDIR || join(homedir, '.kube', 'cache'), 'eks-auth');
}

const OFF = new Set(['1', 'true', 'yes', 'on']);
const ON = new Set(['', '0', 'false', 'no', 'off']);

/** Whether EKS_AUTH_NO_CACHE turns the cache off; `problem` names a value that is neither yes nor no. */
export function cacheDisabledByEnv(env: Env): { disabled: boolean; problem?: string } {
  const raw = env.EKS_AUTH_NO_CACHE;
  if (raw === undefined) return { disabled: false };
  const value = raw.trim().toLowerCase();
  if (OFF.has(value)) return { disabled: true };
  if (ON.has(value)) return { disabled: false };
  // A typo must not silently leave a cache on that the user meant to turn off.
  return {
    disabled: true,
    problem: `EKS_AUTH_NO_CACHE=${raw.slice(0, 20)} is not 1/true or 0/false; the cache is off`,
  };
}

/**
 * Why a cache directory or file is unsafe, or undefined when it is fine: another owner, any
 * permission bit for group or others, or the wrong file type. `uid` is undefined where POSIX
 * ownership does not exist (Windows), and then only the type is checked.
 */
export function unsafeReason(
  stat: Stats,
  path: string,
  uid: number | undefined,
  expect: 'directory' | 'file',
): string | undefined {
  if (expect === 'directory' ? !stat.isDirectory() : !stat.isFile()) return `${path} is not a ${expect}`;
  if (uid === undefined) return undefined;
  if (stat.uid !== uid) return `${path} is owned by another user (uid ${stat.uid})`;
  if ((stat.mode & 0o077) !== 0) {
    const mode = (stat.mode & 0o777).toString(8).padStart(4, '0');
    const wanted = expect === 'directory' ? '700' : '600';
    return `${path} is accessible to group or others (mode ${mode}); run \`chmod ${wanted} ${path}\``;
  }
  return undefined;
}

/** The directory's problem, `missing` when it does not exist yet, undefined when it is fine. */
export function checkDirectory(path: string, uid: number | undefined): string | 'missing' | undefined {
  const stat = lstatSync(path, { throwIfNoEntry: false });
  if (stat === undefined) return 'missing';
  // The token path refuses a link at the directory's name (openDirectory): say so here too.
  if (stat.isSymbolicLink())
    return `${path} is a symbolic link; replace it with the directory itself, or set KUBECACHEDIR`;
  return unsafeReason(stat, path, uid, 'directory');
}

/**
 * The cache directory, opened once: `base` is the path that every entry, lock and temp file is
 * named under. On Linux that is `/proc/self/fd/<fd>`, which resolves through the open descriptor,
 * so renaming the directory away and putting a symlink or another directory in its place after the
 * check cannot redirect a write (Node has no openat). Elsewhere it is the path itself, and
 * `stillThere` compares the path's identity (dev, ino) with the descriptor's before each write.
 */
export interface OpenDirectory {
  base: string;
  /** Whether `path` still names the directory that was checked. */
  stillThere(): boolean;
}

/**
 * Opens and checks the cache directory without following a symlink at its own name (a link in a
 * parent directory, such as a symlinked ~/.kube, is followed). Returns its problem as a string,
 * `missing` when it does not exist and `create` is false.
 */
export function openDirectory(
  path: string,
  uid: number | undefined,
  create: boolean,
): OpenDirectory | 'missing' | string {
  if (create) mkdirSync(path, { recursive: true, mode: 0o700 });
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | (constants.O_DIRECTORY ?? 0) | (constants.O_NOFOLLOW ?? 0));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return 'missing';
    // With O_DIRECTORY, Linux reports a symlink as ENOTDIR rather than ELOOP.
    if (code === 'ELOOP' || (code === 'ENOTDIR' && lstatSync(path, { throwIfNoEntry: false })?.isSymbolicLink())) {
      return `${path} is a symbolic link; replace it with the directory itself, or set KUBECACHEDIR`;
    }
    if (code === 'ENOTDIR') return `${path} is not a directory`;
    // Windows cannot open a directory as a file: check it by path, and its identity before each write.
    if (code === 'EISDIR' || code === 'EPERM') return byPath(path, uid);
    throw err;
  }
  let keep = false;
  try {
    const stat = fstatSync(fd);
    const problem = unsafeReason(stat, path, uid, 'directory');
    if (problem) return problem;
    const same = (other: Stats | undefined) => other !== undefined && other.dev === stat.dev && other.ino === stat.ino;
    const viaFd = `/proc/self/fd/${fd}`;
    let base = path;
    try {
      if (same(statSync(viaFd, { throwIfNoEntry: false }))) base = viaFd;
    } catch {
      // no /proc: work by path and re-check identity
    }
    keep = true;
    return { base, stillThere: () => base === viaFd || same(lstatSync(path, { throwIfNoEntry: false })) };
  } finally {
    // The descriptor stays open for the life of the process when /proc names entries through it.
    if (!keep) closeSync(fd);
  }
}

function byPath(path: string, uid: number | undefined): OpenDirectory | string {
  const stat = lstatSync(path);
  if (stat.isSymbolicLink())
    return `${path} is a symbolic link; replace it with the directory itself, or set KUBECACHEDIR`;
  const problem = unsafeReason(stat, path, uid, 'directory');
  if (problem) return problem;
  return {
    base: path,
    stillThere: () => {
      const now = lstatSync(path, { throwIfNoEntry: false });
      return now !== undefined && now.dev === stat.dev && now.ino === stat.ino;
    },
  };
}
