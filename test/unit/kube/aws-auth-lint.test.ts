import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { lintAwsAuth } from '../../../src/kube/aws-auth-lint';

const FIXTURES = join(__dirname, '..', '..', 'fixtures', 'aws-auth');
const read = (name: string): string => readFileSync(join(FIXTURES, name), 'utf8');
const findings = (text: string): [number, string, string][] =>
  lintAwsAuth(text).map((f) => [f.line, f.severity, f.code]);

// Expected lines are those of the fixture files; each fixture holds one kind of mistake.
const FIXTURE_FINDINGS: Record<string, [number, string, string][]> = {
  'good.yaml': [],
  'kubectl-get.json': [],
  'bare-data.yaml': [],
  'yaml-error.yaml': [[10, 'error', 'yaml']],
  'maproles-yaml-error.yaml': [[12, 'error', 'yaml']],
  'missing-bar.yaml': [[8, 'error', 'section-not-string']],
  'section-key-case.yaml': [[7, 'error', 'section-key']],
  'dropped-entries.yaml': [
    [8, 'error', 'missing-arn'],
    [11, 'error', 'missing-username'],
    [14, 'error', 'entry-not-map'],
    [18, 'error', 'groups-not-list'],
  ],
  'role-path.yaml': [[8, 'error', 'role-path']],
  'instance-profile.yaml': [[8, 'error', 'instance-profile']],
  'assumed-role.yaml': [[8, 'error', 'assumed-role']],
  'unquoted-account.yaml': [
    [8, 'warning', 'unquoted-account'],
    [9, 'warning', 'unquoted-account'],
  ],
  'duplicates.yaml': [
    [8, 'warning', 'duplicate'],
    [17, 'warning', 'role-in-mapusers'],
    [17, 'warning', 'duplicate'],
  ],
  'system-masters.yaml': [[11, 'warning', 'system-masters']],
  'session-name-template.yaml': [
    [9, 'warning', 'session-name-username'],
    [11, 'error', 'session-name-group'],
  ],
  'misindented-group.yaml': [[11, 'warning', 'group-whitespace']],
};

function configMap(section: string, body: string): string {
  return `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: aws-auth\n  namespace: kube-system\ndata:\n  ${section}: |\n${body.replace(/^/gm, '    ')}\n`;
}

describe('lintAwsAuth on the fixtures', () => {
  for (const [name, expected] of Object.entries(FIXTURE_FINDINGS)) {
    test(`${name}: ${expected.length === 0 ? 'no findings' : expected.map(([, , code]) => code).join(', ')}`, () => {
      assert.deepEqual(findings(read(name)), expected);
    });
  }

  test('names the fix in its messages', () => {
    const [rolePath] = lintAwsAuth(read('role-path.yaml'));
    assert.match(rolePath?.message ?? '', /use arn:aws:iam::111122223333:role\/AWSReservedSSO_Admin_0123456789abcdef$/);
    // Recognised as an IAM Identity Center permission-set role.
    assert.match(
      rolePath?.message ?? '',
      /it is the IAM Identity Center role of permission set Admin, which an EKS access entry takes with or without the path; use /,
    );
    const [assumed] = lintAwsAuth(read('assumed-role.yaml'));
    assert.match(assumed?.message ?? '', /use arn:aws:iam::111122223333:role\/Developer$/);
    const [account] = lintAwsAuth(read('unquoted-account.yaml'));
    assert.match(account?.message ?? '', /leading zero.*write "012345678901"/);
  });
});

