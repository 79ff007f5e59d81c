/**
 * The mapping EKS computes from the authentication mode, the access entries and aws-auth.
 * Expected values come from the EKS user guide (creating-access-entries: default usernames and
 * precedence; set-custom-username: templates; access-policy-reference: policies), not from the code.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parsePrincipal, stripRolePath } from '../../../src/aws/arn';
import {
  accessEntryNearMisses,
  defaultUsername,
  describeAccessPolicy,
  mapClusterIdentity,
  matchAccessEntry,
  ssoPermissionSet,
  type AccessEntryRecord,
  type AuthenticationMode,
  type ClusterIdentity,
  type MatchedBy,
} from '../../../src/kube/access-entries';
import { parseAwsAuth } from '../../../src/kube/aws-auth';
import { mappingArnProblem } from '../../../src/kube/aws-auth-map';

const A = '111122223333';
const OTHER = '444455556666';

/** The identity as explain builds it: STS ARN, canonical ARN (role path dropped), session name. */
function who(arn: string, extra: Partial<ClusterIdentity> = {}): ClusterIdentity {
  const p = parsePrincipal(arn);
  return {
    arn,
    canonicalArn: p.kind === 'role' ? stripRolePath(arn) : p.canonicalArn,
    account: p.account,
    partition: p.partition,
    ...(p.sessionName === undefined ? {} : { sessionName: p.sessionName }),
    ...extra,
  };
}

const entry = (
  principalArn: string,
  fields: Partial<NonNullable<AccessEntryRecord['entry']>> = {},
  policies: AccessEntryRecord['policies'] = [],
): AccessEntryRecord => ({
  principalArn,
  entry: {
    clusterName: 'demo',
    principalArn,
    kubernetesGroups: [],
    type: 'STANDARD',
    createdAt: new Date('2025-01-01T00:00:00Z'),
    ...fields,
  },
  policies,
});

const VIEW = {
  policyArn: 'arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy',
  accessScope: { type: 'cluster' as const },
};

// One principal of each kind the matrix covers.
const PRINCIPALS = {
  session: who(`arn:aws:sts::${A}:assumed-role/Dev/alice@example.com`),
  rolePath: who(`arn:aws:iam::${A}:role/team/Ops`),
  user: who(`arn:aws:iam::${A}:user/ops/bob`),
  root: who(`arn:aws:iam::${A}:root`),
};
type PrincipalName = keyof typeof PRINCIPALS;

// Entries as the API returns them: a role entry with a path (allowed for entries), one without, a user.
const ENTRIES: AccessEntryRecord[] = [
  entry(
    `arn:aws:iam::${A}:role/eks/Dev`,
    { username: `arn:aws:sts::${A}:assumed-role/Dev/{{SessionName}}`, kubernetesGroups: ['entry-dev'] },
    [VIEW],
  ),
  entry(`arn:aws:iam::${A}:role/Ops`, { username: 'ops:{{SessionName}}', kubernetesGroups: ['entry-ops'] }, [VIEW]),
  entry(
    `arn:aws:iam::${A}:user/ops/bob`,
    { username: `arn:aws:iam::${A}:user/ops/bob`, kubernetesGroups: ['entry-bob'] },
    [VIEW],
  ),
];

const AWS_AUTH = parseAwsAuth(`mapRoles: |
  - rolearn: arn:aws:iam::${A}:role/Dev
    username: aws-auth-dev
    groups: [dev-team]
  - rolearn: arn:aws:iam::${A}:role/Ops
    username: aws-auth-ops
    groups: [ops-team]
mapUsers: |
  - userarn: arn:aws:iam::${A}:user/ops/bob
    username: aws-auth-bob
    groups: [bob-team]
  - userarn: arn:aws:iam::${A}:root
    username: aws-auth-root
    groups: []
`);

