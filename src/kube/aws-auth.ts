/**
 * The aws-auth ConfigMap (kube-system/aws-auth) as the EKS authenticator reads it
 * (aws-iam-authenticator pkg/mapper/configmap/configmap.go ParseMap, pkg/config/mapper.go Validate):
 *
 * - `data.mapRoles` / `data.mapUsers` are YAML strings holding lists of `{rolearn|userarn, username,
 *   groups}`, read with the server's semantics (aws-auth-yaml.ts): merge keys, aliases, YAML 1.1
 *   scalars, case-insensitive entry keys; the data keys themselves are case-sensitive. What drops a
 *   whole section, what empties one field, and what drops one entry follow the server.
 * - `data.mapAccounts` is a YAML list of account ids.
 *
 * Input may be a ConfigMap manifest, `kubectl get configmap aws-auth -o yaml|json` output, or the
 * bare data map. Every entry and finding carries its line in that input. Mapping an identity
 * through the result is aws-auth-map.ts.
 */
import { isMap, isScalar, isSeq, LineCounter, parseAllDocuments, type Document, type Node, type YAMLMap } from 'yaml';
import { PARTITIONS } from '../aws/arn';
import {
  decodeAccountsSection,
  decodeMappingSection,
  groupsOf,
  isSkippable,
  validateEntry,
  type DecodedAccounts,
  type DecodedEntry,
} from './aws-auth-yaml';

type Severity = 'error' | 'warning';

/** Something wrong with the ConfigMap, at a line of the input. */
export interface AwsAuthProblem {
  line: number;
  severity: Severity;
  /** Stable identifier of the kind of problem (e.g. `yaml`, `missing-username`). */
  code: string;
  message: string;
}

type MappingSection = 'mapRoles' | 'mapUsers';
export type AwsAuthSection = MappingSection | 'mapAccounts';

/** One mapRoles or mapUsers entry. */
export interface AwsAuthEntry {
  section: MappingSection;
  /** Position in its section, from 0. */
  index: number;
  line: number;
  /** `rolearn` or `userarn` as written. */
  arn?: string;
  username?: string;
  groups: string[];
  /** Why nobody signs in through this entry (the server drops it, or it has no username); undefined when usable. */
  dropped?: string;
  /** Why the server drops it when it loads the ConfigMap (its Validate); undefined when it keeps it. */
  invalid?: string;
  /** An `sso` entry (matched by permission set, behind a server feature gate), not by `rolearn`. */
  sso?: boolean;
  /** Lines of the fields, for findings. */
  lines: { arn?: number; username?: number; groups: number[] };
}

/** One mapAccounts item. */
interface AwsAuthAccount {
  /** As the server reads it: a plain scalar keeps its source text (yaml.v2 into a string). */
  account: string;
  line: number;
  /** Written as a quoted string; otherwise YAML readers other than the server see a number. */
  quoted: boolean;
}

/** The parsed ConfigMap. */
export interface AwsAuth {
  roles: AwsAuthEntry[];
  users: AwsAuthEntry[];
  accounts: AwsAuthAccount[];
  /** Sections the server ignores as a whole, with why. */
  ignored: Partial<Record<AwsAuthSection, string>>;
  /** What the server made of each section it read (absent: missing or empty). */
  sections: Partial<Record<AwsAuthSection, SectionState>>;
  /** Structural problems, in line order. */
  problems: AwsAuthProblem[];
}

/** One section as the server loads it. */
interface SectionState {
  /** Entries its Validate refuses. */
  invalid: number;
  /** The YAML stage failed (yaml.v2's message): the server keeps nothing of the section. */
  dropped?: string;
  /** encoding/json or yaml.v2 reported a type error: the server keeps what it decoded and logs it. */
  typeError?: string;
  /** eks-auth could not follow the section (too deep for it, not for the server): its entries are unknown. */
  unreadable?: string;
}

