/**
 * How far this machine's clock is from AWS's, read from the Date header of an answer. STS and EKS
 * refuse a signature more than 5 minutes off (and a presigned token 15 minutes after X-Amz-Date),
 * so a slow or fast clock shows up as "signature expired" or "not yet current".
 */

/** The skew between this machine's clock and a server's. */
export interface ClockSkew {
  /** Local time minus server time, in milliseconds: negative when this machine is behind. */
  skewMs: number;
  /** Whole minutes, rounded, always positive. */
  minutes: number;
  direction: 'behind' | 'ahead' | 'in step';
}

/**
 * The skew between `now` (this machine's clock) and an HTTP Date header (RFC 7231 IMF-fixdate,
 * second resolution). Undefined when the header is missing or not a date. Within a minute counts
 * as `in step`: Date has one-second resolution and the answer took time to arrive.
 */
export function clockSkew(dateHeader: string | undefined, now: Date): ClockSkew | undefined {
  if (!dateHeader) return undefined;
  const server = Date.parse(dateHeader);
  if (Number.isNaN(server)) return undefined;
  const skewMs = now.getTime() - server;
  const minutes = Math.round(Math.abs(skewMs) / 60_000);
  return { skewMs, minutes, direction: Math.abs(skewMs) < 60_000 ? 'in step' : skewMs < 0 ? 'behind' : 'ahead' };
}

/** `this machine's clock is 20 minutes behind (AWS said 2026-01-01T10:20:00Z)`, or undefined when in step. */
export function describeClockSkew(skew: ClockSkew | undefined, serverDate?: string): string | undefined {
  if (!skew || skew.direction === 'in step') return undefined;
  const unit = skew.minutes === 1 ? 'minute' : 'minutes';
  const said =
    serverDate && !Number.isNaN(Date.parse(serverDate))
      ? ` (AWS's Date header says ${new Date(Date.parse(serverDate)).toISOString().replace('.000Z', 'Z')})`
      : '';
  return `this machine's clock is ${skew.minutes} ${unit} ${skew.direction}${said}`;
}

/** What to do about a skewed clock. */
export const CLOCK_HINT =
  'set the clock right and keep it synchronised (Linux: timedatectl set-ntp true; macOS: sntp -sS time.apple.com; Windows: w32tm /resync), then try again';

/** Whether an AWS error says the signature's time was out of range (SigV4 "expired" or "not yet current"). */
export function isSignatureTimeError(code: string | undefined, message: string | undefined): boolean {
  if (
    code === 'RequestExpired' ||
    code === 'RequestTimeTooSkewed' ||
    (code === 'InvalidSignatureException' && /expired|not yet/i.test(message ?? ''))
  )
    return true;
  return /signature (?:expired|not yet current)|signature expired or not yet valid|request has expired/i.test(
    message ?? '',
  );
}
