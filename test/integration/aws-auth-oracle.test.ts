/**
 * Differential tests: eks-auth's reading of aws-auth against the Go oracle (test/oracle/aws-auth),
 * which reads the same sections with gopkg.in/yaml.v2, sigs.k8s.io/yaml and encoding/json as the
 * EKS authenticator does. Expected values are the oracle's answers, never written by hand.
 *
 * What is compared: the entries the server keeps (ARN, username, groups, in order), the accounts,
 * for each section whether it was dropped, had a type error, or lost entries to Validate, and for
 * a set of canonical ARNs every entry the server may answer with.
 *
 * Known gap, left out of the generator: the few inputs whose YAML syntax libyaml and the yaml
 * package judge differently (a lone `-` as a plain scalar inside a flow collection is valid for
 * libyaml only); there eks-auth reports a YAML error the server does not.
 *
 * Needs golang-go, golang-gopkg-yaml.v2-dev and golang-k8s-sigs-yaml-dev (scripts/setup installs
 * them); without them the tests skip, and fail under CI=true.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { parseAwsAuth, type AwsAuth } from '../../src/kube/aws-auth';
import { serverCandidates } from '../../src/kube/aws-auth-map';
import { goLowerRune, sameFold } from '../../src/kube/aws-auth-yaml';
import {
  buildOracle,
  Oracle,
  oracleMissing,
  oracleUnicodeTables,
  requireOracle,
  type OracleInput,
  type OracleResult,
} from '../oracle/aws-auth/oracle';

const SECTIONS = ['mapRoles', 'mapUsers', 'mapAccounts'] as const;
const ACCOUNT = '111122223333';
/** Canonical ARNs asked for in every comparison: plain, and the ones look-alike entries target. */
const ARNS = [
  `arn:aws:iam::${ACCOUNT}:role/infra`,
  `arn:aws:iam::${ACCOUNT}:role/Infra`,
  `arn:aws:iam::${ACCOUNT}:role/kube`,
  `arn:aws:iam::${ACCOUNT}:role/ops`,
  `arn:aws:iam::${ACCOUNT}:role/admin`,
  `arn:aws:iam::${ACCOUNT}:user/alice`,
  `arn:aws:iam::${ACCOUNT}:user/Alice`,
];
const ACCOUNTS = [ACCOUNT, '012345678901', '31', ''];

let binary: string | undefined;
let oracle: Oracle | undefined;
before(() => {
  if (oracleMissing()) return;
  binary = buildOracle();
  oracle = new Oracle(binary);
});
after(() => oracle?.stop());

/** A ConfigMap as `kubectl get configmap aws-auth -o json` prints it, holding the sections as they are. */
function configMapJson(data: Partial<Record<string, string>>): string {
  return JSON.stringify(
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'aws-auth', namespace: 'kube-system' }, data },
    null,
    4,
  );
}

/** eks-auth's answer in the oracle's shape: what the server keeps, and whom each ARN may map to. */
function eksAuthView(awsAuth: AwsAuth): OracleResult {
  const entry = (e: AwsAuth['roles'][number]) => ({
    arn: e.arn ?? '',
    sso: e.sso === true,
    username: e.username ?? '',
    groups: e.groups,
  });
  const sections: OracleResult['sections'] = {};
  for (const s of SECTIONS) {
    const state = awsAuth.sections[s];
    if (!state) continue;
    sections[s] = {
      invalid: state.invalid,
      ...(state.dropped ? { yamlError: state.dropped } : {}),
      ...(state.typeError ? { decodeError: state.typeError } : {}),
    };
  }
  const accounts = new Set(awsAuth.accounts.map((a) => a.account));
  return {
    roles: awsAuth.roles.filter((e) => !e.invalid).map(entry),
    users: awsAuth.users.filter((e) => !e.invalid).map(entry),
    accounts: awsAuth.accounts.map((a) => a.account),
    sections,
    matches: ARNS.map((arn) => {
      const c = serverCandidates(awsAuth, arn);
      const sorted = (list: ReturnType<typeof entry>[]) =>
        list.sort((a, b) => Buffer.compare(Buffer.from(JSON.stringify(a)), Buffer.from(JSON.stringify(b))));
      return { arn, roles: sorted(c.roles.map(entry)), users: sorted(c.users.map(entry)) };
    }),
    accountsAllowed: ACCOUNTS.map((a) => accounts.has(a)),
  };
}

