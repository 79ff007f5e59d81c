/**
 * UTC timestamps written by hand from the Date's UTC fields. The first Date#toISOString() of a
 * process costs about 0.2 ms of set-up inside V8, more than the rest of a cache hit's formatting;
 * `eks-auth token` formats one or two timestamps per call. Pinned against toISOString on random
 * dates (test/unit/utc.test.ts).
 */

function pad2(n: number): string {
  return n < 10 ? `0${n}` : `${n}`;
}

/** [date, time] without separators, or undefined where toISOString must answer (out of 0000-9999, invalid). */
function fields(
  date: Date,
): [year: string, month: string, day: string, hours: string, minutes: string, seconds: string] | undefined {
  const year = date.getUTCFullYear();
  // NaN (an invalid date) fails both tests.
  if (!(year >= 1000 && year <= 9999)) return undefined;
  return [
    `${year}`,
    pad2(date.getUTCMonth() + 1),
    pad2(date.getUTCDate()),
    pad2(date.getUTCHours()),
    pad2(date.getUTCMinutes()),
    pad2(date.getUTCSeconds()),
  ];
}

/** RFC 3339 UTC with seconds precision, as client-go parses it: 2026-01-01T00:14:00Z. */
export function formatTimestamp(date: Date): string {
  const f = fields(date);
  if (!f) return `${date.toISOString().slice(0, -5)}Z`;
  return `${f[0]}-${f[1]}-${f[2]}T${f[3]}:${f[4]}:${f[5]}Z`;
}

/** SigV4's X-Amz-Date (ISO 8601 basic format, UTC): 20260101T001400Z. */
export function formatAmzDate(date: Date): string {
  const f = fields(date);
  if (!f) return date.toISOString().replace(/[-:]|\.\d{3}/g, '');
  return `${f[0]}${f[1]}${f[2]}T${f[3]}${f[4]}${f[5]}Z`;
}