describe('lintAwsAuth, other findings', () => {
  const cases: [string, string, string, [number, string, string][]][] = [
    [
      'a group ARN',
      'mapRoles',
      '- rolearn: arn:aws:iam::111122223333:group/Admins\n  username: a',
      [[8, 'error', 'group']],
    ],
    [
      'a user ARN under mapRoles',
      'mapRoles',
      '- rolearn: arn:aws:iam::111122223333:user/bob\n  username: bob',
      [[8, 'warning', 'user-in-maproles']],
    ],
    [
      'a placeholder the server does not know',
      'mapRoles',
      '- rolearn: arn:aws:iam::111122223333:role/R\n  username: "{{SessionID}}"',
      [[9, 'warning', 'unknown-placeholder']],
    ],
    [
      '{{EC2PrivateDNSName}} for an IAM user',
      'mapUsers',
      '- userarn: arn:aws:iam::111122223333:user/bob\n  username: "system:node:{{EC2PrivateDNSName}}"',
      [[9, 'error', 'ec2-template-user']],
    ],
    [
      'an unknown key',
      'mapUsers',
      '- userarn: arn:aws:iam::111122223333:user/bob\n  rolearn: x\n  username: bob',
      [[9, 'warning', 'unknown-key']],
    ],
    ['an account id that is not 12 digits', 'mapAccounts', '- "1234"', [[8, 'error', 'account']]],
    ['an account listed twice', 'mapAccounts', '- "111122223333"\n- "111122223333"', [[9, 'warning', 'duplicate']]],
    [
      'a section that is not a list',
      'mapRoles',
      'rolearn: arn:aws:iam::111122223333:role/R',
      [[8, 'error', 'section-not-list']],
    ],
  ];
  for (const [what, section, body, expected] of cases) {
    test(`reports ${what}`, () => assert.deepEqual(findings(configMap(section, body)), expected));
  }

  test('flags ARNs with characters IAM never allows, and says what the server makes of them', () => {
    // from: the Go oracle (test/oracle/aws-auth): strings.EqualFold folds the Kelvin sign to k, and
    // strings.ToLower turns U+0130 into i; a Cyrillic а stays itself.
    const lint = (name: string) =>
      lintAwsAuth(
        configMap('mapRoles', `- rolearn: arn:aws:iam::111122223333:role/${name}\n  username: u\n  groups: [g]`),
      );
    const kelvin = lint('\u212Aube');
    assert.deepEqual(
      kelvin.map((f) => [f.line, f.severity, f.code]),
      [[8, 'error', 'arn-character']],
    );
    assert.match(
      kelvin[0]?.message ?? '',
      /U\+212A .*the server still matches it to arn:aws:iam::111122223333:role\/kube/,
    );
    assert.match(lint('\u0130nfra')[0]?.message ?? '', /U\+0130 .*replaces an earlier entry for that role/);
    assert.match(lint('\u0430dmin')[0]?.message ?? '', /U\+0430 .*no identity matches it/);
  });

  test('reads merge keys and alias entries as the server does', () => {
    const body =
      '- &admin\n  rolearn: arn:aws:iam::111122223333:role/Admin\n  username: admin\n  groups: [system:masters]\n- <<: *admin\n  rolearn: arn:aws:iam::111122223333:role/Ops\n  username: ops\n- *admin';
    // No unknown `<<`, no "not a mapping"; the inherited system:masters is flagged where it is written,
    // for each entry that carries it, and the alias entry is the same role again.
    assert.deepEqual(findings(configMap('mapRoles', body)), [
      [9, 'warning', 'duplicate'],
      [11, 'warning', 'system-masters'],
      [11, 'warning', 'system-masters'],
      [11, 'warning', 'system-masters'],
    ]);
  });

  test('reports users whose ARNs differ only in case: the server answers with either', () => {
    const body =
      '- userarn: arn:aws:iam::111122223333:user/Alice\n  username: a\n- userarn: arn:aws:iam::111122223333:user/alice\n  username: b';
    assert.deepEqual(findings(configMap('mapUsers', body)), [[10, 'error', 'ambiguous']]);
  });

  test('does not flag a user ARN with a path: STS reports user paths', () => {
    assert.deepEqual(
      findings(configMap('mapUsers', '- userarn: arn:aws:iam::111122223333:user/a/b/bob\n  username: bob')),
      [],
    );
  });
});
