/**
 * Kubeconfig files: which ones kubectl reads, a YAML round trip that keeps every entry (and the
 * comments) we do not touch, and a safe write: kubectl's `<file>.lock`, a temp file in the same
 * directory, fsync, rename, mode 0600.
 */
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  lstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  rmSync,
} from 'node:fs';
import { basename, delimiter, dirname, join, resolve } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { Document, isMap, isScalar, isSeq, parseAllDocuments, type Node, type YAMLMap } from 'yaml';
import { EksAuthError, ExitCode } from '../errors';
import type { Env, Logger } from '../ports';
import { isRecord } from '../util/is-record';
import { writeFileAtomic } from '../util/write-file-atomic';

export type EntryKind = 'clusters' | 'users' | 'contexts';

/** The body key of each entry kind: `clusters[].cluster`, `users[].user`, `contexts[].context`. */
const ENTRY_BODY: Record<EntryKind, string> = { clusters: 'cluster', users: 'user', contexts: 'context' };

/** One kubeconfig file, parsed. Only the first YAML document counts: kubectl ignores the others. */
export interface KubeconfigFile {
  path: string;
  exists: boolean;
  doc: Document;
  /** Further YAML documents, written back unchanged. */
  extraDocuments: Document[];
}

export type Change = 'added' | 'updated' | 'unchanged';

// kubectl reads kubeconfig with YAML 1.1 rules (`on`, `yes`, `y` are booleans): parse and quote alike.
const PARSE_OPTIONS = { version: '1.1' } as const;
const STRINGIFY_OPTIONS = { lineWidth: 0, indentSeq: false, flowCollectionPadding: false } as const;

/**
 * The files kubectl reads, in order: `--kubeconfig`, else every KUBECONFIG path (deduplicated,
 * empty elements skipped), else ~/.kube/config.
 */
export function kubeconfigPaths(options: { explicit?: string; env: Env; homedir: string }): string[] {
  const expand = (p: string): string => resolve(p === '~' || p.startsWith('~/') ? join(options.homedir, p.slice(1)) : p);
  if (options.explicit) return [expand(options.explicit)];
  const fromEnv = (options.env.KUBECONFIG ?? '')
    .split(delimiter)
    .filter((p) => p.trim() !== '')
    .map(expand);
  const unique = [...new Set(fromEnv)];
  return unique.length > 0 ? unique : [join(options.homedir, '.kube', 'config')];
}

/** Reads and checks one file. A missing or empty file is a new, empty kubeconfig. */
export function readKubeconfig(path: string): KubeconfigFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { path, exists: false, doc: newKubeconfigDocument(), extraDocuments: [] };
    throw new EksAuthError(ExitCode.config, `cannot read kubeconfig ${path}: ${(err as Error).message}`, {
      hint: 'check the file permissions, or choose another file with --kubeconfig',
      cause: err,
      reason: 'kubeconfig-unreadable',
    });
  }
  return parseKubeconfig(path, text);
}

/** Parses kubeconfig text; `path` names the file in errors. */
export function parseKubeconfig(path: string, text: string): KubeconfigFile {
  const docs = parseAllDocuments(text, PARSE_OPTIONS);
  const [first, ...extraDocuments] = Array.isArray(docs) ? docs : [];
  const bad = first?.errors[0] ?? extraDocuments.find((d) => d.errors.length > 0)?.errors[0];
  if (bad) {
    throw new EksAuthError(ExitCode.config, `kubeconfig ${path} is not valid YAML: ${bad.message.split('\n')[0]}`, {
      hint: `fix the file (kubectl cannot read it either), or choose another one with --kubeconfig`,
      reason: 'kubeconfig-invalid',
    });
  }
  if (!first || first.contents === null) {
    return { path, exists: true, doc: newKubeconfigDocument(), extraDocuments };
  }
  checkShape(path, first);
  return { path, exists: true, doc: first, extraDocuments };
}

/** Loads every path. */
export function loadKubeconfigs(paths: string[]): KubeconfigFile[] {
  return paths.map(readKubeconfig);
}

