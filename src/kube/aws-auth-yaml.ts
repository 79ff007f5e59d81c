/**
 * The aws-auth sections (`mapRoles`, `mapUsers`, `mapAccounts`) read with the semantics of the
 * libraries the EKS authenticator reads them with (aws-iam-authenticator
 * pkg/mapper/configmap/configmap.go ParseMap):
 *
 * - mapRoles and mapUsers: k8s.io/apimachinery util/yaml.ToJSON (text starting with `{` is taken as
 *   JSON; anything else goes through sigs.k8s.io/yaml.YAMLToJSON, that is gopkg.in/yaml.v2 into
 *   `interface{}`, then encoding/json.Marshal), then encoding/json.Unmarshal into the mapping
 *   structs. A failure of the first stage drops the section; a type error of the second keeps what
 *   it decoded.
 * - mapAccounts: gopkg.in/yaml.v2 straight into `[]string`; a type error keeps the rest.
 *
 * The text is parsed with the `yaml` package (YAML 1.1); what yaml.v2 does with the result is
 * done here: only the first document; merge keys applied in place, in order (a later key wins,
 * `<<` included); aliases expanded, with yaml.v2's "excessive aliasing" budget and its
 * self-reference check; YAML 1.1 scalars resolved by yaml.v2's table; map keys turned into JSON
 * object keys as sigs.k8s.io/yaml does (a null key fails); NaN and infinities failing
 * json.Marshal; keys sorted and matched to fields case-insensitively (with `ſ` for s and the
 * Kelvin sign for k) as encoding/json does, and its slice reuse. The test suite checks all of
 * this against a Go program built with those libraries (test/oracle/aws-auth).
 */
import {
  type Alias,
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  parseAllDocuments,
  type Document,
  type Node,
  type Pair,
} from 'yaml';

/** A value as yaml.v2 decodes it into `interface{}`, with the node it came from. */
type GoValue =
  | { t: 'null'; node: Node | null }
  | { t: 'string'; v: string; node: Node | null }
  | { t: 'number'; finite: boolean; key: string; unsigned64: boolean; node: Node | null }
  | { t: 'bool'; v: boolean; node: Node | null }
  | { t: 'map'; entries: Map<string, MapEntry>; node: Node | null }
  | { t: 'seq'; items: GoValue[]; node: Node | null };

/** One key of a decoded map; `replaced` lists keys of the same mapping it overwrote (a repeated key). */
interface MapEntry {
  key: GoValue;
  value: GoValue;
  keyNode: Node | null;
  owner: Pair[];
  replaced?: Array<Node | null>;
}

/** Why a section (or the part of it after the failure) is not read; yaml.v2's own message where it has one. */
class SectionFailure extends Error {
  constructor(
    message: string,
    readonly offset?: number,
    /** eks-auth could not follow the section (nesting deeper than its stack); the server may read it. */
    readonly beyondEksAuth = false,
  ) {
    super(message);
  }
}

const TOO_DEEP = 'it nests deeper than eks-auth can follow (yaml.v2 reads up to 10000 levels)';

const TAG = 'tag:yaml.org,2002:';
const STR = `${TAG}str`;
const RESOLVABLE = new Set(['', STR, `${TAG}bool`, `${TAG}int`, `${TAG}float`, `${TAG}null`, `${TAG}timestamp`]);

// gopkg.in/yaml.v2 resolve.go: the exact strings with a meaning, and the first bytes that may start one.
const RESOLVE_MAP = new Map<string, { tag: string; value: 'true' | 'false' | 'null' | 'nonfinite' }>();
for (const [value, tag, words] of [
  ['true', 'bool', 'y Y yes Yes YES true True TRUE on On ON'],
  ['false', 'bool', 'n N no No NO false False FALSE off Off OFF'],
  ['null', 'null', '~ null Null NULL'],
  ['nonfinite', 'float', '.nan .NaN .NAN .inf .Inf .INF +.inf +.Inf +.INF -.inf -.Inf -.INF'],
] as const) {
  for (const w of words.split(' ')) RESOLVE_MAP.set(w, { tag: `${TAG}${tag}`, value });
}
RESOLVE_MAP.set('', { tag: `${TAG}null`, value: 'null' });
const YAML_STYLE_FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;

function hintOf(text: string): 'S' | 'D' | 'M' | '.' | undefined {
  const c = text[0];
  if (c === undefined) return 'M';
  if (c === '+' || c === '-') return 'S';
  if (c >= '0' && c <= '9') return 'D';
  if ('yYnNtTfFoO~'.includes(c)) return 'M';
  if (c === '.') return '.';
  return undefined;
}

