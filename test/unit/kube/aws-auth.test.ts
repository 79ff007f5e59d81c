import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { editDistance, mapIdentity, mappingArnProblem, parseAwsAuth, type MappingIdentity } from '../../../src/kube/aws-auth';

const FIXTURES = join(__dirname, '..', '..', 'fixtures', 'aws-auth');
const fixture = (name: string): string => readFileSync(join(FIXTURES, name), 'utf8');

function configMap(data: Record<string, string>): string {
  const body = Object.entries(data)
    .map(([key, value]) => `  ${key}: |\n${value.replace(/^/gm, '    ')}`)
    .join('\n');
  return `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: aws-auth\n  namespace: kube-system\ndata:\n${body}\n`;
}

const ACCOUNT = '111122223333';
const session = (role: string, name: string, partition = 'aws'): MappingIdentity => ({
  canonicalArn: `arn:${partition}:iam::${ACCOUNT}:role/${role}`,
  account: ACCOUNT,
  sessionName: name,
});

describe('parseAwsAuth', () => {
  test('reads a ConfigMap manifest with the line of every entry and field', () => {
    const a = parseAwsAuth(fixture('good.yaml'));
    assert.deepEqual(a.problems, []);
    assert.deepEqual(a.ignored, {});
    assert.deepEqual(
      a.roles.map((e) => [e.line, e.arn, e.username, e.groups, e.lines.groups]),
      [
        [9, 'arn:aws:iam::111122223333:role/eks-node-group-NodeInstanceRole', 'system:node:{{EC2PrivateDNSName}}', ['system:bootstrappers', 'system:nodes'], [12, 13]],
        [14, 'arn:aws:iam::111122223333:role/Developer', 'developer', ['dev-team'], [17]],
      ],
    );
    assert.deepEqual(a.users.map((e) => [e.line, e.arn, e.lines.username]), [[19, 'arn:aws:iam::111122223333:user/ops/alice', 20]]);
    assert.deepEqual(a.accounts, [{ account: '444455556666', line: 24, quoted: true }]);
  });

  test('reads kubectl get -o json output; findings point at the line of the JSON string', () => {
    const a = parseAwsAuth(fixture('kubectl-get.json'));
    assert.deepEqual(a.problems, []);
    assert.deepEqual(a.roles.map((e) => [e.line, e.arn, e.groups]), [[4, 'arn:aws:iam::111122223333:role/Developer', ['dev-team']]]);
    assert.deepEqual(a.users.map((e) => [e.line, e.username]), [[5, 'alice']]);
  });

  test('reads the bare data map, with lists written directly', () => {
    const a = parseAwsAuth(fixture('bare-data.yaml'));
    assert.deepEqual(a.problems, []);
    assert.deepEqual(a.roles.map((e) => [e.line, e.arn]), [[3, 'arn:aws:iam::111122223333:role/Developer']]);
    assert.deepEqual(a.accounts.map((x) => x.account), ['444455556666']);
  });

  test('finds aws-auth in a kind: List and in a multi-document file', () => {
    const list = `kind: List\nitems:\n- kind: ConfigMap\n  metadata: {name: other, namespace: kube-system}\n  data: {mapRoles: "- rolearn: arn:aws:iam::1:role/x\\n  username: x\\n"}\n- kind: ConfigMap\n  metadata: {name: aws-auth, namespace: kube-system}\n  data:\n    mapUsers: |\n      - userarn: arn:aws:iam::111122223333:user/bob\n        username: bob\n`;
    assert.deepEqual(parseAwsAuth(list).users.map((e) => [e.line, e.username]), [[10, 'bob']]);
    const multi = `kind: Namespace\nmetadata: {name: x}\n---\n${configMap({ mapRoles: '- rolearn: arn:aws:iam::111122223333:role/A\n  username: a\n' })}`;
    assert.deepEqual(parseAwsAuth(multi).roles.map((e) => [e.line, e.username]), [[11, 'a']]);
  });

  test('matches entry keys case-insensitively (aws-iam-authenticator aws-auth-crazy-case-keys.yaml)', () => {
    const a = parseAwsAuth(configMap({ mapRoles: '- rOlEaRn: arn:aws:iam::111122223333:role/Node\n  UsErNaMe: node\n  gRoUpS:\n    - system:nodes\n', mapUsers: '- uSeRaRn: arn:aws:iam::111122223333:user/admin\n  UsErNaMe: admin\n' }));
    assert.deepEqual(a.problems, []);
    assert.deepEqual([a.roles[0]?.arn, a.roles[0]?.username, a.roles[0]?.groups, a.users[0]?.username], ['arn:aws:iam::111122223333:role/Node', 'node', ['system:nodes'], 'admin']);
  });

  test('ignores data keys in another case: the top-level keys are case-sensitive (aws-auth-crazy-case-top-keys.yaml)', () => {
    const a = parseAwsAuth(fixture('section-key-case.yaml'));
    assert.deepEqual(a.roles, []);
    assert.deepEqual(a.problems.map((p) => [p.line, p.severity, p.code]), [[7, 'error', 'section-key']]);
  });

  test('refuses a mapRoles that is a list instead of a string (aws-auth-missing-bar.yaml)', () => {
    const a = parseAwsAuth(fixture('missing-bar.yaml'));
    assert.deepEqual(a.roles, []);
    assert.match(a.ignored.mapRoles ?? '', /not a string/);
    assert.deepEqual(a.problems.map((p) => [p.line, p.code]), [[8, 'section-not-string']]);
  });

  test('reads a mis-indented group as one group with " - " inside (aws-auth-space-out-of-place.yaml)', () => {
    assert.deepEqual(parseAwsAuth(fixture('misindented-group.yaml')).roles[0]?.groups, ['system:bootstrappers - system:nodes']);
  });

  test('drops all of mapRoles on a YAML error inside it, and reports the line in the file', () => {
    const a = parseAwsAuth(fixture('maproles-yaml-error.yaml'));
    assert.deepEqual(a.roles, []);
    assert.equal(a.users.length, 1);
    assert.match(a.ignored.mapRoles ?? '', /YAML error \(line 12\)/);
    assert.deepEqual(a.problems.map((p) => [p.line, p.code]), [[12, 'yaml']]);
  });

  test('reports an outer YAML error and reads nothing', () => {
    const a = parseAwsAuth(fixture('yaml-error.yaml'));
    assert.deepEqual([a.roles, a.users, a.accounts], [[], [], []]);
    assert.deepEqual(a.problems.map((p) => [p.line, p.code]), [[10, 'yaml']]);
    assert.ok(a.ignored.mapRoles && a.ignored.mapUsers && a.ignored.mapAccounts);
  });

  test('drops entries without their ARN or username, and entries that are not mappings', () => {
    const a = parseAwsAuth(fixture('dropped-entries.yaml'));
    assert.deepEqual(a.roles.map((e) => [e.line, e.dropped]), [
      [8, 'it has no rolearn (nor sso)'],
      [11, 'it has no username'],
      [14, 'it is not a mapping of rolearn/userarn, username and groups'],
    ]);
    assert.deepEqual(a.users.map((e) => [e.dropped, e.groups]), [[undefined, []]]);
    assert.deepEqual(a.problems.map((p) => [p.line, p.code]), [[8, 'missing-arn'], [11, 'missing-username'], [14, 'entry-not-map'], [18, 'groups-not-list']]);
  });

  test('reads the sections as YAML 1.1 like the server (yaml.v2): an unquoted yes is a boolean', () => {
    const a = parseAwsAuth(configMap({ mapRoles: '- rolearn: arn:aws:iam::111122223333:role/A\n  username: yes\n' }));
    assert.equal(a.roles[0]?.dropped, 'it has no username');
    assert.deepEqual(a.problems.map((p) => [p.line, p.code]), [[8, 'missing-username'], [9, 'not-string']]);
  });

  test('keeps the source text of a plain account number, as yaml.v2 does for a string target', () => {
    assert.deepEqual(parseAwsAuth(fixture('unquoted-account.yaml')).accounts, [
      { account: '012345678901', line: 8, quoted: false },
      { account: '444455556666', line: 9, quoted: false },
      { account: '777788889999', line: 10, quoted: true },
    ]);
  });

  test('treats empty, "", \'\' and `` sections as empty, as the server does', () => {
    for (const value of ['', '""', "''", '``']) {
      const a = parseAwsAuth(`kind: ConfigMap\nmetadata: {name: aws-auth, namespace: kube-system}\ndata:\n  mapRoles: ${JSON.stringify(value)}\n`);
      assert.deepEqual([a.roles, a.problems, a.ignored], [[], [], {}], value);
    }
  });

  test('of keys naming one field, keeps the byte-wise last, with a warning', () => {
    // from: the Go oracle (test/oracle/aws-auth): sigs.k8s.io/yaml sorts the JSON keys, so encoding/json
    // applies "Username" before "username", whatever the order in the file.
    const a = parseAwsAuth(configMap({ mapRoles: '- rolearn: arn:aws:iam::111122223333:role/A\n  username: first\n  Username: second\n' }));
    assert.equal(a.roles[0]?.username, 'first');
    assert.deepEqual(a.problems.map((p) => [p.line, p.severity, p.code]), [[10, 'warning', 'repeated-key']]);
    const same = parseAwsAuth(configMap({ mapRoles: '- rolearn: arn:aws:iam::111122223333:role/A\n  username: first\n  username: second\n' }));
    assert.equal(same.roles[0]?.username, 'second');
    assert.deepEqual(same.problems.map((p) => [p.line, p.severity, p.code]), [[9, 'warning', 'repeated-key']]);
  });

  test('says so when the input holds no aws-auth data', () => {
    assert.deepEqual(parseAwsAuth('kind: Secret\nmetadata: {name: x}\n').problems.map((p) => p.code), ['not-aws-auth']);
    assert.deepEqual(parseAwsAuth('just: a map\n').problems.map((p) => p.code), ['not-aws-auth']);
    assert.deepEqual(parseAwsAuth('kind: ConfigMap\nmetadata: {name: aws-auth, namespace: default}\ndata: {}\n').problems.map((p) => p.code), ['configmap-name']);
  });

  test('never throws, whatever the input', () => {
    const good = fixture('good.yaml');
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: 'binary', maxLength: 400 }),
          fc.tuple(fc.nat(), fc.nat({ max: 20 }), fc.string({ maxLength: 10 })).map(([at, del, ins]) => {
            const i = at % good.length;
            return good.slice(0, i) + ins + good.slice(i + del);
          }),
        ),
        (text) => {
          const a = parseAwsAuth(text);
          assert.ok(a.problems.every((p) => p.line >= 1));
          mapIdentity(session('Developer', 'alice'), a);
        },
      ),
      { numRuns: 1500 },
    );
  });
});