const SECTIONS: readonly AwsAuthSection[] = ['mapRoles', 'mapUsers', 'mapAccounts'];

/** What `ignored` says of every section when the whole file is not YAML (explain turns it into exit 3). */
export const FILE_NOT_YAML = 'the file is not valid YAML';
const ARN_KEY: Record<MappingSection, 'rolearn' | 'userarn'> = { mapRoles: 'rolearn', mapUsers: 'userarn' };

/** The first line of a YAML error, without its position (the caller reports the outer line). */
function firstLine(text: string): string {
  return (text.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?\s*$/, '').trim();
}

/** Levenshtein distance (for typo diagnosis); inputs are short (ARNs, key names). */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      cur[j] = Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost);
    }
    prev = cur;
  }
  return prev[b.length] ?? 0;
}

class Reader {
  readonly result: AwsAuth = { roles: [], users: [], accounts: [], ignored: {}, sections: {}, problems: [] };
  private readonly lines = new LineCounter();
  /** A parser error at the end of input points past the last line; findings name a real line. */
  private readonly lastLine: number;

  constructor(
    private readonly text: string,
    private readonly options: ParseAwsAuthOptions = {},
  ) {
    this.lastLine = Math.max(1, text.replace(/\n$/, '').split('\n').length);
  }

  problem(line: number, severity: Severity, code: string, message: string): void {
    this.result.problems.push({ line: Math.min(line, this.lastLine), severity, code, message });
  }

  lineAt(offset: number): number {
    return this.lines.linePos(offset).line;
  }

  lineOf(node: Node | null | undefined, fallback = 1): number {
    return node?.range ? this.lineAt(node.range[0]) : fallback;
  }

  read(): AwsAuth {
    const docs = parseAllDocuments(this.text, { lineCounter: this.lines, uniqueKeys: false });
    const list = Array.isArray(docs) ? docs : [];
    let broken = false;
    for (const doc of list) {
      for (const err of doc.errors) {
        broken = true;
        const line = err.linePos?.[0].line ?? 1;
        this.problem(line, 'error', 'yaml', `YAML error: ${firstLine(err.message)}; kubectl apply rejects the file`);
      }
    }
    if (broken) {
      for (const s of SECTIONS) this.result.ignored[s] = FILE_NOT_YAML;
      return this.finish();
    }
    const data = this.findData(list);
    if (data) this.readData(data.node, data.bare);
    return this.finish();
  }

  private finish(): AwsAuth {
    this.result.problems.sort((a, b) => a.line - b.line);
    return this.result;
  }