/** Go's strconv.ParseInt/ParseUint with base 0 (underscores already removed); undefined when it fails. */
function parseGoInteger(text: string, signed: boolean): bigint | undefined {
  const m = /^([+-]?)(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)$/.exec(text);
  if (!m) return undefined;
  if (!signed && m[1] !== '') return undefined;
  let digits = m[2] ?? '';
  if (/^0[0-7]+$/.test(digits)) digits = `0o${digits.slice(1)}`;
  const magnitude = BigInt(digits.replace(/^0([xXoObB])/, (_, p: string) => `0${p.toLowerCase()}`));
  const value = m[1] === '-' ? -magnitude : magnitude;
  if (signed) return value >= -(2n ** 63n) && value < 2n ** 63n ? value : undefined;
  return value < 2n ** 64n ? value : undefined;
}

/** Go's strconv.ParseFloat on text yaml.v2 hands it: finite, or undefined (syntax error or out of range). */
function parseGoFloat(text: string): number | undefined {
  if (!/^[+-]?(\.[0-9]+|[0-9]+\.?[0-9]*)([eE][+-]?[0-9]+)?$/.test(text)) return undefined;
  const v = Number(text);
  return Number.isFinite(v) ? v : undefined;
}

type Resolved =
  | { tag: string; kind: 'string'; value: string }
  | { tag: string; kind: 'null' }
  | { tag: string; kind: 'bool'; value: boolean }
  | { tag: string; kind: 'number'; finite: boolean; key: string; unsigned64: boolean };

/** yaml.v2 resolve(tag, in) for the tags it resolves; throws SectionFailure where it fails. */
function resolve(tag: string, text: string): Resolved {
  const out = resolvePlain(tag, text);
  if (tag === '' || tag === out.tag || tag === STR) return out;
  if (tag === `${TAG}float` && out.tag === `${TAG}int`) return { ...out, tag };
  throw new SectionFailure(`cannot decode ${shortTag(out.tag)} \`${text}\` as a ${shortTag(tag)}`);
}

function shortTag(tag: string): string {
  return tag.startsWith(TAG) ? `!!${tag.slice(TAG.length)}` : tag;
}

function resolvePlain(tag: string, text: string): Resolved {
  const hint = hintOf(text);
  if (hint !== undefined && tag !== STR) {
    const known = RESOLVE_MAP.get(text);
    if (known) {
      if (known.value === 'null') return { tag: known.tag, kind: 'null' };
      if (known.value === 'nonfinite')
        return { tag: known.tag, kind: 'number', finite: false, key: text, unsigned64: false };
      return { tag: known.tag, kind: 'bool', value: known.value === 'true' };
    }
    if (hint === '.') {
      const f = parseGoFloat(text);
      if (f !== undefined)
        return { tag: `${TAG}float`, kind: 'number', finite: true, key: `f:${f}`, unsigned64: false };
    } else if (hint === 'D' || hint === 'S') {
      // Timestamps (dddd-…) come back as their text when decoded into interface{} or string.
      if (/^[0-9]{4}-/.test(text) && looksLikeTimestamp(text))
        return { tag: `${TAG}timestamp`, kind: 'string', value: text };
      const plain = text.replaceAll('_', '');
      const int = parseGoInteger(plain, true);
      if (int !== undefined)
        return { tag: `${TAG}int`, kind: 'number', finite: true, key: `i:${int}`, unsigned64: false };
      const uint = parseGoInteger(plain, false);
      if (uint !== undefined)
        return { tag: `${TAG}int`, kind: 'number', finite: true, key: `u:${uint}`, unsigned64: true };
      if (YAML_STYLE_FLOAT.test(plain)) {
        const f = parseGoFloat(plain);
        if (f !== undefined)
          return { tag: `${TAG}float`, kind: 'number', finite: true, key: `f:${f}`, unsigned64: false };
      }
      const binary = /^(-?)0b([01]+)$/.exec(plain);
      if (binary) {
        const v = BigInt(`0b${binary[2]}`) * (binary[1] === '-' ? -1n : 1n);
        if (v < 2n ** 64n)
          return { tag: `${TAG}int`, kind: 'number', finite: true, key: `i:${v}`, unsigned64: v >= 2n ** 63n };
      }
    }
  }
  return { tag: STR, kind: 'string', value: text };
}

/** yaml.v2 parseTimestamp's layouts, as far as their shape goes. */
function looksLikeTimestamp(text: string): boolean {
  return /^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(([Tt]|[ ])[0-9]{1,2}:[0-9]{1,2}:[0-9]{1,2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})?)?$/.test(
    text,
  );
}

/** Characters libyaml's reader refuses anywhere in the input ("control characters are not allowed"). */
const NOT_PRINTABLE = /[^\t\n\r\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]/u;

interface DecodeOptions {
  /** Anchored node of each alias, as yaml.v2's parser binds it (the last anchor before the alias). */
  aliases: Map<Alias, Node | null>;
}

