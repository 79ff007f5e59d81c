/**
 * `eks-auth cache list` and `eks-auth cache clean`: what the cache holds (keys, kinds, labels,
 * expiry, never a token or a secret) and removing it, all of it or by profile and cluster.
 */
import type { CacheFile } from '../cache/store';
import { listCacheFiles, removeCacheFile, type StoreOptions } from '../cache/store';
import { checkDirectory } from '../cache/dir';
import type { CacheLabels, Deps } from '../ports';
import { formatTimestamp } from '../util/utc';

export interface CacheDeps extends Pick<Deps, 'now' | 'log'> {
  /** Where the cache is and whose it must be (src/cli/deps.ts: defaultStoreOptions). */
  store: Pick<StoreOptions, 'dir' | 'uid'>;
}

export interface CacheListInput {
  json: boolean;
}

/** One line of `cache list --json`. */
export interface CacheListing {
  key: string;
  kind: 'token' | 'credentials' | 'invalid';
  createdAt?: string;
  expiresAt?: string;
  expired?: boolean;
  labels?: CacheLabels;
  /**
   * The region a token was made for (its STS endpoint's region). Absent for role sessions, which
   * serve every region of their partition. Added after the first release: readers must not require it.
   */
  region?: string;
  /** Why an invalid entry cannot be read; the next call that needs it rewrites it. */
  problem?: string;
}

/** The cache's entries, as a table or JSON. */
export async function listCache(input: CacheListInput, deps: CacheDeps): Promise<string> {
  const { dir, uid } = deps.store;
  const problem = checkDirectory(dir, uid);
  if (problem && problem !== 'missing')
    deps.log.warn(`${problem}; eks-auth token does not use this cache until that is fixed`);
  const now = deps.now();
  const listings = listCacheFiles(dir).flatMap((file) => (file.type === 'entry' ? [toListing(file, now)] : []));
  if (input.json) return `${JSON.stringify({ directory: dir, entries: listings }, null, 2)}\n`;
  if (listings.length === 0) return `no cache entries in ${dir}\n`;
  const rows = listings.map((l) => [
    l.key.slice(0, 12),
    l.kind,
    l.expiresAt ? `${l.expiresAt} (${relative(new Date(l.expiresAt), now)})` : '-',
    l.labels?.profile ?? '-',
    l.labels?.cluster ?? '-',
    l.region ?? '-',
    l.labels?.roleArn ?? (l.problem ? `(${l.problem})` : '-'),
  ]);
  return `${dir}\n${table([['KEY', 'KIND', 'EXPIRES', 'PROFILE', 'CLUSTER', 'REGION', 'ROLE'], ...rows])}`;
}

function toListing(file: CacheFile, now: Date): CacheListing {
  const key = file.name.replace(/\.json$/, '');
  const entry = file.entry;
  if (!entry) return { key, kind: 'invalid', problem: file.problem ?? 'unreadable' };
  return {
    key,
    kind: entry.kind,
    createdAt: formatTimestamp(entry.createdAt),
    expiresAt: formatTimestamp(entry.expiresAt),
    expired: entry.expiresAt.getTime() <= now.getTime(),
    labels: entry.labels,
    ...(entry.kind === 'token' && entry.labels.region ? { region: entry.labels.region } : {}),
  };
}

function relative(at: Date, now: Date): string {
  const minutes = Math.round((at.getTime() - now.getTime()) / 60_000);
  if (minutes <= 0) return 'expired';
  return minutes < 120 ? `in ${minutes}m` : `in ${Math.round(minutes / 60)}h`;
}

function table(rows: string[][]): string {
  const widths = (rows[0] as string[]).map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return `${rows.map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c] as number))).join('  ')).join('\n')}\n`;
}

export interface CacheCleanInput {
  /** Only entries that depend on this profile (made for it, or for a profile chained through it). */
  profile?: string;
  /** Only tokens for this cluster. */
  cluster?: string;
}

/** Removes entries: all of them (with lock and temp files) when no filter is given. */
export async function cleanCache(input: CacheCleanInput, deps: CacheDeps): Promise<string> {
  const { dir } = deps.store;
  const filtered = input.profile !== undefined || input.cluster !== undefined;
  let entries = 0;
  let others = 0;
  // A directory at an entry path cannot be unlinked: say so and go on with the rest.
  const remove = (path: string): boolean => {
    try {
      return removeCacheFile(path);
    } catch (err) {
      deps.log.warn(`cannot remove ${path}: ${(err as Error).message}`);
      return false;
    }
  };
  for (const file of listCacheFiles(dir)) {
    if (file.type !== 'entry') {
      if (!filtered && remove(file.path)) others++;
      continue;
    }
    if (filtered && !(file.entry && matches(file.entry.labels, input))) continue;
    if (remove(file.path)) entries++;
  }
  const what = [
    input.profile !== undefined ? `profile "${input.profile}"` : '',
    input.cluster !== undefined ? `cluster "${input.cluster}"` : '',
  ]
    .filter(Boolean)
    .join(' and ');
  const extra = others > 0 ? ` and ${others} lock/temp file${others === 1 ? '' : 's'}` : '';
  return `removed ${entries} entr${entries === 1 ? 'y' : 'ies'}${what ? ` for ${what}` : ''}${extra} from ${dir}\n`;
}

function matches(labels: CacheLabels, input: CacheCleanInput): boolean {
  if (input.profile !== undefined && labels.profile !== input.profile && !labels.profiles?.includes(input.profile))
    return false;
  if (input.cluster !== undefined && labels.cluster !== input.cluster) return false;
  return true;
}
