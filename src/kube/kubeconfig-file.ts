/**
 * Kubeconfig files: which ones kubectl reads, a YAML round trip that keeps every entry (and the
 * comments) we do not touch, and a safe write: kubectl's `<file>.lock`, a temp file in the same
 * directory, fsync, rename, mode 0600.
 */
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  constants,
  fstatSync,
  lstatSync,
  mkdirSync,
  openSync,
  readSync,
  readlinkSync,
  realpathSync,
  rmSync,
} from 'node:fs';
import { basename, delimiter, dirname, join, resolve } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { Document, isAlias, isMap, isScalar, isSeq, parseAllDocuments, visit, type Node, type YAMLMap } from 'yaml';
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
// A repeated key is no error for kubectl (yaml.v2): the last one wins, as in the yaml package's toJS.
const PARSE_OPTIONS = { version: '1.1', uniqueKeys: false } as const;

/** The largest kubeconfig eks-auth reads; a larger file (or a device) is refused instead of read without bound. */
export const MAX_KUBECONFIG_BYTES = 16 * 1024 * 1024;
const STRINGIFY_OPTIONS = { lineWidth: 0, indentSeq: false, flowCollectionPadding: false } as const;

/**
 * The files kubectl reads, in order: `--kubeconfig`, else every KUBECONFIG path (deduplicated,
 * empty elements skipped), else ~/.kube/config.
 */
export function kubeconfigPaths(options: { explicit?: string; env: Env; homedir: string }): string[] {
  const expand = (p: string): string =>
    resolve(p === '~' || p.startsWith('~/') ? join(options.homedir, p.slice(1)) : p);
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
  let bytes: Buffer;
  try {
    bytes = readBounded(path, MAX_KUBECONFIG_BYTES);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT')
      return { path, exists: false, doc: newKubeconfigDocument(), extraDocuments: [] };
    if (err instanceof EksAuthError) throw err;
    throw new EksAuthError(ExitCode.config, `cannot read kubeconfig ${path}: ${(err as Error).message}`, {
      hint: 'check the file permissions, or choose another file with --kubeconfig',
      cause: err,
      reason: 'kubeconfig-unreadable',
    });
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    // kubectl refuses it too ("yaml: invalid leading UTF-8 octet"); decoding it with replacement
    // characters and writing it back would corrupt whatever the bad bytes belong to (a token).
    throw new EksAuthError(ExitCode.config, `kubeconfig ${path} is not valid UTF-8 text; kubectl refuses it too`, {
      hint: `find the bad bytes with \`iconv -f utf-8 -t utf-8 ${path} >/dev/null\`, or choose another file with --kubeconfig`,
      reason: 'kubeconfig-invalid',
    });
  }
  return parseKubeconfig(path, text);
}

/** Reads a regular file of at most `limit` bytes; a FIFO, device or larger file is refused. */
function readBounded(path: string, limit: number): Buffer {
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) {
      throw new EksAuthError(ExitCode.config, `kubeconfig ${path} is not a regular file`, {
        hint: 'point KUBECONFIG or --kubeconfig at a file',
        reason: 'kubeconfig-unreadable',
      });
    }
    if (st.size > limit) {
      throw new EksAuthError(
        ExitCode.config,
        `kubeconfig ${path} is ${st.size} bytes, more than the ${limit} eks-auth reads`,
        {
          hint: 'is this the right file? choose another one with --kubeconfig',
          reason: 'kubeconfig-too-large',
        },
      );
    }
    const buf = Buffer.alloc(Math.min(limit + 1, Math.max(st.size + 1, 64 * 1024)));
    let length = 0;
    for (;;) {
      if (length === buf.length) break;
      const n = readSync(fd, buf, length, buf.length - length, null);
      if (n === 0) break;
      length += n;
    }
    if (length > limit) {
      throw new EksAuthError(ExitCode.config, `kubeconfig ${path} is more than the ${limit} bytes eks-auth reads`, {
        hint: 'is this the right file? choose another one with --kubeconfig',
        reason: 'kubeconfig-too-large',
      });
    }
    return buf.subarray(0, length);
  } finally {
    closeSync(fd);
  }
}