/** yaml.v2's decoder: the walk, its counters and its failures. */
class Decoder {
  private decodeCount = 0;
  private aliasCount = 0;
  private aliasDepth = 0;
  private readonly active = new Set<Alias>();

  constructor(private readonly options: DecodeOptions) {}

  /** Decodes a whole document into `interface{}`; yaml.v2 counts the document node too. */
  document(doc: Document): GoValue {
    this.count(null);
    return this.value((doc.contents as Node | null) ?? null);
  }

  /** Decodes a whole document into `[]string`. */
  documentStrings(
    doc: Document,
    typeErrors: Array<{ message: string; node: Node | null }>,
  ): Array<{ value: string; node: Node | null }> {
    this.count(null);
    return this.strings((doc.contents as Node | null) ?? null, typeErrors) ?? [];
  }

  /** yaml.v2 decoder.unmarshal's accounting, run before each node it decodes. */
  private count(node: Node | null): void {
    this.decodeCount++;
    if (this.aliasDepth > 0) this.aliasCount++;
    if (
      this.aliasCount > 100 &&
      this.decodeCount > 1000 &&
      this.aliasCount / this.decodeCount > allowedAliasRatio(this.decodeCount)
    ) {
      throw new SectionFailure('document contains excessive aliasing', node?.range?.[0]);
    }
  }

  /** Follows an alias as yaml.v2 does; `into` receives the target's decoding. */
  private viaAlias<T>(alias: Alias, into: (target: Node | null) => T): T {
    if (this.active.has(alias))
      throw new SectionFailure(`anchor '${alias.source}' value contains itself`, alias.range?.[0]);
    this.active.add(alias);
    this.aliasDepth++;
    try {
      return into(this.options.aliases.get(alias) ?? null);
    } finally {
      this.aliasDepth--;
      this.active.delete(alias);
    }
  }

  /** Decodes a node into `interface{}`. */
  value(node: Node | null): GoValue {
    this.count(node);
    // The value keeps the alias as its node, so that `- *admin` is found at its own line.
    if (isAlias(node)) return { ...this.viaAlias(node, (target) => this.value(target)), node };
    if (isMap(node)) {
      const m: GoValue & { t: 'map' } = { t: 'map', entries: new Map(), node };
      this.mappingInto(node.items as Pair<Node | null, Node | null>[], m);
      return m;
    }
    if (isSeq(node)) return { t: 'seq', items: (node.items as (Node | null)[]).map((i) => this.value(i)), node };
    return this.scalar(node);
  }

  private scalar(node: Node | null): GoValue {
    const s = scalarOf(node);
    const r =
      s.plainUntagged || s.tag !== ''
        ? resolveTagged(s.tag, s.text)
        : ({ tag: STR, kind: 'string', value: s.text } as const);
    if (r.kind === 'null') return { t: 'null', node };
    if (r.kind === 'string') return { t: 'string', v: r.value, node };
    if (r.kind === 'bool') return { t: 'bool', v: r.value, node };
    return { t: 'number', finite: r.finite, key: r.key, unsigned64: r.unsigned64, node };
  }

  private mappingInto(pairs: Pair<Node | null, Node | null>[], m: GoValue & { t: 'map' }): void {
    for (const pair of pairs) {
      if (isMergeKey(pair.key)) {
        this.merge(pair.value, m);
        continue;
      }
      const key = this.value(pair.key);
      if (key.t === 'map' || key.t === 'seq') throw new SectionFailure('invalid map key', pair.key?.range?.[0]);
      const value = this.value(pair.value);
      const id = goKeyIdentity(key);
      const earlier = m.entries.get(id);
      // A key repeated within one mapping (not one a merge brought in) is worth a warning.
      const replaced = earlier?.owner === pairs ? [...(earlier.replaced ?? []), earlier.keyNode] : undefined;
      m.entries.set(id, { key, value, keyNode: pair.key, owner: pairs, ...(replaced ? { replaced } : {}) });
    }
  }

  /** Decodes a mapping node (or an alias of one) into an existing map, as a merge does. */
  private mapInto(node: Node | null, m: GoValue & { t: 'map' }): void {
    this.count(node);
    if (isAlias(node)) {
      this.viaAlias(node, (target) => this.mapInto(target, m));
      return;
    }
    if (isMap(node)) this.mappingInto(node.items as Pair<Node | null, Node | null>[], m);
  }