/** What must agree: entries, accounts, which stage failed per section, and every ARN's candidates. */
function comparable(r: OracleResult): unknown {
  const sections: Record<string, unknown> = {};
  for (const [s, v] of Object.entries(r.sections))
    sections[s] = { dropped: Boolean(v?.yamlError), typeError: Boolean(v?.decodeError), invalid: v?.invalid };
  return {
    roles: r.roles,
    users: r.users,
    accounts: r.accounts,
    sections,
    matches: r.matches,
    accountsAllowed: r.accountsAllowed,
  };
}

async function compare(data: Partial<Record<string, string>>): Promise<void> {
  if (!oracle) throw new Error('no oracle');
  const input: OracleInput = { data, arns: ARNS, accounts: ACCOUNTS };
  const expected = comparable(await oracle.ask(input));
  const actual = comparable(eksAuthView(parseAwsAuth(configMapJson(data))));
  assert.deepEqual(actual, expected, `sections: ${JSON.stringify(data)}`);
}

// Hand-picked hostile sections: each is a way eks-auth and the server used to disagree, or could.
const HOSTILE: Array<[string, Partial<Record<string, string>>]> = [
  [
    'merge key inherits system:masters',
    {
      mapRoles: `- &admin\n  rolearn: arn:aws:iam::${ACCOUNT}:role/admin\n  username: admin\n  groups: [system:masters]\n- <<: *admin\n  rolearn: arn:aws:iam::${ACCOUNT}:role/ops\n  username: ops\n`,
    },
  ],
  [
    'alias entry',
    {
      mapRoles: `- &admin {rolearn: "arn:aws:iam::${ACCOUNT}:role/admin", username: a, groups: [system:masters]}\n- *admin\n`,
    },
  ],
  [
    'merge after a key overrides it (yaml.v2 applies merges in place)',
    {
      mapRoles: `- rolearn: arn:aws:iam::${ACCOUNT}:role/ops\n  <<: {rolearn: "arn:aws:iam::${ACCOUNT}:role/admin", username: m}\n`,
    },
  ],
  [
    'merge of a list of maps: earlier wins',
    { mapRoles: `- rolearn: arn:aws:iam::${ACCOUNT}:role/ops\n  <<: [{username: x}, {username: y, groups: [g]}]\n` },
  ],
  [
    'merge of an alias to a list fails',
    { mapRoles: `- &l [a]\n- rolearn: arn:aws:iam::${ACCOUNT}:role/ops\n  username: u\n  <<: *l\n` },
  ],
  [
    'quoted << is a plain key',
    { mapRoles: `- rolearn: arn:aws:iam::${ACCOUNT}:role/ops\n  "<<": {username: q}\n  username: u\n` },
  ],
  [
    'case-variant duplicate keys: the byte-wise last wins',
    {
      mapRoles: `- rolearn: arn:aws:iam::${ACCOUNT}:role/ops\n  username: lower\n  Username: upper\n  USERNAME: caps\n`,
    },
  ],
  [
    'duplicate key: last wins',
    { mapRoles: `- rolearn: arn:aws:iam::${ACCOUNT}:role/ops\n  username: first\n  username: second\n` },
  ],
  [
    'long s and Kelvin sign in keys',
    { mapRoles: `- rolearn: arn:aws:iam::${ACCOUNT}:role/ops\n  uſername: long-s\n  groupſ: [g]\n` },
  ],
  [
    'numbers and null in groups; stale slice reuse',
    { mapRoles: `- rolearn: arn:aws:iam::${ACCOUNT}:role/ops\n  username: u\n  Groups: [a, b, c]\n  groups: [1, ~]\n` },
  ],
  [
    'non-string username is a type error, the rest is kept',
    {
      mapRoles: `- rolearn: arn:aws:iam::${ACCOUNT}:role/ops\n  username: 12\n- rolearn: arn:aws:iam::${ACCOUNT}:role/admin\n  username: a\n`,
    },
  ],
  ['NaN drops the section', { mapRoles: `- rolearn: arn:aws:iam::${ACCOUNT}:role/ops\n  username: .nan\n` }],
  ['null key drops the section', { mapRoles: `- rolearn: arn:aws:iam::${ACCOUNT}:role/ops\n  ~: x\n` }],
  [
    'uint64 key drops the section',
    { mapRoles: `- rolearn: arn:aws:iam::${ACCOUNT}:role/ops\n  18446744073709551615: x\n` },
  ],
  ['self-referencing anchor', { mapRoles: '- &a [*a]\n' }],
  ['unknown anchor', { mapRoles: '- rolearn: *nope\n' }],
  ['JSON prefix', { mapRoles: '{"rolearn": "x"}' }],
  ['flow list', { mapRoles: `[{rolearn: "arn:aws:iam::${ACCOUNT}:role/ops", username: f}]` }],
  ['a mapping, not a list', { mapRoles: `rolearn: arn:aws:iam::${ACCOUNT}:role/ops` }],
  ['scalars and null as entries', { mapRoles: `- a\n- ~\n- rolearn: arn:aws:iam::${ACCOUNT}:role/ops\n` }],
  [
    'escape sequence drops the section',
    { mapRoles: `- rolearn: arn:aws:iam::${ACCOUNT}:role/ops\n  username: "\u001b]0;pwned\u0007"\n` },
  ],
  ['NEL is a line break', { mapRoles: `- rolearn: arn:aws:iam::${ACCOUNT}:role/ops\u0085  username: nel\n` }],
  [
    'sso with rolearn is refused',
    {
      mapRoles: `- rolearn: arn:aws:iam::${ACCOUNT}:role/ops\n  username: u\n  sso: {permissionSetName: x, accountID: '${ACCOUNT}'}\n`,
    },
  ],
  ['sso entry', { mapRoles: `- sso: {permissionSetName: Admin, accountID: '${ACCOUNT}'}\n  username: s\n` }],
  [
    'binary and explicit tags',
    {
      mapRoles: `- rolearn: !!binary ${Buffer.from(`arn:aws:iam::${ACCOUNT}:role/ops`).toString('base64')}\n  username: !!str 12\n  groups: [!!int 3]\n`,
    },
  ],
  ['a tag that does not fit', { mapRoles: '- rolearn: !!int abc\n' }],
  [
    'second document ignored',
    {
      mapRoles: `- rolearn: arn:aws:iam::${ACCOUNT}:role/ops\n  username: one\n---\n- rolearn: arn:aws:iam::${ACCOUNT}:role/admin\n  username: two\n`,
    },
  ],
  [
    'dotted I, Kelvin sign, long s, Cyrillic a in ARNs',
    {
      mapRoles: [`İnfra`, `\u212Aube`, `ſ`, `\u0430dmin`, `ınfra`, `infra`]
        .map((n, i) => `- rolearn: arn:aws:iam::${ACCOUNT}:role/${n}\n  username: u${i}\n`)
        .join(''),
    },
  ],
  [
    'a look-alike after the real role replaces it',
    {
      mapRoles: `- rolearn: arn:aws:iam::${ACCOUNT}:role/infra\n  username: real\n- rolearn: arn:aws:iam::${ACCOUNT}:role/İnfra\n  username: fake\n`,
    },
  ],
  [
    'users differing in case are both kept',
    {
      mapUsers: `- userarn: arn:aws:iam::${ACCOUNT}:user/Alice\n  username: a\n- userarn: arn:aws:iam::${ACCOUNT}:user/alice\n  username: b\n- username: no-arn\n`,
    },
  ],
  ['accounts of every shape', { mapAccounts: `- ${ACCOUNT}\n- '012345678901'\n- 0x1F\n- ~\n- {a: b}\n- [c]\n- yes\n` }],
  ['accounts: a scalar', { mapAccounts: ACCOUNT }],
  ['accounts: aliases', { mapAccounts: `- &a "${ACCOUNT}"\n- *a\n` }],
  ['skippable sections', { mapRoles: '``', mapUsers: "''", mapAccounts: '""' }],
  ['a tab where indentation is expected', { mapRoles: `- rolearn: arn:aws:iam::${ACCOUNT}:role/ops\n\tusername: b\n` }],
  [
    "flow nesting past yaml.v2's 10000 levels drops the section",
    {
      mapRoles: `- rolearn: arn:aws:iam::${ACCOUNT}:role/ops\n  username: u\n  x: ${'['.repeat(10001)}${']'.repeat(10001)}\n`,
    },
  ],
  ['timestamps and big floats stay strings', { mapRoles: '- rolearn: 2001-01-01\n  username: 1e400\n' }],
];