  private findData(docs: Document.Parsed[]): { node: YAMLMap; bare: boolean } | undefined {
    const roots: YAMLMap[] = [];
    for (const doc of docs) if (isMap(doc.contents)) roots.push(doc.contents);
    const kindOf = (m: YAMLMap): unknown => m.get('kind');
    const nameOf = (m: YAMLMap): unknown => (m.get('metadata') as YAMLMap | undefined)?.get?.('name');
    const configMaps: YAMLMap[] = [];
    for (const root of roots) {
      if (kindOf(root) === 'ConfigMap') configMaps.push(root);
      const items = kindOf(root) === 'List' ? root.get('items') : undefined;
      if (isSeq(items))
        configMaps.push(...items.items.filter((i): i is YAMLMap => isMap(i) && kindOf(i) === 'ConfigMap'));
    }
    const configMap = configMaps.find((m) => nameOf(m) === 'aws-auth') ?? configMaps[0];
    if (configMap) {
      const metadata = configMap.get('metadata');
      const name = nameOf(configMap);
      const namespace = isMap(metadata) ? metadata.get('namespace') : undefined;
      if (name !== 'aws-auth' || namespace !== 'kube-system') {
        this.problem(
          this.lineOf(configMap),
          'warning',
          'configmap-name',
          `this ConfigMap is ${String(namespace ?? '(no namespace)')}/${String(name ?? '(no name)')}; EKS reads only kube-system/aws-auth`,
        );
      }
      const data = configMap.get('data', true);
      if (data === undefined || data === null || (isScalar(data) && data.value === null)) {
        this.problem(
          this.lineOf(configMap),
          'warning',
          'no-data',
          'the ConfigMap has no data: it maps nobody (only the cluster creator and access entries get in)',
        );
        return undefined;
      }
      if (!isMap(data)) {
        this.problem(
          this.lineOf(data as Node),
          'error',
          'data-not-map',
          'data must be a map of strings; kubectl apply rejects the ConfigMap',
        );
        for (const s of SECTIONS) this.result.ignored[s] = 'data is not a map';
        return undefined;
      }
      return { node: data, bare: false };
    }
    // A manifest without kind (a hand-written fragment) still has its data under `data`.
    const untyped = roots.find((r) => kindOf(r) === undefined && isMap(r.get('data')));
    if (untyped) return { node: untyped.get('data') as YAMLMap, bare: false };
    const bare = roots.find((r) =>
      r.items.some(
        ({ key }) => isScalar(key) && SECTIONS.some((s) => s.toLowerCase() === String(key.value).toLowerCase()),
      ),
    );
    if (bare) return { node: bare, bare: true };
    const other = roots.find((r) => kindOf(r) !== undefined);
    this.problem(
      this.lineOf(other ?? roots[0]),
      'error',
      'not-aws-auth',
      other
        ? `found kind ${String(kindOf(other))}, not a ConfigMap`
        : 'no aws-auth data found: expected a ConfigMap, kubectl get -o yaml/json output, or a map with mapRoles/mapUsers/mapAccounts',
    );
    for (const s of SECTIONS) this.result.ignored[s] = 'no aws-auth ConfigMap in the input';
    return undefined;
  }

  private readData(data: YAMLMap, bare: boolean): void {
    for (const pair of data.items) {
      if (!isScalar(pair.key)) continue;
      const key = String(pair.key.value);
      const keyLine = this.lineOf(pair.key);
      const section = SECTIONS.find((s) => s === key);
      if (!section) {
        const intended = SECTIONS.find(
          (s) => s.toLowerCase() === key.toLowerCase() || editDistance(s.toLowerCase(), key.toLowerCase()) <= 2,
        );
        if (intended) {
          this.problem(
            keyLine,
            'error',
            'section-key',
            `data key "${key}" is ignored: the server reads "${intended}" (case-sensitive)`,
          );
        }
        continue;
      }
      this.readSection(section, pair.value as Node | null, keyLine, bare);
    }
  }