  private merge(node: Node | null, m: GoValue & { t: 'map' }): void {
    const wantMap = () =>
      new SectionFailure('map merge requires map or sequence of maps as the value', node?.range?.[0]);
    const isMapOrAliasOfMap = (n: Node | null): boolean =>
      isAlias(n) ? isMap(this.options.aliases.get(n) ?? null) : isMap(n);
    if (isMap(node) || isAlias(node)) {
      if (!isMapOrAliasOfMap(node)) throw wantMap();
      this.mapInto(node, m);
      return;
    }
    if (!isSeq(node)) throw wantMap();
    // Backwards: earlier maps take precedence.
    const items = node.items as (Node | null)[];
    for (let i = items.length - 1; i >= 0; i--) {
      const item = items[i] ?? null;
      if (!isMapOrAliasOfMap(item)) throw wantMap();
      this.mapInto(item, m);
    }
  }

  /** Decodes a node into `[]string` (mapAccounts). Type errors are collected; failures throw. */
  private strings(
    node: Node | null,
    typeErrors: Array<{ message: string; node: Node | null }>,
  ): Array<{ value: string; node: Node | null }> | undefined {
    this.count(node);
    if (isAlias(node)) return this.viaAlias(node, (target) => this.strings(target, typeErrors));
    if (isSeq(node)) {
      const out: Array<{ value: string; node: Node | null }> = [];
      for (const item of node.items as (Node | null)[]) {
        const v = this.string(item, typeErrors);
        if (v !== undefined) out.push({ value: v, node: item });
      }
      return out;
    }
    if (isMap(node)) {
      typeErrors.push({ message: 'a mapping is not a list of account ids', node });
      return undefined;
    }
    const s = scalarOf(node);
    const r = s.plainUntagged || s.tag !== '' ? resolveTagged(s.tag, s.text) : undefined;
    if (r?.kind === 'null') return undefined;
    typeErrors.push({ message: 'a single value is not a list of account ids', node });
    return undefined;
  }

  private string(node: Node | null, typeErrors: Array<{ message: string; node: Node | null }>): string | undefined {
    this.count(node);
    if (isAlias(node)) return this.viaAlias(node, (target) => this.string(target, typeErrors));
    if (isMap(node) || isSeq(node)) {
      typeErrors.push({ message: `a ${isMap(node) ? 'mapping' : 'list'} is not an account id`, node });
      return undefined;
    }
    const s = scalarOf(node);
    if (!s.plainUntagged && s.tag === '') return s.text;
    const r = resolveTagged(s.tag, s.text);
    if (r.kind === 'null') return '';
    // A resolved non-null scalar keeps its source text in a string (binary: its decoded bytes).
    return r.kind === 'string' ? r.value : s.text;
  }
}

function allowedAliasRatio(decodeCount: number): number {
  if (decodeCount <= 400000) return 0.99;
  if (decodeCount >= 4000000) return 0.1;
  return 0.99 - 0.89 * ((decodeCount - 400000) / 3600000);
}

/** resolve() for a scalar, with !!binary (base64 → its bytes) and unresolvable tags (→ the text). */
function resolveTagged(tag: string, text: string): Resolved {
  if (tag === `${TAG}binary`) return { tag, kind: 'string', value: decodeBase64(text) };
  if (!RESOLVABLE.has(tag)) return { tag, kind: 'string', value: text };
  return resolve(tag, text);
}

function decodeBase64(text: string): string {
  // Go's base64.StdEncoding skips CR and LF and wants padded input.
  const b64 = text.replace(/[\r\n]/g, '');
  if (b64.length % 4 !== 0 || !/^[A-Za-z0-9+/]*(={0,2})$/.test(b64) || /=[^=]/.test(b64)) {
    throw new SectionFailure('!!binary value contains invalid base64 data');
  }
  return Buffer.from(b64, 'base64').toString('utf8');
}

interface ScalarView {
  text: string;
  tag: string;
  /** A plain scalar without a tag: the only kind yaml.v2 resolves implicitly. */
  plainUntagged: boolean;
}

function scalarOf(node: Node | null): ScalarView {
  if (node === null || !isScalar(node)) return { text: '', tag: '', plainUntagged: true };
  const tag = node.tag && node.tag !== '!' ? node.tag : node.tag === '!' ? '!' : '';
  const text = typeof node.source === 'string' ? node.source : node.value === null ? '' : String(node.value);
  const plain = node.type === undefined || node.type === 'PLAIN';
  return { text, tag, plainUntagged: plain && tag === '' };
}

function isMergeKey(node: Node | null): boolean {
  if (!isScalar(node) || node.source !== '<<') return false;
  const plain = node.type === undefined || node.type === 'PLAIN';
  return (plain && !node.tag) || node.tag === `${TAG}merge`;
}

/** Go map key identity for map[interface{}]interface{}. */
let nanKeys = 0;
function goKeyIdentity(key: GoValue): string {
  switch (key.t) {
    case 'string':
      return `s:${key.v}`;
    case 'null':
      return 'null';
    case 'bool':
      return `b:${key.v}`;
    case 'number':
      return key.finite || key.key.toLowerCase().includes('inf') ? `n:${key.key}` : `nan:${nanKeys++}`;
    default:
      return `x:${nanKeys++}`;
  }
}