type Source = 'entry' | 'awsAuth' | 'both';
// EKS's precedence, written out per mode and source: which one maps a principal both could name.
const WINNER: Record<AuthenticationMode, Record<Source, 'entry' | 'awsAuth' | null>> = {
  CONFIG_MAP: { entry: null, awsAuth: 'awsAuth', both: 'awsAuth' },
  API_AND_CONFIG_MAP: { entry: 'entry', awsAuth: 'awsAuth', both: 'entry' },
  API: { entry: 'entry', awsAuth: null, both: 'entry' },
};
// What each source gives each principal (from the fixtures above); root can have no access entry.
const BY_ENTRY: Record<PrincipalName, { username: string; groups: string[] } | null> = {
  session: { username: `arn:aws:sts::${A}:assumed-role/Dev/alice-example.com`, groups: ['entry-dev'] },
  rolePath: { username: 'ops:{{SessionName}}', groups: ['entry-ops'] },
  user: { username: `arn:aws:iam::${A}:user/ops/bob`, groups: ['entry-bob'] },
  root: null,
};
const BY_AWS_AUTH: Record<PrincipalName, { username: string; groups: string[]; via: MatchedBy }> = {
  session: { username: 'aws-auth-dev', groups: ['dev-team'], via: 'mapRoles' },
  rolePath: { username: 'aws-auth-ops', groups: ['ops-team'], via: 'mapRoles' },
  user: { username: 'aws-auth-bob', groups: ['bob-team'], via: 'mapUsers' },
  root: { username: 'aws-auth-root', groups: [], via: 'mapUsers' },
};

