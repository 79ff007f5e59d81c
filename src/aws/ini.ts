/**
 * The AWS shared config/credentials file format, parsed as the AWS CLI does (botocore reads these
 * files with Python's RawConfigParser): `[section]` headers, `key = value` or `key: value`, keys
 * lower-cased, `#`/`;` comment lines, no inline comments (`region = x # y` keeps `x # y`, as the
 * AWS CLI does), and indented lines after an empty `key =` forming a nested map (the `services`
 * and `s3` sub-sections). Hand-written because it runs on every kubectl call; pinned by tests
 * against @smithy/shared-ini-file-loader on the common subset.
 */

type IniValue = string | Readonly<Record<string, string>>;
export type IniSection = Record<string, IniValue>;
export type IniFile = Record<string, IniSection>;

interface IniProblem {
  line: number;
  message: string;
}

export interface ParsedIni {
  sections: IniFile;
  problems: IniProblem[];
}

/** Parses INI text. Lines it cannot read are reported as problems (with line numbers), not thrown. */
export function parseIni(text: string): ParsedIni {
  const sections: IniFile = Object.create(null);
  const problems: IniProblem[] = [];
  let current: IniSection | undefined;
  let nestedKey: string | undefined;
  // Split on \n alone: trim() removes the \r of a \r\n line ending (and a regular expression here
  // would be compiled on every kubectl call).
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i] as string;
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#') || trimmed.startsWith(';')) continue;
    const indented = raw.length > 0 && (raw[0] === ' ' || raw[0] === '\t');
    if (indented && current && nestedKey !== undefined) {
      const eq = findDelimiter(trimmed);
      if (eq > 0) {
        const existing = current[nestedKey];
        const nested: Record<string, string> = typeof existing === 'object' ? { ...existing } : {};
        nested[trimmed.slice(0, eq).trim().toLowerCase()] = trimmed.slice(eq + 1).trim();
        current[nestedKey] = nested;
      } else {
        problems.push({ line: i + 1, message: `expected an indented "key = value" under "${nestedKey} ="` });
      }
      continue;
    }
    nestedKey = undefined;
    const name = sectionName(trimmed);
    if (name !== undefined) {
      current = sections[name] ??= Object.create(null) as IniSection;
      continue;
    }
    const eq = findDelimiter(trimmed);
    if (eq <= 0) {
      // The line is not quoted: a mistyped line may hold a secret key.
      problems.push({ line: i + 1, message: 'expected "key = value" or a [section] header' });
      continue;
    }
    if (!current) {
      problems.push({ line: i + 1, message: 'a setting appears before any [section] header' });
      continue;
    }
    const key = trimmed.slice(0, eq).trim().toLowerCase();
    const value = trimmed.slice(eq + 1).trim();
    current[key] = value;
    if (value === '') nestedKey = key;
  }
  return { sections, problems };
}

/**
 * The name in a `[section]` header line (trimmed), optionally followed by a `#` or `;` comment;
 * undefined for any other line. What /^\[([^\]]*)\]\s*(?:[#;].*)?$/ matches, by hand.
 */
export function sectionName(line: string): string | undefined {
  if (line[0] !== '[') return undefined;
  const close = line.indexOf(']');
  if (close === -1) return undefined;
  const after = line.slice(close + 1).trimStart();
  if (after !== '' && after[0] !== '#' && after[0] !== ';') return undefined;
  // `.` in the pattern stops at line terminators: a comment holding one is not a header.
  if (after.includes('\r') || after.includes('\u2028') || after.includes('\u2029')) return undefined;
  return line.slice(1, close).trim();
}

function findDelimiter(line: string): number {
  const eq = line.indexOf('=');
  const colon = line.indexOf(':');
  if (eq === -1) return colon;
  if (colon === -1) return eq;
  return Math.min(eq, colon);
}