/**
 * The file to write a cluster's entries to, as `aws eks update-kubeconfig` and kubectl choose it:
 * the first file that already holds the cluster, else the first file.
 */
export function chooseKubeconfig(files: KubeconfigFile[], clusterName: string): KubeconfigFile {
  const first = files[0];
  if (!first) throw new Error('no kubeconfig paths');
  return files.find((f) => findEntry(f, 'clusters', clusterName) !== undefined) ?? first;
}

/**
 * The file whose `current-context` kubectl obeys: the first one that sets it (client-go merges
 * first-wins), else `fallback`.
 */
export function currentContextFile(files: KubeconfigFile[], fallback: KubeconfigFile): KubeconfigFile {
  return files.find((f) => currentContext(f) !== undefined) ?? fallback;
}

/** The named entries of a kind, as plain values. */
export function listEntries(file: KubeconfigFile, kind: EntryKind): Array<{ name: string; value: Record<string, unknown> }> {
  const seq = file.doc.get(kind);
  if (!isSeq(seq)) return [];
  const out: Array<{ name: string; value: Record<string, unknown> }> = [];
  for (const item of seq.items) {
    if (!isMap(item)) continue;
    const name = item.get('name');
    if (typeof name === 'string') out.push({ name, value: item.toJS(file.doc) as Record<string, unknown> });
  }
  return out;
}

/** The entry's plain value (`{name, cluster: {...}}`), or undefined. */
export function findEntry(file: KubeconfigFile, kind: EntryKind, name: string): Record<string, unknown> | undefined {
  return listEntries(file, kind).find((e) => e.name === name)?.value;
}

/**
 * Adds or updates a named entry to equal `value`. Only keys that change are rewritten, so the
 * rest keeps its formatting and comments. An unchanged entry is left alone.
 */
export function setEntry(file: KubeconfigFile, kind: EntryKind, value: Record<string, unknown> & { name: string }): Change {
  const doc = file.doc;
  let seq = doc.get(kind);
  if (!isSeq(seq)) {
    doc.set(kind, doc.createNode([]));
    seq = doc.get(kind);
  }
  if (!isSeq(seq)) throw new Error(`cannot create ${kind}`);
  const index = seq.items.findIndex((item) => isMap(item) && item.get('name') === value.name);
  if (index < 0) {
    seq.items.push(doc.createNode(value));
    return 'added';
  }
  const existing = seq.items[index] as YAMLMap;
  if (isDeepStrictEqual(existing.toJS(doc), value)) return 'unchanged';
  patchMap(doc, existing, value);
  return 'updated';
}

/** Replaces the body of an existing entry (`users[].user` ...). */
export function setEntryBody(file: KubeconfigFile, kind: EntryKind, name: string, body: Record<string, unknown>): Change {
  return setEntry(file, kind, { ...findEntry(file, kind, name), name, [ENTRY_BODY[kind]]: body });
}

/** `current-context`, or undefined when unset or empty. */
export function currentContext(file: KubeconfigFile): string | undefined {
  const value = file.doc.get('current-context');
  return typeof value === 'string' && value !== '' ? value : undefined;
}

export function setCurrentContext(file: KubeconfigFile, name: string): Change {
  if (currentContext(file) === name) return 'unchanged';
  file.doc.set('current-context', name);
  return 'updated';
}

/** The file's new text. */
export function serializeKubeconfig(file: KubeconfigFile): string {
  return [file.doc, ...file.extraDocuments].map((d) => d.toString(STRINGIFY_OPTIONS)).join('');
}

/**
 * Runs `fn` holding kubectl's lock (`<file>.lock`, created exclusively) on each path, so that
 * eks-auth and `kubectl config` never interleave their writes.
 */