/** A billion-laughs section: `levels` anchors, each a list of `width` aliases of the previous. */
function laughs(levels: number, width: number): string {
  const lines = ['- &l0 [lol]'];
  for (let i = 1; i <= levels; i++)
    lines.push(`- &l${i} [${Array.from({ length: width }, () => `*l${i - 1}`).join(', ')}]`);
  lines.push(`- rolearn: arn:aws:iam::${ACCOUNT}:role/ops`, '  username: survivor');
  return `${lines.join('\n')}\n`;
}

describe('aws-auth against the Go oracle (yaml.v2, sigs.k8s.io/yaml, encoding/json)', () => {
  for (const [name, data] of HOSTILE) {
    test(`hostile: ${name}`, async (t) => {
      if (!requireOracle(t)) return;
      await compare(data);
    });
  }

  test('alias bombs: dropped exactly when yaml.v2 reports excessive aliasing', async (t) => {
    if (!requireOracle(t)) return;
    const sizes: Array<[number, number]> = [
      [2, 10],
      [3, 10],
      [4, 5],
      [4, 6],
      [5, 4],
      [6, 3],
      [7, 3],
      [9, 9],
      [3, 33],
      [2, 100],
      [1, 1001],
    ];
    let dropped = 0;
    for (const [levels, width] of sizes) {
      const data = { mapRoles: laughs(levels, width) };
      await compare(data);
      if ((await oracle?.ask({ data }))?.sections.mapRoles?.yamlError) dropped++;
    }
    // Both outcomes occur, so the comparison covers the limit from both sides.
    assert.ok(dropped > 0 && dropped < sizes.length, `dropped ${dropped} of ${sizes.length}`);
  });

  test('generated sections agree (fast-check)', async (t) => {
    if (!requireOracle(t)) return;
    await fc.assert(
      fc.asyncProperty(sectionsArbitrary(), async (data) => {
        await compare(data);
      }),
      {
        numRuns: Number(process.env.EKS_AUTH_ORACLE_RUNS ?? 400),
        seed: Number(process.env.EKS_AUTH_ORACLE_SEED ?? Date.now() % 2 ** 31),
      },
    );
  });

  test("Go's strings.ToLower and case-folding orbits, every assigned code point", (t) => {
    if (!requireOracle(t) || !binary) return;
    const tables = oracleUnicodeTables(binary);
    const assigned = new Set<number>();
    for (const orbit of tables.orbits) for (const cp of orbit) assigned.add(cp);
    let checked = 0;
    for (const [cp, lower] of Object.entries(tables.lower)) {
      assert.equal(goLowerRune(Number(cp)), lower, `ToLower(U+${Number(cp).toString(16)})`);
      checked++;
    }
    // Code points Go leaves alone must stay, too (sampled over the BMP and beyond).
    for (let cp = 0; cp < 0x20000; cp += 7) {
      if (cp >= 0xd800 && cp < 0xe000) continue;
      if (!(String(cp) in tables.lower) && goLowerRune(cp) !== cp) {
        // Only characters newer than Go's Unicode tables may differ.
        assert.ok(!assigned.has(cp), `U+${cp.toString(16)} lower-cases in eks-auth but not in Go`);
      }
    }
    for (const orbit of tables.orbits) {
      for (const a of orbit)
        for (const b of orbit) assert.ok(sameFold(a, b), `U+${a.toString(16)} ~ U+${b.toString(16)}`);
    }
    // Within the code points that have an orbit, nothing folds across orbits.
    const orbitOf = new Map<number, number>();
    tables.orbits.forEach((o, i) => {
      for (const cp of o) orbitOf.set(cp, i);
    });
    for (const [cp, i] of orbitOf) {
      for (const other of [cp + 1, cp - 1, cp + 32, cp - 32]) {
        const j = orbitOf.get(other);
        if (j !== undefined && j !== i)
          assert.ok(!sameFold(cp, other), `U+${cp.toString(16)} !~ U+${other.toString(16)}`);
      }
    }
    assert.ok(checked > 1000, `only ${checked} lower-case mappings from Go`);
  });
});

