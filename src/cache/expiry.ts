/**
 * How long a cached entry is served: until its expiry minus a margin, the margin never more than
 * half the entry's lifetime (a 900 s session, the shortest STS allows, would otherwise never be
 * reused with a 15-minute margin). Time is always passed in.
 */

/**
 * A cached token is reprinted while it has at least 5 minutes left. client-go uses an
 * ExecCredential until its expirationTimestamp with no margin of its own, so a token handed over
 * with seconds left makes a long command (logs -f, exec, watch) run the plugin again at once, and
 * a client clock a few minutes behind STS shortens the token's real life by as much. Reuse is
 * still 9 of every 14 minutes, and a miss with a warm role-session cache only signs (no network).
 */
export const TOKEN_REFRESH_MARGIN_MS = 5 * 60_000;

/**
 * Credentials that sign the token are served while they last 15 minutes more, so the token still
 * gets its full 14 minutes: its expiry is min(sign + 14 min, credential expiry − 60 s)
 * (tokenExpiration in src/usecases/token.ts).
 */
export const SIGNING_CREDENTIALS_MARGIN_MS = 15 * 60_000;

/** Credentials only used to call AssumeRole for the next hop need to last through that call. */
export const CHAINED_CREDENTIALS_MARGIN_MS = 5 * 60_000;

/**
 * When renewing would need an MFA code and nobody can type one, a session is served down to its
 * last 2 minutes (tokens then expire early, with a warning) rather than failing while it still works.
 */
export const LAST_RESORT_MARGIN_MS = 2 * 60_000;

/** An entry written this far "in the future" means the clock went back: trust nothing about it. */
const CLOCK_SKEW_MS = 60_000;

export interface Lifetime {
  createdAt: Date;
  expiresAt: Date;
}

/** The last moment the entry is served with this margin. */
export function usableUntil(entry: Lifetime, marginMs: number): Date {
  const lifetime = entry.expiresAt.getTime() - entry.createdAt.getTime();
  const margin = Math.min(marginMs, Math.max(0, lifetime) / 2);
  return new Date(entry.expiresAt.getTime() - margin);
}

/** Whether the entry may be served at `now` with this margin. */
export function isUsable(entry: Lifetime, now: Date, marginMs: number): boolean {
  const t = now.getTime();
  if (t < entry.createdAt.getTime() - CLOCK_SKEW_MS) return false;
  return t < usableUntil(entry, marginMs).getTime();
}