describe('mapIdentity', () => {
  const awsAuth = parseAwsAuth(
    configMap({
      mapRoles: [
        '- rolearn: arn:aws:iam::111122223333:role/Dev',
        '  username: dev:{{SessionName}}',
        '  groups: [dev, "acct-{{AccountID}}"]',
        '- rolearn: arn:aws:iam::111122223333:role/Both',
        '  username: from-roles',
        '- rolearn: arn:aws:iam::111122223333:role/Dup',
        '  username: first',
        '- rolearn: ARN:AWS:IAM::111122223333:ROLE/DUP',
        '  username: last',
        '- rolearn: arn:aws:iam::111122223333:role/Kept',
        '  username: kept',
        '- rolearn: arn:aws:iam::111122223333:role/Kept',
        '- rolearn: arn:aws:iam::111122223333:role/Node',
        '  username: system:node:{{EC2PrivateDNSName}}',
        '- rolearn: arn:aws:iam::111122223333:role/Raw',
        '  username: "{{SessionNameRaw}}/{{AccessKeyID}}"',
        '- rolearn: arn:aws-cn:iam::111122223333:role/Dev',
        '  username: cn-dev',
        '- rolearn: arn:aws-us-gov:iam::111122223333:role/Dev',
        '  username: gov-dev',
        '',
      ].join('\n'),
      mapUsers: '- userarn: arn:aws:iam::111122223333:role/Both\n  username: from-users\n- userarn: arn:aws:iam::111122223333:user/alice\n  username: alice\n',
      mapAccounts: '- "444455556666"\n',
    }),
  );

  const cases: { what: string; id: MappingIdentity; username: string; groups?: string[]; via: string }[] = [
    { what: 'renders {{SessionName}} with @ replaced by - and {{AccountID}}', id: session('Dev', 'alice@example.com'), username: 'dev:alice-example.com', groups: ['dev', 'acct-111122223333'], via: 'mapRoles' },
    { what: 'matches case-insensitively', id: session('DEV', 'bob'), username: 'dev:bob', via: 'mapRoles' },
    { what: 'checks mapRoles before mapUsers', id: session('Both', 's'), username: 'from-roles', via: 'mapRoles' },
    { what: 'lets the last duplicate win', id: session('dup', 's'), username: 'last', via: 'mapRoles' },
    { what: 'renders {{SessionNameRaw}} and {{AccessKeyID}}', id: { ...session('Raw', 'a@b'), accessKeyId: 'ASIAEXAMPLE' }, username: 'a@b/ASIAEXAMPLE', via: 'mapRoles' },
    { what: 'maps a user by its ARN', id: { canonicalArn: 'arn:aws:iam::111122223333:user/alice', account: ACCOUNT }, username: 'alice', via: 'mapUsers' },
    { what: 'maps an aws-cn session by the aws-cn role', id: session('Dev', 's', 'aws-cn'), username: 'cn-dev', via: 'mapRoles' },
    { what: 'maps an aws-us-gov session by the aws-us-gov role', id: session('Dev', 's', 'aws-us-gov'), username: 'gov-dev', via: 'mapRoles' },
    { what: 'maps an account in mapAccounts to the canonical ARN and no groups', id: { canonicalArn: 'arn:aws:iam::444455556666:role/Any', account: '444455556666' }, username: 'arn:aws:iam::444455556666:role/Any', groups: [], via: 'mapAccounts' },
  ];
  for (const c of cases) {
    test(c.what, () => {
      const r = mapIdentity(c.id, awsAuth);
      assert.ok(r.mapped, JSON.stringify(r));
      assert.equal(r.username, c.username);
      assert.equal(r.via, c.via);
      if (c.groups) assert.deepEqual(r.groups, c.groups);
    });
  }

  test('leaves {{EC2PrivateDNSName}} for the server when the session is an instance id', () => {
    const r = mapIdentity(session('Node', 'i-0123456789abcdef0'), awsAuth);
    assert.ok(r.mapped);
    assert.equal(r.username, 'system:node:{{EC2PrivateDNSName}}');
    assert.match(r.notes.join('\n'), /cannot be evaluated offline/);
  });

  test('fails {{EC2PrivateDNSName}} like the server when the session name is not an instance id', () => {
    const r = mapIdentity(session('Node', 'alice'), awsAuth);
    assert.equal(r.mapped, false);
    assert.equal(!r.mapped && r.reason, 'template-error');
  });

  // from: the Go oracle (test/oracle/aws-auth), which reads with the server's libraries and compares
  // with strings.ToLower and strings.EqualFold as aws-iam-authenticator's MapStore does.
  test('a later entry for the same role without a username replaces the earlier one, as on the server', () => {
    const r = mapIdentity(session('Kept', 's'), awsAuth);
    assert.equal(r.mapped, false);
    assert.equal(!r.mapped && r.nearMiss?.kind, 'dropped');
  });

  test('inherits groups through a merge key, and maps an alias entry', () => {
    const a = parseAwsAuth(configMap({ mapRoles: '- &admin\n  rolearn: arn:aws:iam::111122223333:role/Admin\n  username: admin\n  groups: [system:masters]\n- <<: *admin\n  rolearn: arn:aws:iam::111122223333:role/Ops\n  username: ops\n- *admin\n' }));
    assert.deepEqual(a.problems, []);
    const r = mapIdentity(session('Ops', 's'), a);
    assert.ok(r.mapped);
    assert.deepEqual([r.username, r.groups, r.entry?.line], ['ops', ['system:masters'], 12]);
    assert.deepEqual(a.roles.map((e) => [e.line, e.username]), [[9, 'admin'], [12, 'ops'], [15, 'admin']]);
  });

  test('the Kelvin sign matches k (strings.EqualFold); a dotted capital I does not match i, but replaces the role it lower-cases to', () => {
    const a = parseAwsAuth(configMap({ mapRoles: '- rolearn: arn:aws:iam::111122223333:role/infra\n  username: real\n- rolearn: arn:aws:iam::111122223333:role/\u0130nfra\n  username: fake\n- rolearn: arn:aws:iam::111122223333:role/\u212Aube\n  username: kelvin\n' }));
    const kube = mapIdentity(session('kube', 's'), a);
    assert.ok(kube.mapped);
    assert.equal(kube.username, 'kelvin');
    const infra = mapIdentity(session('infra', 's'), a);
    assert.equal(infra.mapped, false, 'role/İnfra lower-cases to role/infra and replaces it in the server\'s store');
  });

  test('two users differing in case both match: the server answers with either', () => {
    const a = parseAwsAuth(configMap({ mapUsers: '- userarn: arn:aws:iam::111122223333:user/Alice\n  username: a\n- userarn: arn:aws:iam::111122223333:user/alice\n  username: b\n' }));
    const r = mapIdentity({ canonicalArn: 'arn:aws:iam::111122223333:user/alice', account: ACCOUNT }, a);
    assert.ok(r.mapped);
    assert.match(r.notes.join('\n'), /mapUsers entry 1 \(line 8\), mapUsers entry 2 \(line 10\) all match this ARN: the server picks any one/);
  });

  test('a section nested deeper than eks-auth can follow is reported as unreadable, not as dropped by the server', () => {
    // yaml.v2 reads up to 10000 levels (scannerc.go max_flow_level); the yaml package's stack ends sooner.
    const deep = `- rolearn: arn:aws:iam::111122223333:role/Ops\n  username: ops\n  extra: ${'['.repeat(5000)}${']'.repeat(5000)}\n`;
    const a = parseAwsAuth(configMap({ mapRoles: deep }));
    assert.deepEqual(a.ignored, {});
    assert.match(a.sections.mapRoles?.unreadable ?? '', /deeper than eks-auth can follow/);
    assert.deepEqual(a.problems.map((p) => p.code), ['too-deep']);
  });

  test('an alias bomb drops the whole section, as yaml.v2\'s excessive-aliasing limit does', () => {
    const levels = ['- &l0 [lol]', ...Array.from({ length: 6 }, (_, i) => `- &l${i + 1} [${Array(9).fill(`*l${i}`).join(', ')}]`)];
    const a = parseAwsAuth(configMap({ mapRoles: `${levels.join('\n')}\n- rolearn: arn:aws:iam::111122223333:role/Ops\n  username: ops\n` }));
    assert.deepEqual(a.roles, []);
    assert.match(a.ignored.mapRoles ?? '', /alias error/);
    assert.match(a.problems.map((p) => p.message).join('\n'), /excessive aliasing; the server ignores all of mapRoles/);
  });

  test('notes the templates it cannot evaluate without a session name or access key', () => {
    const r = mapIdentity({ canonicalArn: 'arn:aws:iam::111122223333:role/Raw', account: ACCOUNT }, awsAuth);
    assert.ok(r.mapped);
    assert.equal(r.username, '{{SessionNameRaw}}/{{AccessKeyID}}');
    assert.match(r.notes.join('\n'), /\{\{SessionName\}\} is unknown/);
    assert.match(r.notes.join('\n'), /\{\{AccessKeyID\}\} is unknown/);
  });
});