describe('mapClusterIdentity: mode × source × principal kind', () => {
  for (const mode of Object.keys(WINNER) as AuthenticationMode[]) {
    for (const source of ['entry', 'awsAuth', 'both'] as Source[]) {
      for (const name of Object.keys(PRINCIPALS) as PrincipalName[]) {
        test(`${mode}, ${source}, ${name}`, () => {
          const m = mapClusterIdentity({
            mode,
            identity: PRINCIPALS[name],
            ...(source !== 'awsAuth' ? { accessEntries: ENTRIES } : {}),
            ...(source !== 'entry' ? { awsAuth: { config: AWS_AUTH, source: 'aws-auth.yaml' } } : {}),
          });
          let winner = WINNER[mode][source];
          // An entry that cannot exist falls through to aws-auth where aws-auth applies.
          if (winner === 'entry' && BY_ENTRY[name] === null)
            winner = source === 'both' && mode !== 'API' ? 'awsAuth' : null;
          if (winner === 'entry') {
            const want = BY_ENTRY[name] as { username: string; groups: string[] };
            assert.equal(m.mapped, true);
            assert.equal(m.matchedBy, 'accessEntry');
            assert.equal(m.username, want.username);
            assert.deepEqual(m.groups, want.groups);
            assert.deepEqual(m.accessPolicies, [VIEW]);
            assert.notEqual(m.accessEntry, null);
          } else if (winner === 'awsAuth') {
            const want = BY_AWS_AUTH[name];
            assert.equal(m.mapped, true);
            assert.equal(m.matchedBy, want.via);
            assert.equal(m.username, want.username);
            assert.deepEqual(m.groups, want.groups);
            assert.equal(m.accessEntry, null);
            assert.deepEqual(m.accessPolicies, []);
          } else {
            assert.equal(m.mapped, false);
            assert.equal(m.matchedBy, null);
            assert.equal(m.reason, 'not-mapped');
            if (mode === 'API' && source === 'awsAuth') {
              // aws-auth would have mapped it: named as ignored by the mode, with the aws-auth entry.
              assert.equal(m.accessEntryNearMiss?.kind, 'ignored-by-mode');
              assert.equal(m.accessEntryNearMiss?.awsAuthEntry?.section, BY_AWS_AUTH[name].via);
            }
          }
        });
      }
    }
  }

  test('CONFIG_MAP says access entries are not used; API says aws-auth is ignored', () => {
    const session = PRINCIPALS.session;
    const c = mapClusterIdentity({
      mode: 'CONFIG_MAP',
      identity: session,
      awsAuth: { config: parseAwsAuth('mapRoles: ""'), source: 'f' },
    });
    assert.ok(c.notes.some((n) => n.includes('CONFIG_MAP') && n.includes('access entries are not used')));
    const a = mapClusterIdentity({
      mode: 'API',
      identity: session,
      accessEntries: ENTRIES,
      awsAuth: { config: AWS_AUTH, source: 'aws-auth.yaml' },
    });
    assert.equal(a.matchedBy, 'accessEntry');
    assert.ok(
      a.notes.some((n) => n.includes('mapRoles entry 1 (aws-auth.yaml:2)') && n.includes('mode API ignores aws-auth')),
    );
  });

  test('API_AND_CONFIG_MAP: an entry wins over the aws-auth line for the same ARN, and says so', () => {
    const m = mapClusterIdentity({
      mode: 'API_AND_CONFIG_MAP',
      identity: PRINCIPALS.session,
      accessEntries: ENTRIES,
      awsAuth: { config: AWS_AUTH, source: 'x' },
    });
    assert.equal(m.matchedBy, 'accessEntry');
    assert.ok(m.notes.some((n) => n.includes('the access entry wins (aws-auth would give username aws-auth-dev)')));
  });

  test('API_AND_CONFIG_MAP without aws-auth: not mapped, and says aws-auth was not read', () => {
    const m = mapClusterIdentity({
      mode: 'API_AND_CONFIG_MAP',
      identity: who(`arn:aws:sts::${A}:assumed-role/Nobody/x`),
      accessEntries: ENTRIES,
    });
    assert.equal(m.mapped, false);
    assert.match(m.message ?? '', /matches none of the cluster's 3 access entries; aws-auth was not read/);
  });

  test('a mode that could not be read: aws-auth alone, entries ignored', () => {
    const m = mapClusterIdentity({
      mode: null,
      identity: PRINCIPALS.user,
      accessEntries: ENTRIES,
      awsAuth: { config: AWS_AUTH, source: 'x' },
    });
    assert.equal(m.matchedBy, 'mapUsers');
  });

  test('mapAccounts still serves in API_AND_CONFIG_MAP', () => {
    const m = mapClusterIdentity({
      mode: 'API_AND_CONFIG_MAP',
      identity: who(`arn:aws:sts::${A}:assumed-role/Anyone/s`),
      accessEntries: ENTRIES,
      awsAuth: { config: parseAwsAuth(`mapAccounts: |\n  - "${A}"\n`), source: 'x' },
    });
    assert.equal(m.matchedBy, 'mapAccounts');
    assert.equal(m.username, `arn:aws:iam::${A}:role/Anyone`);
  });
});

describe('matchAccessEntry', () => {
  const cases: [string, string[], string | undefined][] = [
    // [caller canonical ARN, listed entries, the one EKS applies]
    [`arn:aws:iam::${A}:role/Dev`, [`arn:aws:iam::${A}:role/a/b/Dev`], `arn:aws:iam::${A}:role/a/b/Dev`],
    [`arn:aws:iam::${A}:role/Dev`, [`arn:aws:iam::${A}:role/dev`], `arn:aws:iam::${A}:role/dev`],
    [`arn:aws:iam::${A}:role/Dev`, [`arn:aws:iam::${A}:user/Dev`], undefined],
    [`arn:aws:iam::${A}:role/Dev`, [`arn:aws:iam::${OTHER}:role/Dev`], undefined],
    [
      `arn:aws-cn:iam::${A}:role/Dev`,
      [`arn:aws:iam::${A}:role/Dev`, `arn:aws-cn:iam::${A}:role/Dev`],
      `arn:aws-cn:iam::${A}:role/Dev`,
    ],
    [`arn:aws:iam::${A}:user/Bob`, [`arn:aws:iam::${A}:user/people/bob`], `arn:aws:iam::${A}:user/people/bob`],
    [
      `arn:aws:iam::${A}:role/Dev`,
      [`arn:aws:sts::${A}:assumed-role/Dev/s`, `arn:aws:iam::${A}:instance-profile/Dev`],
      undefined,
    ],
    [`arn:aws:iam::${A}:root`, [`arn:aws:iam::${A}:root`], undefined],
    [
      `arn:aws:iam::${A}:role/AWSReservedSSO_Admin_0123456789abcdef`,
      [`arn:aws:iam::${A}:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_Admin_0123456789abcdef`],
      `arn:aws:iam::${A}:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_Admin_0123456789abcdef`,
    ],
  ];
  for (const [caller, list, want] of cases) {
    test(`${caller} against ${list.join(', ')}`, () =>
      assert.equal(matchAccessEntry(list, { canonicalArn: caller }), want));
  }
});

describe('default usernames (creating-access-entries)', () => {
  const role = `arn:aws:iam::${A}:role/path/Dev`;
  const user = `arn:aws:iam::${A}:user/path/bob`;
  const cases: [string | undefined, string, string][] = [
    [undefined, role, `arn:aws:sts::${A}:assumed-role/Dev/{{SessionName}}`],
    ['STANDARD', role, `arn:aws:sts::${A}:assumed-role/Dev/{{SessionName}}`],
    ['STANDARD', user, user],
    ['STANDARD', `arn:aws-us-gov:iam::${A}:role/Dev`, `arn:aws-us-gov:sts::${A}:assumed-role/Dev/{{SessionName}}`],
    ['EC2_LINUX', role, 'system:node:{{EC2PrivateDNSName}}'],
    ['EC2_WINDOWS', role, 'system:node:{{EC2PrivateDNSName}}'],
    ['FARGATE_LINUX', role, 'system:node:{{SessionName}}'],
    ['HYBRID_LINUX', role, 'system:node:{{SessionName}}'],
  ];
  for (const [type, arn, want] of cases)
    test(`${type ?? '(no type)'} ${arn}`, () => assert.equal(defaultUsername(type, arn), want));

  test('an entry without a username gets its default, filled in', () => {
    const m = mapClusterIdentity({
      mode: 'API',
      identity: who(`arn:aws:sts::${A}:assumed-role/Dev/alice@example.com`),
      accessEntries: [entry(`arn:aws:iam::${A}:role/Dev`, {}, [VIEW])],
    });
    assert.equal(m.username, `arn:aws:sts::${A}:assumed-role/Dev/alice-example.com`);
    assert.ok(m.notes.some((n) => n.includes('default of type STANDARD')));
  });

  test('templates: {{SessionNameRaw}} keeps @, {{AccountID}}; a role ARN leaves {{SessionName}} with a note', () => {
    const e = [entry(`arn:aws:iam::${A}:role/Dev`, { username: 'dev:{{AccountID}}:{{SessionNameRaw}}' }, [VIEW])];
    const s = mapClusterIdentity({
      mode: 'API',
      identity: who(`arn:aws:sts::${A}:assumed-role/Dev/a@b`),
      accessEntries: e,
    });
    assert.equal(s.username, `dev:${A}:a@b`);
    const r = mapClusterIdentity({ mode: 'API', identity: who(`arn:aws:iam::${A}:role/Dev`), accessEntries: e });
    assert.equal(r.username, `dev:${A}:{{SessionNameRaw}}`);
    assert.ok(r.notes.some((n) => n.includes('{{SessionName}} is unknown')));
  });

  test('an EC2_LINUX entry: the session must be an instance id', () => {
    const e = [entry(`arn:aws:iam::${A}:role/Node`, { type: 'EC2_LINUX' })];
    const ok = mapClusterIdentity({
      mode: 'API',
      identity: who(`arn:aws:sts::${A}:assumed-role/Node/i-0123456789abcdef0`),
      accessEntries: e,
    });
    assert.equal(ok.mapped, true);
    assert.equal(ok.username, 'system:node:{{EC2PrivateDNSName}}');
    assert.deepEqual(ok.warnings, []);
    const bad = mapClusterIdentity({
      mode: 'API',
      identity: who(`arn:aws:sts::${A}:assumed-role/Node/alice`),
      accessEntries: e,
    });
    assert.equal(bad.mapped, false);
    assert.equal(bad.reason, 'template-error');
  });
});

describe('access-entry near-misses', () => {
  const dev = who(`arn:aws:sts::${A}:assumed-role/Dev/alice`);
  const cases: [string, string, string][] = [
    ['account', `arn:aws:iam::${OTHER}:role/Dev`, `same role name in account ${OTHER}`],
    ['partition', `arn:aws-cn:iam::${A}:role/Dev`, 'partition aws-cn'],
    ['assumed-role', `arn:aws:sts::${A}:assumed-role/Dev/alice`, 'names a role session'],
    ['instance-profile', `arn:aws:iam::${A}:instance-profile/Dev`, 'names an instance profile'],
    ['typo', `arn:aws:iam::${A}:role/Dve`, 'a typo?'],
  ];
  for (const [kind, arn, words] of cases) {
    test(kind, () => {
      const m = mapClusterIdentity({ mode: 'API', identity: dev, accessEntries: [entry(arn)] });
      assert.equal(m.mapped, false);
      assert.equal(m.accessEntryNearMiss?.kind, kind);
      assert.equal(m.accessEntryNearMiss?.arn, arn);
      assert.ok(m.accessEntryNearMiss?.message.includes(words), m.accessEntryNearMiss?.message);
    });
  }

  test('ranked: an assumed-role entry before another account, before a typo', () => {
    const list = [
      `arn:aws:iam::${A}:role/Dve`,
      `arn:aws:iam::${OTHER}:role/Dev`,
      `arn:aws:sts::${A}:assumed-role/Dev/x`,
    ];
    assert.deepEqual(
      accessEntryNearMisses(list, dev).map((m) => m.kind),
      ['assumed-role', 'account', 'typo'],
    );
  });

  test('an unrelated entry is no near-miss', () => {
    assert.deepEqual(accessEntryNearMisses([`arn:aws:iam::${OTHER}:user/somebody-else`], dev), []);
  });

  test('an entry that grants nothing: mapped, with a warning (Forbidden everywhere)', () => {
    const m = mapClusterIdentity({
      mode: 'API',
      identity: dev,
      accessEntries: [entry(`arn:aws:iam::${A}:role/Dev`, { username: 'dev' })],
    });
    assert.equal(m.mapped, true);
    assert.equal(m.warnings.length, 1);
    assert.match(m.warnings[0] ?? '', /grants nothing.*Forbidden/);
  });

  test('a role newer than its entry: not mapped, kind recreated; older: mapped; unknown: mapped with a note', () => {
    const e = [
      entry(`arn:aws:iam::${A}:role/Dev`, { username: 'dev', createdAt: new Date('2025-03-01T00:00:00Z') }, [VIEW]),
    ];
    const newer = mapClusterIdentity({
      mode: 'API',
      identity: dev,
      accessEntries: e,
      principalAge: { createdAt: new Date('2025-03-02T00:00:00Z') },
    });
    assert.equal(newer.mapped, false);
    assert.equal(newer.accessEntryNearMiss?.kind, 'recreated');
    assert.match(
      newer.accessEntryNearMiss?.message ?? '',
      /created 2025-03-01T00:00:00Z.*created 2025-03-02T00:00:00Z/,
    );
    const older = mapClusterIdentity({
      mode: 'API',
      identity: dev,
      accessEntries: e,
      principalAge: { createdAt: new Date('2025-02-01T00:00:00Z') },
    });
    assert.equal(older.mapped, true);
    const unknown = mapClusterIdentity({
      mode: 'API',
      identity: dev,
      accessEntries: e,
      principalAge: { unchecked: 'iam:GetRole was denied' },
    });
    assert.equal(unknown.mapped, true);
    assert.ok(unknown.notes.some((n) => n.startsWith('could not check') && n.includes('iam:GetRole was denied')));
  });

  test('a recreated role in API_AND_CONFIG_MAP falls back to aws-auth', () => {
    const e = [
      entry(`arn:aws:iam::${A}:role/Dev`, { username: 'dev', createdAt: new Date('2025-03-01T00:00:00Z') }, [VIEW]),
    ];
    const m = mapClusterIdentity({
      mode: 'API_AND_CONFIG_MAP',
      identity: dev,
      accessEntries: e,
      awsAuth: { config: AWS_AUTH, source: 'x' },
      principalAge: { createdAt: new Date('2025-04-01T00:00:00Z') },
    });
    assert.equal(m.matchedBy, 'mapRoles');
    assert.ok(m.notes.some((n) => n.includes('no longer matches')));
  });

  test('API mode, aws-auth maps nobody: ignored, and says it maps nothing either', () => {
    const m = mapClusterIdentity({
      mode: 'API',
      identity: dev,
      accessEntries: [],
      awsAuth: { config: parseAwsAuth('mapRoles: ""'), source: 'f.yaml' },
    });
    assert.equal(m.accessEntryNearMiss?.kind, 'ignored-by-mode');
    assert.match(
      m.accessEntryNearMiss?.message ?? '',
      /f\.yaml is ignored by this cluster.*does not map this identity either/,
    );
  });
});

describe('access policies in words (access-policy-reference)', () => {
  const arn = (name: string) => `arn:aws:eks::aws:cluster-access-policy/${name}`;
  const cases: [string, { type: 'cluster' | 'namespace'; namespaces?: string[] }, RegExp][] = [
    ['AmazonEKSClusterAdminPolicy', { type: 'cluster' }, /^ClusterAdmin on the whole cluster: everything/],
    [
      'AmazonEKSAdminPolicy',
      { type: 'namespace', namespaces: ['dev'] },
      /^Admin in namespace dev: .*Roles and RoleBindings/,
    ],
    [
      'AmazonEKSEditPolicy',
      { type: 'namespace', namespaces: ['dev', 'test-*'] },
      /^Edit in namespaces dev, test-\* \(`\*` matches any characters\): create, change and delete/,
    ],
    ['AmazonEKSViewPolicy', { type: 'cluster' }, /^View on the whole cluster: read most objects.*not Secrets/],
    ['AmazonEKSAdminViewPolicy', { type: 'cluster' }, /^AdminView on the whole cluster: read .* Secrets included/],
    [
      'AmazonEKSSecretReaderPolicy',
      { type: 'namespace', namespaces: ['vault'] },
      /^SecretReader in namespace vault: read \(get, list, watch\) Secrets/,
    ],
    ['AmazonEKSAutoNodePolicy', { type: 'cluster' }, /does not describe/],
  ];
  for (const [name, accessScope, want] of cases) {
    test(name, () => assert.match(describeAccessPolicy({ policyArn: arn(name), accessScope }), want));
  }
  test('a mapped entry lists its grants', () => {
    const m = mapClusterIdentity({ mode: 'API', identity: PRINCIPALS.user, accessEntries: ENTRIES });
    assert.deepEqual(m.grants, [describeAccessPolicy(VIEW)]);
  });
});

describe('IAM Identity Center roles', () => {
  test('ssoPermissionSet', () => {
    assert.equal(ssoPermissionSet('AWSReservedSSO_AdministratorAccess_0123456789abcdef'), 'AdministratorAccess');
    assert.equal(ssoPermissionSet('AWSReservedSSO_Read_Only_fedcba9876543210'), 'Read_Only');
    assert.equal(ssoPermissionSet('AWSReservedSSO_Admin_xyz'), undefined);
    assert.equal(ssoPermissionSet('Developer'), undefined);
  });
  test('aws-auth check suggests the path-less role ARN from an assumed-role ARN, naming the permission set', () => {
    const p = mappingArnProblem(`arn:aws:sts::${A}:assumed-role/AWSReservedSSO_Admin_0123456789abcdef/alice`);
    assert.equal(p?.code, 'assumed-role');
    assert.equal(p?.suggestion, `arn:aws:iam::${A}:role/AWSReservedSSO_Admin_0123456789abcdef`);
    assert.match(p?.message ?? '', /permission set Admin/);
  });
  test('explained with the ARN aws-auth needs', () => {
    const m = mapClusterIdentity({
      mode: 'API_AND_CONFIG_MAP',
      identity: who(`arn:aws:sts::${A}:assumed-role/AWSReservedSSO_Admin_0123456789abcdef/alice`),
      accessEntries: [
        entry(
          `arn:aws:iam::${A}:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_0123456789abcdef`,
          { username: 'admin' },
          [VIEW],
        ),
      ],
    });
    assert.equal(m.matchedBy, 'accessEntry');
    assert.ok(
      m.notes.some(
        (n) =>
          n.includes('permission set Admin') &&
          n.includes(`aws-auth needs arn:aws:iam::${A}:role/AWSReservedSSO_Admin_0123456789abcdef (no path)`),
      ),
    );
  });
});