// ---- the generator ----------------------------------------------------------------------------

const NAMES = [
  'infra',
  'Infra',
  'İnfra',
  'ınfra',
  '\u212Aube',
  'kube',
  'KUBE',
  'ops',
  'ſ',
  's',
  'admin',
  '\u0430dmin',
  'Σ',
  'a/b',
  '',
];
const WORDS = [
  'system:masters',
  'dev',
  'yes',
  'on',
  'No',
  '~',
  'null',
  '',
  '0x1F',
  '1_0',
  '012',
  '1e3',
  '1e400',
  '.inf',
  '.NaN',
  '-',
  '2001-01-01',
  '<<',
  'a b',
  'é',
  '{{SessionName}}',
  '!!str 12',
  '!!int 7',
  '!!binary YWRtaW4=',
  '!!float 1',
  '!custom x',
  '18446744073709551615',
];
const KEYS = [
  'rolearn',
  'RoleArn',
  'ROLEARN',
  'userarn',
  'UserARN',
  'username',
  'Username',
  'uſername',
  'groups',
  'Groups',
  'groupſ',
  'userid',
  'sso',
  'other',
  '1',
  'true',
  '<<',
  '"<<"',
  '~',
  '18446744073709551615',
];
const ANCHORS = ['a', 'b', 'c'];