/** A JSON value after sigs.k8s.io/yaml's conversion, keeping the YAML node it came from. */
type JsonValue =
  | { t: 'null'; node: Node | null }
  | { t: 'string'; v: string; node: Node | null }
  | { t: 'number'; node: Node | null }
  | { t: 'bool'; node: Node | null }
  | { t: 'object'; members: JsonMember[]; node: Node | null }
  | { t: 'array'; items: JsonValue[]; node: Node | null };

interface JsonMember {
  key: string;
  value: JsonValue;
  keyNode: Node | null;
  replaced?: Array<Node | null>;
}

/** sigs.k8s.io/yaml convertToJSONableObject, then json.Marshal's refusals; keys come out sorted by bytes. */
function toJsonValue(v: GoValue, depth: number): JsonValue {
  // encoding/json's scanner refuses nesting deeper than 10000 when the server decodes the result.
  if (depth > 10000) throw new DecodeRefused('exceeded max depth');
  switch (v.t) {
    case 'null':
      return { t: 'null', node: v.node };
    case 'string':
      return { t: 'string', v: v.v, node: v.node };
    case 'bool':
      return { t: 'bool', node: v.node };
    case 'number':
      if (!v.finite) throw new SectionFailure('json: unsupported value: NaN or infinity', v.node?.range?.[0]);
      return { t: 'number', node: v.node };
    case 'seq':
      return { t: 'array', items: v.items.map((i) => toJsonValue(i, depth + 1)), node: v.node };
    case 'map': {
      const byKey = new Map<string, JsonMember>();
      for (const { key, value, keyNode, replaced } of v.entries.values()) {
        if (key.t === 'null' || (key.t === 'number' && key.unsigned64)) {
          throw new SectionFailure('unsupported map key', keyNode?.range?.[0]);
        }
        // Only string keys can name a field; others get a name no field has.
        const name = key.t === 'string' ? key.v : `\u0000${goKeyIdentity(key)}`;
        byKey.set(name, {
          key: name,
          value: toJsonValue(value, depth + 1),
          keyNode,
          ...(replaced ? { replaced } : {}),
        });
      }
      const members = [...byKey.values()].sort((a, b) =>
        Buffer.compare(Buffer.from(a.key, 'utf8'), Buffer.from(b.key, 'utf8')),
      );
      return { t: 'object', members, node: v.node };
    }
  }
}

/** encoding/json refuses the converted text as a whole (nesting): nothing of the section is decoded. */
class DecodeRefused extends Error {}

/** A field value with the node it came from. */
export interface Located<T> {
  value: T;
  /** The key's node (for fields) or the value's node. */
  node: Node | null;
}

/** One element of mapRoles or mapUsers after encoding/json, before the server's Validate. */
export interface DecodedEntry {
  /** The list item (an alias when the entry is `- *anchor`). */
  node: Node | null;
  /** Not a JSON object: encoding/json leaves the zero value (a type error, or nothing for null). */
  notObject?: 'null' | 'other';
  arn?: Located<string>;
  username?: Located<string>;
  /** undefined: never set; null: JSON null (a nil slice). */
  groups?: Located<Array<Located<string>>> | { value: null; node: Node | null };
  /** The SSO matcher (mapRoles only): whether it is set, and its fields. */
  sso?:
    | Located<{ permissionSetName: string; accountID: string; partition: string }>
    | { value: null; node: Node | null };
  /** Keys no field takes (the server ignores them), with their nodes. */
  unknownKeys: Array<Located<string>>;
  /** Keys that set a field an earlier key (in encoding/json's order) had set. */
  overridden: Array<{ field: string; key: Located<string>; by: Located<string> }>;
  /** encoding/json type errors inside this element: field and node. */
  typeErrors: Array<{ field: string; node: Node | null; message: string }>;
}

export interface DecodedSection {
  /** The section's YAML document, for line numbers. */
  doc?: Document;
  /** The server keeps nothing of the section: the YAML stage (or the JSON prefix) failed. */
  failure?: SectionFailure;
  /** encoding/json refused the whole converted text (it decodes nothing) or the top level is not a list. */
  notList?: string;
  entries: DecodedEntry[];
}

export interface DecodedAccounts {
  doc?: Document;
  failure?: SectionFailure;
  typeErrors: Array<{ message: string; node: Node | null }>;
  accounts: Array<{ value: string; node: Node | null }>;
}

/** aws-iam-authenticator isSkippable: blank, or an empty quoted string. */
export function isSkippable(text: string): boolean {
  const t = goTrimSpace(text);
  return t === '' || t === '``' || t === '""' || t === "''";
}

