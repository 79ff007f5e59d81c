/** Quoting of names pasted into messages and hints, so that a name with spaces or quotes reads (and pastes) right. */

/** A word for a POSIX shell command line: as it is when safe, else in single quotes. */
export function shellWord(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** A profile named in prose: `profile "dev"` (JSON quoting, so control characters show escaped). */
export function profileName(name: string): string {
  return `profile ${JSON.stringify(name)}`;
}