  private readSection(section: AwsAuthSection, value: Node | null, keyLine: number, bare: boolean): void {
    if (value === null || (isScalar(value) && value.value === null)) return;
    let inner: string;
    let toOuter: (offset: number) => number;
    if (bare && (isSeq(value) || isMap(value)) && value.range) {
      // A list written directly under the key: read its own text, indented as in the file.
      const start = value.range[0];
      const column = start - (this.text.lastIndexOf('\n', start - 1) + 1);
      inner = ' '.repeat(column) + this.text.slice(start, value.range[1]);
      toOuter = (offset) => this.lineAt(start + Math.max(0, offset - column));
    } else if (!isScalar(value) || typeof value.value !== 'string') {
      this.problem(
        this.lineOf(value, keyLine),
        'error',
        'section-not-string',
        `${section} must be a string: write "${section}: |" and indent the list under it; kubectl apply rejects a ConfigMap whose data holds a ${isSeq(value) ? 'list' : 'non-string'}`,
      );
      this.result.ignored[section] = `${section} is not a string`;
      return;
    } else {
      inner = value.value;
      // A literal block (`|`) keeps one content line per source line, starting below the header, so
      // inner lines map back exactly; for other scalar styles every finding points at the key.
      const headerLine = this.lineOf(value, keyLine);
      const innerLines = new LineCounter();
      let at = 0;
      for (;;) {
        innerLines.addNewLine(at);
        const next = inner.indexOf('\n', at);
        if (next < 0) break;
        at = next + 1;
      }
      toOuter = this.options.sectionLines
        ? (offset) => innerLines.linePos(offset).line
        : value.type === 'BLOCK_LITERAL'
          ? (offset) => headerLine + innerLines.linePos(offset).line
          : () => keyLine;
    }
    if (isSkippable(inner)) return;
    const line = (node: Node | null | undefined): number => toOuter(node?.range?.[0] ?? 0);
    const state: SectionState = { invalid: 0 };
    this.result.sections[section] = state;
    if (section === 'mapAccounts') {
      this.readAccounts(decodeAccountsSection(inner), state, line, toOuter);
      return;
    }
    const decoded = decodeMappingSection(inner, ARN_KEY[section]);
    if (decoded.failure?.beyondEksAuth) {
      const at = toOuter(decoded.failure.offset ?? 0);
      this.problem(
        at,
        'error',
        'too-deep',
        `${section}: ${decoded.failure.message}; what the server keeps of ${section} cannot be shown`,
      );
      state.unreadable = decoded.failure.message;
      return;
    }
    if (decoded.failure) {
      const at = toOuter(decoded.failure.offset ?? 0);
      const what = /aliasing|contains itself/.test(decoded.failure.message) ? 'an alias error' : 'a YAML error';
      this.problem(
        at,
        'error',
        'yaml',
        `${section}: ${what}: ${firstLine(decoded.failure.message)}; the server ignores all of ${section}`,
      );
      state.dropped = decoded.failure.message;
      this.result.ignored[section] = `${section} has ${what} (line ${at})`;
      return;
    }
    if (decoded.notList !== undefined) {
      this.problem(
        line(decoded.doc?.contents as Node | null),
        'error',
        'section-not-list',
        `${section} must be a YAML list: ${decoded.notList}; the server ignores it`,
      );
      state.typeError = decoded.notList;
      this.result.ignored[section] = `${section} is not a list`;
      return;
    }
    decoded.entries.forEach((d, index) => {
      this.readEntry(section, d, index, line, state);
    });
  }