// Go's unicode.IsSpace.
const GO_SPACE = /[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/;
function goTrimSpace(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && GO_SPACE.test(text[start] ?? '')) start++;
  while (end > start && GO_SPACE.test(text[end - 1] ?? '')) end--;
  return text.slice(start, end);
}

/** Parses the first YAML document as yaml.v2 would see it; throws SectionFailure where yaml.v2 fails to parse. */
function parseFirstDocument(text: string): { doc: Document | undefined; aliases: Map<Alias, Node | null> } {
  const bad = NOT_PRINTABLE.exec(text);
  if (bad) throw new SectionFailure('control characters are not allowed', bad.index);
  // yaml.v2 refuses flow or block nesting deeper than 10000 (scannerc.go max_flow_level, max_indents).
  if (nestingBeyond(text, 10000)) throw new SectionFailure('exceeded max depth of 10000');
  // libyaml (YAML 1.1) also breaks lines at NEL, LS and PS; the yaml package (1.2 rules) does not.
  const lines = text.replace(/[\u0085\u2028\u2029]/g, '\n');
  const docs = parseAllDocuments(lines, { version: '1.1', uniqueKeys: false, merge: false, strict: false });
  const list = Array.isArray(docs) ? docs : [];
  const doc = list[0];
  if (!doc) return { doc: undefined, aliases: new Map() };
  const error = doc.errors.find((e) => e.code !== 'TAG_RESOLVE_FAILED');
  if (error && /Maximum call stack size exceeded/.test(error.message))
    throw new SectionFailure(TOO_DEEP, error.pos[0], true);
  if (error) throw new SectionFailure(error.message.split('\n')[0] ?? 'YAML error', error.pos[0]);
  return { doc, aliases: bindAliases(doc) };
}

/** A cheap upper bound of the nesting depth: brackets and indentation steps. */
function nestingBeyond(text: string, limit: number): boolean {
  let flow = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x5b || c === 0x7b) {
      if (++flow > limit) return true;
    } else if ((c === 0x5d || c === 0x7d) && flow > 0) flow--;
  }
  return false;
}

/** Binds each alias to the last node anchored with its name before it, in document order. */
function bindAliases(doc: Document): Map<Alias, Node | null> {
  const anchors = new Map<string, Node>();
  const bound = new Map<Alias, Node | null>();
  const visit = (node: unknown): void => {
    if (node === null || node === undefined) return;
    if (isAlias(node)) {
      const target = anchors.get(node.source);
      if (!target) throw new SectionFailure(`unknown anchor '${node.source}' referenced`, node.range?.[0]);
      bound.set(node, target);
      return;
    }
    if (isPair(node)) {
      visit(node.key);
      visit(node.value);
      return;
    }
    const n = node as Node;
    // The anchor is registered before the node's children are read, so a child may refer to it.
    if ((n as { anchor?: string }).anchor) anchors.set((n as { anchor: string }).anchor, n);
    if (isMap(n) || isSeq(n)) for (const item of n.items) visit(item);
  };
  visit(doc.contents);
  return bound;
}

/** Reads mapRoles or mapUsers as the server does. Never throws. */
export function decodeMappingSection(text: string, arnKey: 'rolearn' | 'userarn'): DecodedSection {
  const result: DecodedSection = { entries: [] };
  if (goTrimSpace(text).startsWith('{')) {
    // util/yaml.ToJSON hands text starting with `{` to encoding/json as it is: an object (or
    // broken JSON) is not a list of mappings, and nothing of it is decoded.
    result.notList = 'the section starts with `{`: the server reads it as JSON, and a JSON object is not a list';
    return result;
  }
  let json: JsonValue;
  try {
    const { doc, aliases } = parseFirstDocument(text);
    if (doc) result.doc = doc;
    const decoded = doc ? new Decoder({ aliases }).document(doc) : ({ t: 'null', node: null } as const);
    json = toJsonValue(decoded, 1);
  } catch (err) {
    if (err instanceof DecodeRefused) {
      result.notList = 'nesting deeper than encoding/json accepts';
      return result;
    }
    if (err instanceof SectionFailure) {
      result.failure = err;
      return result;
    }
    if (err instanceof RangeError) {
      result.failure = new SectionFailure(TOO_DEEP, undefined, true);
      return result;
    }
    throw err;
  }
  if (json.t === 'null') return result;
  if (json.t !== 'array') {
    result.notList = `the section is ${json.t === 'object' ? 'a mapping' : `a ${json.t}`}, not a list`;
    return result;
  }
  for (const item of json.items) result.entries.push(decodeEntry(item, arnKey));
  return result;
}

const ROLE_FIELDS = ['rolearn', 'sso', 'username', 'groups', 'userid'] as const;
const USER_FIELDS = ['userarn', 'username', 'groups', 'userid'] as const;
const SSO_FIELDS = ['permissionSetName', 'accountID', 'partition'] as const;