type Scalar = { kind: 'scalar'; text: string; style: 'plain' | 'single' | 'double' };
type Value =
  | Scalar
  | { kind: 'alias'; name: string }
  | { kind: 'seq'; items: Value[]; anchor?: string; flow: boolean }
  | { kind: 'map'; pairs: Array<[string, Value]>; anchor?: string; flow: boolean };

const scalar = (texts: string[]): fc.Arbitrary<Scalar> =>
  fc.record({
    kind: fc.constant('scalar' as const),
    text: fc.constantFrom(...texts),
    style: fc.constantFrom('plain' as const, 'single' as const, 'double' as const),
  });

const arnScalar = fc
  .tuple(
    fc.constantFrom('role', 'user'),
    fc.constantFrom(...NAMES),
    fc.constantFrom('plain' as const, 'double' as const),
  )
  .map(([type, name, style]): Scalar => ({ kind: 'scalar', text: `arn:aws:iam::${ACCOUNT}:${type}/${name}`, style }));

const anchorOpt = fc.option(fc.constantFrom(...ANCHORS), { nil: undefined });
const alias = fc.constantFrom(...ANCHORS).map((name): Value => ({ kind: 'alias', name }));

const leaf: fc.Arbitrary<Value> = fc.oneof(
  { weight: 3, arbitrary: scalar(WORDS) },
  { weight: 2, arbitrary: arnScalar },
  { weight: 1, arbitrary: alias },
);