/** Parses kubeconfig text; `path` names the file in errors. */
export function parseKubeconfig(path: string, text: string): KubeconfigFile {
  const docs = parseAllDocuments(text, PARSE_OPTIONS);
  const [first, ...extraDocuments] = Array.isArray(docs) ? docs : [];
  const bad = first?.errors[0] ?? extraDocuments.find((d) => d.errors.length > 0)?.errors[0];
  if (bad) {
    // The yaml package reports nesting deeper than its stack allows as an error of its own; kubectl
    // (yaml.v2) reads up to 10000 levels. Say which it is, and do not claim kubectl fails too.
    const tooDeep = /Maximum call stack size exceeded/.test(bad.message);
    throw new EksAuthError(
      ExitCode.config,
      tooDeep
        ? `kubeconfig ${path} is nested too deeply for eks-auth to edit it safely`
        : `kubeconfig ${path} is not valid YAML: ${bad.message.split('\n')[0]}`,
      {
        hint: `\`kubectl config view --kubeconfig ${path}\` shows whether kubectl reads it; edit this cluster's entries in another file with --kubeconfig`,
        reason: 'kubeconfig-invalid',
      },
    );
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
export function listEntries(
  file: KubeconfigFile,
  kind: EntryKind,
): Array<{ name: string; value: Record<string, unknown> }> {
  const seq = file.doc.get(kind);
  if (!isSeq(seq)) return [];
  const out: Array<{ name: string; value: Record<string, unknown> }> = [];
  for (const item of seq.items) {
    // toJS expands aliases and merge keys, and keeps the last of repeated keys, as kubectl reads it.
    const value: unknown = isMap(item) || isAlias(item) ? item.toJS(file.doc) : undefined;
    if (isRecord(value) && typeof value.name === 'string') out.push({ name: value.name, value });
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
export function setEntry(
  file: KubeconfigFile,
  kind: EntryKind,
  value: Record<string, unknown> & { name: string },
): Change {
  const doc = file.doc;
  let seq = doc.get(kind);
  if (!isSeq(seq)) {
    doc.set(kind, doc.createNode([]));
    seq = doc.get(kind);
  }
  if (!isSeq(seq)) throw new Error(`cannot create ${kind}`);
  const index = seq.items.findIndex((item) => {
    const v: unknown = isMap(item) || isAlias(item) ? item.toJS(doc) : undefined;
    return isRecord(v) && v.name === value.name;
  });
  if (index < 0) {
    seq.items.push(doc.createNode(value));
    return 'added';
  }
  const item = seq.items[index];
  if (isDeepStrictEqual((item as Node).toJS(doc), value)) return 'unchanged';
  if (!isMap(item)) {
    // An alias of another entry: write this entry out in full, leaving the other one alone.
    seq.items[index] = doc.createNode(value);
    return 'updated';
  }
  unshare(doc, item);
  patchMap(doc, item, value);
  return 'updated';
}

/** Replaces the body of an existing entry (`users[].user` ...). */
export function setEntryBody(
  file: KubeconfigFile,
  kind: EntryKind,
  name: string,
  body: Record<string, unknown>,
): Change {
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
      const value: unknown = isMap(item) || isAlias(item) ? item.toJS(doc) : undefined;
      if (!isRecord(value)) throw invalid(`${kind}[${i}] is not a mapping`);
      if (typeof value.name !== 'string') throw invalid(`${kind}[${i}] has no name`);
    });
  }
}

/**
 * Before `entry` is edited in place: every alias elsewhere in the document that refers to a node
 * inside it becomes a copy of that node, so that the edit changes this entry only. kubectl, which
 * writes the file from what it read, changes only the entry it is asked to (aliases expanded).
 */
function unshare(doc: Document, entry: YAMLMap): void {
  const inside = new Set<unknown>();
  visit(entry, (_key, node) => {
    inside.add(node);
  });
  visit(doc, {
    Alias(_key, node, path) {
      if (path.includes(entry)) return undefined;
      const target = node.resolve(doc);
      if (!target || !inside.has(target)) return undefined;
      const copy = target.clone() as Node;
      // The copy must not define the anchor again: the original keeps it.
      visit(copy, (_k, n) => {
        if (n && typeof n === 'object' && 'anchor' in n) delete (n as { anchor?: string }).anchor;
      });
      return copy;
    },
  });
  // Merge keys inside the entry bring in fields it does not own: write the entry out in full.
  if (entry.items.some((pair) => isScalar(pair.key) && pair.key.value === '<<')) {
    const plain = entry.toJS(doc) as Record<string, unknown>;
    entry.items = (doc.createNode(plain) as YAMLMap).items;
  }
}

/** Makes `map` equal `value`, replacing only what differs. */
function patchMap(doc: Document, map: YAMLMap, value: Record<string, unknown>): void {
  // Of repeated keys kubectl reads the last: keep only that one before editing.
  const lastIndex = new Map<unknown, number>();
  map.items.forEach((pair, i) => {
    lastIndex.set(isScalar(pair.key) ? pair.key.value : pair.key, i);
  });
  map.items = map.items.filter((pair, i) => lastIndex.get(isScalar(pair.key) ? pair.key.value : pair.key) === i);
  for (const key of map.items.map((pair) => (isScalar(pair.key) ? pair.key.value : pair.key))) {
    if (typeof key !== 'string' || !(key in value)) map.delete(key);
  }
  for (const [key, next] of Object.entries(value)) {
    const current = map.get(key, true) as Node | undefined;
    const currentValue: unknown =
      current === undefined ? undefined : isScalar(current) ? current.value : current.toJS(doc);
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