/** encoding/json's field match: the exact name, else case-insensitively (`ſ` folds to s, the Kelvin sign to k). */
function fieldFor<T extends string>(key: string, fields: readonly T[]): T | undefined {
  const exact = fields.find((f) => f === key);
  if (exact) return exact;
  const folded = key
    .replace(/[A-Z]/g, (c) => c.toLowerCase())
    .replaceAll('\u017f', 's')
    .replaceAll('\u212a', 'k');
  return fields.find((f) => f.toLowerCase() === folded);
}

function decodeEntry(item: JsonValue, arnKey: 'rolearn' | 'userarn'): DecodedEntry {
  const entry: DecodedEntry = { node: item.node, unknownKeys: [], overridden: [], typeErrors: [] };
  if (item.t !== 'object') {
    entry.notObject = item.t === 'null' ? 'null' : 'other';
    if (item.t !== 'null')
      entry.typeErrors.push({ field: '', node: item.node, message: `a ${item.t} is not a mapping` });
    return entry;
  }
  const fields = arnKey === 'rolearn' ? ROLE_FIELDS : USER_FIELDS;
  const setBy = new Map<string, Located<string>>();
  // The groups slice as encoding/json keeps it: length and the backing array it reuses.
  let backing: Array<Located<string>> = [];
  let capacity = 0;
  for (const { key, value, keyNode, replaced } of item.members) {
    const field = fieldFor(key, fields as readonly string[]);
    const keyAt: Located<string> = { value: key, node: keyNode };
    for (const earlier of replaced ?? [])
      entry.overridden.push({ field: field ?? key, key: { value: key, node: earlier }, by: keyAt });
    if (!field) {
      entry.unknownKeys.push(keyAt);
      continue;
    }
    const typeError = (what: string) => entry.typeErrors.push({ field, node: value.node ?? keyNode, message: what });
    const previous = setBy.get(field);
    const noteSet = () => {
      if (previous) entry.overridden.push({ field, key: previous, by: keyAt });
      setBy.set(field, keyAt);
    };
    if (field === 'groups') {
      if (value.t === 'null') {
        noteSet();
        backing = [];
        capacity = 0;
        entry.groups = { value: null, node: keyNode };
        continue;
      }
      if (value.t !== 'array') {
        typeError(`groups is a ${value.t}, not a list`);
        continue;
      }
      noteSet();
      const length = entry.groups && entry.groups.value !== null ? entry.groups.value.length : 0;
      let len = length;
      let i = 0;
      for (const g of value.items) {
        if (i >= capacity) {
          const grown = Math.max(4, capacity + Math.floor(capacity / 2));
          const next: Array<Located<string>> = backing.slice(0, len);
          while (next.length < grown) next.push({ value: '', node: null });
          backing = next;
          capacity = grown;
        }
        if (i >= len) len = i + 1;
        if (g.t === 'string') backing[i] = { value: g.v, node: g.node };
        else if (g.t !== 'null') typeError(`a group is a ${g.t}, not a string`);
        i++;
      }
      if (i === 0) {
        backing = [];
        capacity = 0;
      }
      entry.groups = { value: backing.slice(0, i), node: keyNode };
      continue;
    }
    if (field === 'sso') {
      if (value.t === 'null') {
        noteSet();
        entry.sso = { value: null, node: keyNode };
        continue;
      }
      if (value.t !== 'object') {
        // encoding/json allocates the pointer before it finds the type wrong: sso is set, and empty.
        typeError(`sso is a ${value.t}, not a mapping`);
        noteSet();
        if (!entry.sso || entry.sso.value === null)
          entry.sso = { value: { permissionSetName: '', accountID: '', partition: '' }, node: keyNode };
        continue;
      }
      noteSet();
      // A pointer already set is decoded into again, keeping fields the new object lacks.
      const sso =
        entry.sso && entry.sso.value !== null
          ? { ...entry.sso.value }
          : { permissionSetName: '', accountID: '', partition: '' };
      for (const m of value.members) {
        const f = fieldFor(m.key, SSO_FIELDS);
        if (!f) continue;
        if (m.value.t === 'string') sso[f] = m.value.v;
        else if (m.value.t !== 'null') typeError(`sso.${f} is a ${m.value.t}, not a string`);
      }
      entry.sso = { value: sso, node: keyNode };
      continue;
    }
    // String fields: a string sets, null leaves the field as it was, anything else is a type error.
    if (value.t === 'null') continue;
    if (value.t !== 'string') {
      typeError(`${key} is a ${value.t}, not a string`);
      continue;
    }
    noteSet();
    const located = { value: value.v, node: keyNode };
    if (field === arnKey) entry.arn = located;
    else if (field === 'username') entry.username = located;
  }
  return entry;
}

