/**
 * Removes secret values from text before it is shown: the stderr writer (every registered secret)
 * and the STS replay (the token's own credentials in what an STS echoed) use the same rule.
 */

/**
 * Replaces each secret, raw and percent-encoded, with `[redacted]`: secret keys and session tokens
 * hold `/`, `+` and `=`, which a quoted URL carries encoded (`%2F`, `%2B`, `%3D`). Empty values are skipped.
 */
export function redactSecrets(text: string, secrets: Iterable<string>): string {
  const forms = new Set<string>();
  for (const secret of secrets) {
    if (secret === '') continue;
    forms.add(secret);
    forms.add(encodeURIComponent(secret));
  }
  let out = text;
  // Longest first: a secret that contains another must not be left half redacted.
  for (const form of [...forms].sort((a, b) => b.length - a.length)) {
    if (out.includes(form)) out = out.split(form).join('[redacted]');
  }
  return out;
}