export function withKubeconfigLock<T>(paths: string[], fn: () => T): T {
  const held: string[] = [];
  try {
    for (const path of [...new Set(paths)]) {
      const lock = `${path}.lock`;
      mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
      try {
        closeSync(openSync(lock, 'wx', 0o600));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw writeError(path, err);
        throw new EksAuthError(ExitCode.config, `kubeconfig ${path} is locked by ${lock}`, {
          hint: `another kubectl or eks-auth is editing it: try again; if none is running, delete ${lock}`,
          reason: 'kubeconfig-locked',
        });
      }
      held.push(lock);
    }
    return fn();
  } finally {
    for (const lock of held) rmSync(lock, { force: true });
  }
}

/**
 * Writes a kubeconfig atomically with mode 0600: a temp file in the same directory, fsync, rename.
 * A symlinked kubeconfig stays a symlink: its target is replaced. Creates missing directories 0700.
 */
export function writeKubeconfigFile(path: string, text: string): void {
  const target = symlinkTarget(path);
  const dir = dirname(target);
  const tmp = join(dir, `.${basename(target)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    writeFileAtomic(target, text, { temp: tmp, fsync: true });
  } catch (err) {
    throw writeError(path, err);
  }
}

function symlinkTarget(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    try {
      // A dangling symlink: create the file it points to.
      if (lstatSync(path).isSymbolicLink()) return resolve(dirname(path), readlinkSync(path));
    } catch {
      // Does not exist at all.
    }
    return path;
  }
}

function writeError(path: string, err: unknown): EksAuthError {
  return new EksAuthError(ExitCode.config, `cannot write kubeconfig ${path}: ${(err as Error).message}`, {
    hint: `check the permissions of ${dirname(path)}, or choose another file with --kubeconfig`,
    cause: err,
    reason: 'kubeconfig-unwritable',
  });
}

function newKubeconfigDocument(): Document {
  // The key order kubectl writes.
  return new Document(
    { apiVersion: 'v1', clusters: [], contexts: [], 'current-context': '', kind: 'Config', preferences: {}, users: [] },
    PARSE_OPTIONS,
  );
}

function checkShape(path: string, doc: Document): void {
  const invalid = (what: string): EksAuthError =>
    new EksAuthError(ExitCode.config, `kubeconfig ${path} is not valid: ${what}`, {
      hint: `fix the file (\`kubectl config view --kubeconfig ${path}\` shows what kubectl reads), or choose another one with --kubeconfig`,
      reason: 'kubeconfig-invalid',
    });
  if (!isMap(doc.contents)) throw invalid('the top level is not a mapping');
  for (const kind of ['clusters', 'users', 'contexts'] as const) {
    const node = doc.get(kind, true) as Node | undefined;
    if (node === undefined || (isScalar(node) && node.value === null)) continue;
    if (!isSeq(node)) throw invalid(`${kind} is not a list`);
    node.items.forEach((item, i) => {
      if (!isMap(item)) throw invalid(`${kind}[${i}] is not a mapping`);
      if (typeof item.get('name') !== 'string') throw invalid(`${kind}[${i}] has no name`);
    });
  }
}

/** Makes `map` equal `value`, replacing only what differs. */
function patchMap(doc: Document, map: YAMLMap, value: Record<string, unknown>): void {
  for (const key of map.items.map((pair) => (isScalar(pair.key) ? pair.key.value : pair.key))) {
    if (typeof key !== 'string' || !(key in value)) map.delete(key);
  }
  for (const [key, next] of Object.entries(value)) {
    const current = map.get(key, true) as Node | undefined;
    const currentValue: unknown = current === undefined ? undefined : isScalar(current) ? current.value : current.toJS(doc);
    if (current !== undefined && isDeepStrictEqual(currentValue, next)) continue;
    if (isMap(current) && isRecord(next)) patchMap(doc, current, next);
    else map.set(key, doc.createNode(next));
  }
}

/** Warns that only the first YAML document of the file is read and edited, as kubectl does. */
export function warnAboutExtraDocuments(file: KubeconfigFile, deps: { log: Logger }): void {
  if (file.extraDocuments.length > 0) {
    deps.log.warn(
      `${file.path} has ${file.extraDocuments.length} more YAML document(s) after the first; kubectl reads only the first, so eks-auth edits only that one`,
    );
  }
}