/** Reads mapAccounts as the server does (yaml.v2 into []string). Never throws. */
export function decodeAccountsSection(text: string): DecodedAccounts {
  const result: DecodedAccounts = { typeErrors: [], accounts: [] };
  try {
    const { doc, aliases } = parseFirstDocument(text);
    if (!doc) return result;
    result.doc = doc;
    result.accounts = new Decoder({ aliases }).documentStrings(doc, result.typeErrors);
  } catch (err) {
    if (err instanceof SectionFailure) result.failure = err;
    else if (err instanceof RangeError) result.failure = new SectionFailure(TOO_DEEP, undefined, true);
    else throw err;
  }
  return result;
}

/** Go's unicode.ToLower on one code point (simple mapping: U+0130 becomes i, Σ never ς). */
export function goLowerRune(cp: number): number {
  if (cp < 0x80) return cp >= 0x41 && cp <= 0x5a ? cp + 32 : cp;
  if (cp === 0x130) return 0x69;
  const lower = String.fromCodePoint(cp).toLowerCase();
  const first = lower.codePointAt(0) ?? cp;
  return lower.length === String.fromCodePoint(first).length ? first : cp;
}

/** Go's strings.ToLower. */
export function goToLower(text: string): string {
  let out = '';
  for (const ch of text) out += String.fromCodePoint(goLowerRune(ch.codePointAt(0) ?? 0));
  return out;
}

const foldCache = new Map<number, RegExp>();
/** Whether two code points share a simple case folding orbit (Go's unicode.SimpleFold; ECMAScript /iu uses the same folding). */
export function sameFold(a: number, b: number): boolean {
  if (a === b) return true;
  if (a < 0x80 && b < 0x80) return (a | 0x20) === (b | 0x20) && (a | 0x20) >= 0x61 && (a | 0x20) <= 0x7a;
  let re = foldCache.get(a);
  if (!re) {
    re = new RegExp(`^\\u{${a.toString(16)}}$`, 'iu');
    foldCache.set(a, re);
  }
  return re.test(String.fromCodePoint(b));
}

/** Go's strings.EqualFold: equal code point by code point under simple case folding. */
export function goEqualFold(a: string, b: string): boolean {
  const x = [...a];
  const y = [...b];
  if (x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++) {
    if (!sameFold(x[i]?.codePointAt(0) ?? 0, y[i]?.codePointAt(0) ?? 0)) return false;
  }
  return true;
}

const ACCOUNT_ID = /^[0-9]{12}$/;
const PERMISSION_SET_NAME = /^[A-Za-z0-9_+=,.@-]{1,32}$/;

/** Why the server's Validate refuses a decoded entry; undefined when it keeps it. */
export function validateEntry(
  entry: DecodedEntry,
  section: 'mapRoles' | 'mapUsers',
  partitions: readonly string[],
): string | undefined {
  const arn = entry.arn?.value ?? '';
  if (section === 'mapUsers') return arn === '' ? 'it has no userarn' : undefined;
  const sso = entry.sso?.value ?? undefined;
  if (arn === '' && !sso) return 'it has no rolearn (nor sso)';
  if (arn !== '' && sso) return 'it has both rolearn and sso, and the server accepts only one';
  if (sso) {
    if (!ACCOUNT_ID.test(sso.accountID)) return `its sso accountID "${sso.accountID}" is not 12 digits`;
    if (!PERMISSION_SET_NAME.test(sso.permissionSetName))
      return `its sso permissionSetName "${sso.permissionSetName}" is not a permission set name`;
    if (sso.partition !== '' && !partitions.includes(sso.partition))
      return `its sso partition "${sso.partition}" is unknown`;
  }
  return undefined;
}

/** The groups the server reads for an entry (a nil slice reads as none). */
export function groupsOf(entry: DecodedEntry): Array<Located<string>> {
  return entry.groups && entry.groups.value !== null ? entry.groups.value : [];
}

/**
 * The key under which the server stores an entry (aws-iam-authenticator RoleMapping.Key and
 * UserMapping.Key): a role's ARN lower-cased with Go's strings.ToLower, a user's ARN as written.
 * A later entry with the same key replaces the earlier one.
 */
export function storeKey(section: 'mapRoles' | 'mapUsers', arn: string): string {
  return section === 'mapRoles' ? goToLower(arn) : arn;
}

/**
 * Whether an entry's ARN matches an identity's canonical ARN as the server compares them
 * (aws-iam-authenticator RoleMapping.Matches / UserMapping.Matches with Map's lower-cased ARN):
 * strings.EqualFold(entry, strings.ToLower(canonical)).
 */
export function serverArnMatches(entryArn: string, canonicalArn: string): boolean {
  return goEqualFold(entryArn, goToLower(canonicalArn));
}