const groupsValue: fc.Arbitrary<Value> = fc.oneof(
  fc.record({
    kind: fc.constant('seq' as const),
    items: fc.array(leaf, { maxLength: 4 }),
    anchor: anchorOpt,
    flow: fc.boolean(),
  }),
  leaf,
);

const entry: fc.Arbitrary<Value> = fc.record({
  kind: fc.constant('map' as const),
  pairs: fc.array(
    fc.constantFrom(...KEYS).chain((key): fc.Arbitrary<[string, Value]> => {
      if (key === '<<') {
        return fc
          .oneof(
            alias,
            fc.record({
              kind: fc.constant('seq' as const),
              items: fc.array(alias, { minLength: 1, maxLength: 2 }),
              flow: fc.constant(true),
              anchor: fc.constant(undefined),
            }),
          )
          .map((v) => [key, v]);
      }
      if (/arn$/i.test(key)) return arnScalar.map((v) => [key, v]);
      if (key === 'sso') {
        const sso = fc.record({
          kind: fc.constant('map' as const),
          pairs: fc.subarray<[string, Value]>([
            ['permissionSetName', { kind: 'scalar', text: 'Admin', style: 'plain' }],
            ['accountID', { kind: 'scalar', text: ACCOUNT, style: 'single' }],
            ['partition', { kind: 'scalar', text: 'aws', style: 'plain' }],
          ]),
          anchor: fc.constant(undefined),
          flow: fc.constant(true),
        });
        return fc.oneof(sso, leaf).map((v) => [key, v]);
      }
      if (/group/i.test(key)) return groupsValue.map((v) => [key, v]);
      return leaf.map((v) => [key, v]);
    }),
    { maxLength: 6 },
  ),
  anchor: anchorOpt,
  flow: fc.boolean(),
});

const section = fc.array(
  fc.oneof({ weight: 5, arbitrary: entry }, { weight: 1, arbitrary: alias }, { weight: 1, arbitrary: leaf }),
  { maxLength: 5 },
);

function sectionsArbitrary(): fc.Arbitrary<Partial<Record<string, string>>> {
  return fc.record(
    {
      mapRoles: section.map(emitList),
      mapUsers: section.map(emitList),
      mapAccounts: fc
        .array(fc.oneof(scalar([ACCOUNT, '012345678901', '0x1F', '~', 'yes', '']), alias), { maxLength: 4 })
        .map(emitList),
    },
    { requiredKeys: [] },
  );
}

function emitScalar(s: Scalar): string {
  if (s.style === 'double') return JSON.stringify(s.text);
  if (s.style === 'single') return `'${s.text.replaceAll("'", "''")}'`;
  return s.text === '' ? "''" : s.text;
}

function emitFlow(v: Value): string {
  switch (v.kind) {
    case 'scalar':
      // A lone `-` is a plain scalar in a flow collection for libyaml but not for the yaml package:
      // that syntax gap is left out (see the module comment).
      return v.style === 'plain' && (/[,[\]{}#]|: /.test(v.text) || v.text === '-')
        ? JSON.stringify(v.text)
        : emitScalar(v);
    case 'alias':
      return `*${v.name}`;
    case 'seq':
      return `${v.anchor ? `&${v.anchor} ` : ''}[${v.items.map(emitFlow).join(', ')}]`;
    case 'map':
      return `${v.anchor ? `&${v.anchor} ` : ''}{${v.pairs.map(([k, val]) => `${k}: ${emitFlow(val)}`).join(', ')}}`;
  }
}

/** Block style where the value asks for it, flow inside. */
function emitBlock(v: Value, indent: string): string {
  if (v.kind === 'map' && !v.flow && v.pairs.length > 0) {
    const head = v.anchor ? `&${v.anchor}\n${indent}` : '';
    return head + v.pairs.map(([k, val], i) => `${i === 0 ? '' : indent}${k}: ${emitFlow(val)}`).join('\n');
  }
  return emitFlow(v);
}

function emitList(items: Value[]): string {
  if (items.length === 0) return '[]';
  return `${items.map((i) => `- ${emitBlock(i, '  ')}`).join('\n')}\n`;
}