  private readAccounts(
    decoded: DecodedAccounts,
    state: SectionState,
    line: (n: Node | null | undefined) => number,
    toOuter: (offset: number) => number,
  ): void {
    if (decoded.failure?.beyondEksAuth) {
      this.problem(
        toOuter(decoded.failure.offset ?? 0),
        'error',
        'too-deep',
        `mapAccounts: ${decoded.failure.message}; what the server keeps of mapAccounts cannot be shown`,
      );
      state.unreadable = decoded.failure.message;
      return;
    }
    if (decoded.failure) {
      const at = toOuter(decoded.failure.offset ?? 0);
      this.problem(
        at,
        'error',
        'yaml',
        `mapAccounts: YAML error: ${firstLine(decoded.failure.message)}; the server ignores all of mapAccounts`,
      );
      state.dropped = decoded.failure.message;
      this.result.ignored.mapAccounts = `mapAccounts has a YAML error (line ${at})`;
      return;
    }
    for (const err of decoded.typeErrors) {
      this.problem(line(err.node), 'error', 'account-not-scalar', `mapAccounts: ${err.message}; the server ignores it`);
      state.typeError ??= err.message;
    }
    for (const { value, node } of decoded.accounts) {
      const quoted = isScalar(node) && (node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE');
      this.result.accounts.push({ account: value, line: line(node), quoted });
    }
  }

  private readEntry(
    section: MappingSection,
    d: DecodedEntry,
    index: number,
    line: (n: Node | null | undefined) => number,
    state: SectionState,
  ): void {
    const entry: AwsAuthEntry = { section, index, line: line(d.node), groups: [], lines: { groups: [] } };
    (section === 'mapRoles' ? this.result.roles : this.result.users).push(entry);
    const where = `${section} entry ${index + 1}`;
    if (d.notObject) {
      entry.dropped = 'it is not a mapping of rolearn/userarn, username and groups';
      entry.invalid = entry.dropped;
      state.invalid++;
      if (d.notObject === 'other') state.typeError ??= `${where} is not a mapping`;
      this.problem(entry.line, 'error', 'entry-not-map', `${where} is not a mapping; the server ignores it`);
      return;
    }
    for (const key of d.unknownKeys) {
      if (key.value.startsWith('\u0000')) continue;
      const lower = key.value.toLowerCase();
      const other = section === 'mapRoles' ? 'userarn' : 'rolearn';
      const why = lower === other ? `; ${section} entries use ${ARN_KEY[section]}` : '';
      this.problem(
        line(key.node),
        'warning',
        'unknown-key',
        `${where}: unknown key "${key.value}" is ignored by the server${why}`,
      );
    }
    for (const { key, by } of d.overridden) {
      const same = key.value === by.value;
      this.problem(
        line(key.node),
        'warning',
        'repeated-key',
        same
          ? `${where}: "${key.value}" is repeated at line ${line(by.node)}; the server keeps that one`
          : `${where}: "${key.value}" and "${by.value}" (line ${line(by.node)}) set the same field; the server keeps "${by.value}" (it applies keys in byte order)`,
      );
    }
    for (const err of d.typeErrors) {
      state.typeError ??= err.message;
      if (err.field === 'groups' && /^a group/.test(err.message)) {
        this.problem(
          line(err.node),
          'error',
          'group-not-string',
          `${where}: ${err.message}; the server keeps an empty group in its place: quote it`,
        );
      } else if (err.field === 'groups') {
        this.problem(
          line(err.node),
          'error',
          'groups-not-list',
          `${where}: groups must be a list; the server reads no groups for this entry`,
        );
      } else {
        this.problem(
          line(err.node),
          'error',
          'not-string',
          `${where}: ${err.message} (the server ignores the value); quote it`,
        );
      }
    }
    if (d.arn) {
      entry.arn = d.arn.value;
      entry.lines.arn = line(d.arn.node);
    }
    if (d.username) {
      entry.username = d.username.value;
      entry.lines.username = line(d.username.node);
    }
    for (const g of groupsOf(d)) {
      entry.groups.push(g.value);
      entry.lines.groups.push(g.node ? line(g.node) : line(d.groups?.node));
    }
    if (d.sso && d.sso.value !== null) entry.sso = true;
    const invalid = validateEntry(d, section, PARTITIONS);
    if (invalid) {
      entry.dropped = invalid;
      entry.invalid = invalid;
      state.invalid++;
      if (!entry.arn && !entry.sso) {
        this.problem(entry.line, 'error', 'missing-arn', `${where} has no ${ARN_KEY[section]}; the server drops it`);
      } else {
        this.problem(entry.line, 'error', 'invalid-entry', `${where}: ${invalid}; the server drops it`);
      }
    } else if (!entry.username) {
      entry.dropped = 'it has no username';
      this.problem(
        entry.line,
        'error',
        'missing-username',
        `${where} (${entry.arn ?? 'sso'}) has no username; nobody can sign in through it`,
      );
    }
  }
}

export interface ParseAwsAuthOptions {
  /**
   * Number the lines of each section from its own first line (`mapRoles` line 1 is the first line
   * under `mapRoles: |`), for a ConfigMap whose text as read (kubectl's JSON) is not what people edit.
   */
  sectionLines?: boolean;
}

/** Reads an aws-auth ConfigMap (manifest, kubectl output or bare data). Never throws on bad input. */
export function parseAwsAuth(text: string, options: ParseAwsAuthOptions = {}): AwsAuth {
  return new Reader(text, options).read();
}