describe('near misses', () => {
  function miss(entries: string, id: MappingIdentity): { kind: string; line: number; message: string } | undefined {
    const r = mapIdentity(id, parseAwsAuth(configMap({ mapRoles: entries })));
    assert.equal(r.mapped, false);
    if (r.mapped || !r.nearMiss) return undefined;
    return { kind: r.nearMiss.kind, line: r.nearMiss.entry.line, message: r.nearMiss.message };
  }
  const entry = (arn: string, username = 'u') => `- rolearn: ${arn}\n  username: ${username}\n`;

  test('a path in rolearn (aws-iam-authenticator#268), with the ARN to write instead', () => {
    const m = miss(entry('arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_abc'), session('AWSReservedSSO_Admin_abc', 'alice'));
    assert.equal(m?.kind, 'role-path');
    assert.match(m?.message ?? '', /use arn:aws:iam::111122223333:role\/AWSReservedSSO_Admin_abc$/);
  });

  test('an assumed-role ARN pasted into rolearn', () => {
    assert.equal(miss(entry('arn:aws:sts::111122223333:assumed-role/Dev/bob'), session('Dev', 'alice'))?.kind, 'assumed-role');
  });

  test('an instance-profile ARN pasted into rolearn', () => {
    assert.equal(miss(entry('arn:aws:iam::111122223333:instance-profile/NodeRole'), session('NodeRole', 'i-0123456789abcdef0'))?.kind, 'instance-profile');
  });

  test('the right name in the wrong account', () => {
    const m = miss(entry('arn:aws:iam::999999999999:role/Dev'), session('Dev', 'alice'));
    assert.equal(m?.kind, 'account');
    assert.match(m?.message ?? '', /account 999999999999, but this identity is in account 111122223333/);
  });

  test('the right name in the wrong partition', () => {
    assert.equal(miss(entry('arn:aws:iam::111122223333:role/Dev'), session('Dev', 'alice', 'aws-cn'))?.kind, 'partition');
  });

  test('a typo, found by edit distance', () => {
    const m = miss(entry('arn:aws:iam::111122223333:role/Developer') + entry('arn:aws:iam::111122223333:role/Develoepr'), session('Developers', 'a'));
    assert.deepEqual([m?.kind, m?.line], ['typo', 8]);
  });

  test('the matching entry exists but the server drops it', () => {
    const m = miss('- rolearn: arn:aws:iam::111122223333:role/Dev\n  groups: [x]\n', session('Dev', 'alice'));
    assert.equal(m?.kind, 'dropped');
    assert.match(m?.message ?? '', /no username/);
  });

  test('prefers a specific diagnosis over a closer typo', () => {
    const m = miss(entry('arn:aws:iam::111122223333:role/Dex') + entry('arn:aws:iam::111122223333:role/team/Dev'), session('Dev', 'a'));
    assert.equal(m?.kind, 'role-path');
  });

  test('names the closest entry when nothing is specific, and none when nothing is close', () => {
    assert.equal(miss(entry('arn:aws:iam::111122223333:role/Platform-Admins'), session('Platform-Viewers', 'a'))?.kind, 'closest');
    assert.equal(miss(entry('arn:aws:iam::111122223333:role/X'), { canonicalArn: 'arn:aws:iam::999999999999:user/someone-else-entirely', account: '999999999999' }), undefined);
  });

  test('the not-mapped message says when the server ignores a whole section', () => {
    const r = mapIdentity(session('Developer', 'a'), parseAwsAuth(fixture('maproles-yaml-error.yaml')));
    assert.ok(!r.mapped);
    assert.match(r.message, /mapRoles is ignored by the server \(mapRoles has a YAML error \(line 12\)\)/);
  });
});

