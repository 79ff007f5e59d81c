/**
 * The one writer to stderr. Defence in depth: every line passes through a redactor that removes
 * bearer tokens and any secret value registered during the run (secret keys, session tokens), so a
 * message that accidentally quotes one never leaks it.
 */
import { neutraliseControls, writeStderrRaw } from './output';

const secrets = new Set<string>();
const TOKEN_PATTERN = /k8s-aws-v1\.[A-Za-z0-9_-]+/g;
// Presigned URLs carry the session token and signature in the query.
const SIGNED_QUERY_PATTERN = /(X-Amz-(?:Security-Token|Signature|Credential)=)[^&\s"']+/gi;

/**
 * Registers a value that must never appear on stderr, with its percent-encoded form (secret keys and
 * session tokens hold `/`, `+` and `=`, which a quoted URL carries encoded). Short values are ignored
 * (false positives).
 */
export function registerSecret(value: string | undefined): void {
  if (value === undefined || value.length < 8) return;
  secrets.add(value);
  secrets.add(encodeURIComponent(value));
}

/** Removes tokens, presigned query credentials and every registered secret from a line of text. */
export function redact(text: string): string {
  let out = text.replace(TOKEN_PATTERN, 'k8s-aws-v1.[redacted]').replace(SIGNED_QUERY_PATTERN, '$1[redacted]');
  // Longest first: a secret that contains another must not be left half redacted.
  for (const secret of [...secrets].sort((a, b) => b.length - a.length)) {
    if (out.includes(secret)) out = out.split(secret).join('[redacted]');
  }
  return out;
}

/** Writes a message to stderr, redacted, with control characters shown as `\uXXXX` (never sent to the terminal). */
export function writeStderr(text: string): void {
  writeStderrRaw(neutraliseControls(redact(text.endsWith('\n') ? text : `${text}\n`)));
}
