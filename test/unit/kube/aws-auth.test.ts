import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { parseAwsAuth } from '../../../src/kube/aws-auth';
import { mapIdentity, type MappingIdentity } from '../../../src/kube/aws-auth-map';

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
        [
          9,
          'arn:aws:iam::111122223333:role/eks-node-group-NodeInstanceRole',
          'system:node:{{EC2PrivateDNSName}}',
          ['system:bootstrappers', 'system:nodes'],
          [12, 13],
        ],
        [14, 'arn:aws:iam::111122223333:role/Developer', 'developer', ['dev-team'], [17]],
      ],
    );
    assert.deepEqual(
      a.users.map((e) => [e.line, e.arn, e.lines.username]),
      [[19, 'arn:aws:iam::111122223333:user/ops/alice', 20]],
    );
    assert.deepEqual(a.accounts, [{ account: '444455556666', line: 24, quoted: true }]);
  });

  test('reads kubectl get -o json output; findings point at the line of the JSON string', () => {
    const a = parseAwsAuth(fixture('kubectl-get.json'));
    assert.deepEqual(a.problems, []);
    assert.deepEqual(
      a.roles.map((e) => [e.line, e.arn, e.groups]),
      [[4, 'arn:aws:iam::111122223333:role/Developer', ['dev-team']]],
    );
    assert.deepEqual(
      a.users.map((e) => [e.line, e.username]),
      [[5, 'alice']],
    );
  });

  test('reads the bare data map, with lists written directly', () => {
    const a = parseAwsAuth(fixture('bare-data.yaml'));
    assert.deepEqual(a.problems, []);
    assert.deepEqual(
      a.roles.map((e) => [e.line, e.arn]),
      [[3, 'arn:aws:iam::111122223333:role/Developer']],
    );
    assert.deepEqual(
      a.accounts.map((x) => x.account),
      ['444455556666'],
    );
  });

  test('finds aws-auth in a kind: List and in a multi-document file', () => {
    const list = `kind: List\nitems:\n- kind: ConfigMap\n  metadata: {name: other, namespace: kube-system}\n  data: {mapRoles: "- rolearn: arn:aws:iam::1:role/x\\n  username: x\\n"}\n- kind: ConfigMap\n  metadata: {name: aws-auth, namespace: kube-system}\n  data:\n    mapUsers: |\n      - userarn: arn:aws:iam::111122223333:user/bob\n        username: bob\n`;
    assert.deepEqual(
      parseAwsAuth(list).users.map((e) => [e.line, e.username]),
      [[10, 'bob']],
    );
    const multi = `kind: Namespace\nmetadata: {name: x}\n---\n${configMap({ mapRoles: '- rolearn: arn:aws:iam::111122223333:role/A\n  username: a\n' })}`;
    assert.deepEqual(
      parseAwsAuth(multi).roles.map((e) => [e.line, e.username]),
      [[11, 'a']],
    );
  });

  test('matches entry keys case-insensitively (aws-iam-authenticator aws-auth-crazy-case-keys.yaml)', () => {
    const a = parseAwsAuth(
      configMap({
        mapRoles: '- rOlEaRn: arn:aws:iam::111122223333:role/Node\n  UsErNaMe: node\n  gRoUpS:\n    - system:nodes\n',
        mapUsers: '- uSeRaRn: arn:aws:iam::111122223333:user/admin\n  UsErNaMe: admin\n',
      }),
    );
    assert.deepEqual(a.problems, []);
    assert.deepEqual(
      [a.roles[0]?.arn, a.roles[0]?.username, a.roles[0]?.groups, a.users[0]?.username],
      ['arn:aws:iam::111122223333:role/Node', 'node', ['system:nodes'], 'admin'],
    );
  });

  test('ignores data keys in another case: the top-level keys are case-sensitive (aws-auth-crazy-case-top-keys.yaml)', () => {
    const a = parseAwsAuth(fixture('section-key-case.yaml'));
    assert.deepEqual(a.roles, []);
    assert.deepEqual(
      a.problems.map((p) => [p.line, p.severity, p.code]),
      [[7, 'error', 'section-key']],
    );
  });

  test('refuses a mapRoles that is a list instead of a string (aws-auth-missing-bar.yaml)', () => {
    const a = parseAwsAuth(fixture('missing-bar.yaml'));
    assert.deepEqual(a.roles, []);
    assert.match(a.ignored.mapRoles ?? '', /not a string/);
    assert.deepEqual(
      a.problems.map((p) => [p.line, p.code]),
      [[8, 'section-not-string']],
    );
  });

  test('reads a mis-indented group as one group with " - " inside (aws-auth-space-out-of-place.yaml)', () => {
    assert.deepEqual(parseAwsAuth(fixture('misindented-group.yaml')).roles[0]?.groups, [
      'system:bootstrappers - system:nodes',
    ]);
  });

  test('drops all of mapRoles on a YAML error inside it, and reports the line in the file', () => {
    const a = parseAwsAuth(fixture('maproles-yaml-error.yaml'));
    assert.deepEqual(a.roles, []);
    assert.equal(a.users.length, 1);
    assert.match(a.ignored.mapRoles ?? '', /YAML error \(line 12\)/);
    assert.deepEqual(
      a.problems.map((p) => [p.line, p.code]),
      [[12, 'yaml']],
    );
  });

  test('reports an outer YAML error and reads nothing', () => {
    const a = parseAwsAuth(fixture('yaml-error.yaml'));
    assert.deepEqual([a.roles, a.users, a.accounts], [[], [], []]);
    assert.deepEqual(
      a.problems.map((p) => [p.line, p.code]),
      [[10, 'yaml']],
    );
    assert.ok(a.ignored.mapRoles && a.ignored.mapUsers && a.ignored.mapAccounts);
  });

  test('drops entries without their ARN or username, and entries that are not mappings', () => {
    const a = parseAwsAuth(fixture('dropped-entries.yaml'));
    assert.deepEqual(
      a.roles.map((e) => [e.line, e.dropped]),
      [
        [8, 'it has no rolearn (nor sso)'],
        [11, 'it has no username'],
        [14, 'it is not a mapping of rolearn/userarn, username and groups'],
      ],
    );
    assert.deepEqual(
      a.users.map((e) => [e.dropped, e.groups]),
      [[undefined, []]],
    );
    assert.deepEqual(
      a.problems.map((p) => [p.line, p.code]),
      [
        [8, 'missing-arn'],
        [11, 'missing-username'],
        [14, 'entry-not-map'],
        [18, 'groups-not-list'],
      ],
    );
  });

  test('reads the sections as YAML 1.1 like the server (yaml.v2): an unquoted yes is a boolean', () => {
    const a = parseAwsAuth(configMap({ mapRoles: '- rolearn: arn:aws:iam::111122223333:role/A\n  username: yes\n' }));
    assert.equal(a.roles[0]?.dropped, 'it has no username');
    assert.deepEqual(
      a.problems.map((p) => [p.line, p.code]),
      [
        [8, 'missing-username'],
        [9, 'not-string'],
      ],
    );
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
      const a = parseAwsAuth(
        `kind: ConfigMap\nmetadata: {name: aws-auth, namespace: kube-system}\ndata:\n  mapRoles: ${JSON.stringify(value)}\n`,
      );
      assert.deepEqual([a.roles, a.problems, a.ignored], [[], [], {}], value);
    }
  });

  test('of keys naming one field, keeps the byte-wise last, with a warning', () => {
    // from: the Go oracle (test/oracle/aws-auth): sigs.k8s.io/yaml sorts the JSON keys, so encoding/json
    // applies "Username" before "username", whatever the order in the file.
    const a = parseAwsAuth(
      configMap({ mapRoles: '- rolearn: arn:aws:iam::111122223333:role/A\n  username: first\n  Username: second\n' }),
    );
    assert.equal(a.roles[0]?.username, 'first');
    assert.deepEqual(
      a.problems.map((p) => [p.line, p.severity, p.code]),
      [[10, 'warning', 'repeated-key']],
    );
    const same = parseAwsAuth(
      configMap({ mapRoles: '- rolearn: arn:aws:iam::111122223333:role/A\n  username: first\n  username: second\n' }),
    );
    assert.equal(same.roles[0]?.username, 'second');
    assert.deepEqual(
      same.problems.map((p) => [p.line, p.severity, p.code]),
      [[9, 'warning', 'repeated-key']],
    );
  });

  test('says so when the input holds no aws-auth data', () => {
    assert.deepEqual(
      parseAwsAuth('kind: Secret\nmetadata: {name: x}\n').problems.map((p) => p.code),
      ['not-aws-auth'],
    );
    assert.deepEqual(
      parseAwsAuth('just: a map\n').problems.map((p) => p.code),
      ['not-aws-auth'],
    );
    assert.deepEqual(
      parseAwsAuth('kind: ConfigMap\nmetadata: {name: aws-auth, namespace: default}\ndata: {}\n').problems.map(
        (p) => p.code,
      ),
      ['configmap-name'],
    );
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