describe('mappingArnProblem and editDistance', () => {
  test('classifies the ARNs that never match', () => {
    const table: [string, string | undefined][] = [
      ['arn:aws:iam::111122223333:role/Dev', undefined],
      ['arn:aws:iam::111122223333:user/ops/alice', undefined],
      ['arn:aws:iam::111122223333:root', undefined],
      ['arn:aws:sts::111122223333:federated-user/bob', undefined],
      ['arn:aws:iam::111122223333:role/a/Dev', 'role-path'],
      ['arn:aws:iam::111122223333:instance-profile/Dev', 'instance-profile'],
      ['arn:aws:sts::111122223333:assumed-role/Dev/s', 'assumed-role'],
      ['arn:aws:iam::111122223333:group/Admins', 'group'],
      ['arn:aws:iam::11112222333:role/Dev', 'account'],
      ['arn:aws-xx:iam::111122223333:role/Dev', 'partition'],
      ['111122223333:role/Dev', 'not-arn'],
      ['arn:aws:iam::111122223333:policy/P', 'not-principal'],
    ];
    for (const [arn, code] of table) assert.equal(mappingArnProblem(arn)?.code, code, arn);
  });

  test('computes Levenshtein distances', () => {
    assert.deepEqual([editDistance('', ''), editDistance('abc', ''), editDistance('kitten', 'sitting'), editDistance('role/Dev', 'role/Dve')], [0, 3, 3, 2]);
  });
});
