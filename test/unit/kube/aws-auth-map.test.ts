import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { editDistance, parseAwsAuth } from '../../../src/kube/aws-auth';
import { mapIdentity, mappingArnProblem, type MappingIdentity } from '../../../src/kube/aws-auth-map';

function configMap(data: Record<string, string>): string {
  const body = Object.entries(data)
    .map(([key, value]) => `  ${key}: |\n${value.replace(/^/gm, '    ')}`)
    .join('\n');
  return `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: aws-auth\n  namespace: kube-system\ndata:\n${body}\n`;
}

const fixture = (name: string): string =>
  readFileSync(join(__dirname, '..', '..', 'fixtures', 'aws-auth', name), 'utf8');

const ACCOUNT = '111122223333';
const session = (role: string, name: string, partition = 'aws'): MappingIdentity => ({
  canonicalArn: `arn:${partition}:iam::${ACCOUNT}:role/${role}`,
  account: ACCOUNT,
  sessionName: name,
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
      mapUsers:
        '- userarn: arn:aws:iam::111122223333:role/Both\n  username: from-users\n- userarn: arn:aws:iam::111122223333:user/alice\n  username: alice\n',
      mapAccounts: '- "444455556666"\n',
    }),
  );

  const cases: { what: string; id: MappingIdentity; username: string; groups?: string[]; via: string }[] = [
    {
      what: 'renders {{SessionName}} with @ replaced by - and {{AccountID}}',
      id: session('Dev', 'alice@example.com'),
      username: 'dev:alice-example.com',
      groups: ['dev', 'acct-111122223333'],
      via: 'mapRoles',
    },
    { what: 'matches case-insensitively', id: session('DEV', 'bob'), username: 'dev:bob', via: 'mapRoles' },
    { what: 'checks mapRoles before mapUsers', id: session('Both', 's'), username: 'from-roles', via: 'mapRoles' },
    { what: 'lets the last duplicate win', id: session('dup', 's'), username: 'last', via: 'mapRoles' },
    {
      what: 'renders {{SessionNameRaw}} and {{AccessKeyID}}',
      id: { ...session('Raw', 'a@b'), accessKeyId: 'ASIAEXAMPLE' },
      username: 'a@b/ASIAEXAMPLE',
      via: 'mapRoles',
    },
    {
      what: 'maps a user by its ARN',
      id: { canonicalArn: 'arn:aws:iam::111122223333:user/alice', account: ACCOUNT },
      username: 'alice',
      via: 'mapUsers',
    },
    {
      what: 'maps an aws-cn session by the aws-cn role',
      id: session('Dev', 's', 'aws-cn'),
      username: 'cn-dev',
      via: 'mapRoles',
    },
    {
      what: 'maps an aws-us-gov session by the aws-us-gov role',
      id: session('Dev', 's', 'aws-us-gov'),
      username: 'gov-dev',
      via: 'mapRoles',
    },
    {
      what: 'maps an account in mapAccounts to the canonical ARN and no groups',
      id: { canonicalArn: 'arn:aws:iam::444455556666:role/Any', account: '444455556666' },
      username: 'arn:aws:iam::444455556666:role/Any',
      groups: [],
      via: 'mapAccounts',
    },
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
    const a = parseAwsAuth(
      configMap({
        mapRoles:
          '- &admin\n  rolearn: arn:aws:iam::111122223333:role/Admin\n  username: admin\n  groups: [system:masters]\n- <<: *admin\n  rolearn: arn:aws:iam::111122223333:role/Ops\n  username: ops\n- *admin\n',
      }),
    );
    assert.deepEqual(a.problems, []);
    const r = mapIdentity(session('Ops', 's'), a);
    assert.ok(r.mapped);
    assert.deepEqual([r.username, r.groups, r.entry?.line], ['ops', ['system:masters'], 12]);
    assert.deepEqual(
      a.roles.map((e) => [e.line, e.username]),
      [
        [9, 'admin'],
        [12, 'ops'],
        [15, 'admin'],
      ],
    );
  });

  test('the Kelvin sign matches k (strings.EqualFold); a dotted capital I does not match i, but replaces the role it lower-cases to', () => {
    const a = parseAwsAuth(
      configMap({
        mapRoles:
          '- rolearn: arn:aws:iam::111122223333:role/infra\n  username: real\n- rolearn: arn:aws:iam::111122223333:role/\u0130nfra\n  username: fake\n- rolearn: arn:aws:iam::111122223333:role/\u212Aube\n  username: kelvin\n',
      }),
    );
    const kube = mapIdentity(session('kube', 's'), a);
    assert.ok(kube.mapped);
    assert.equal(kube.username, 'kelvin');
    const infra = mapIdentity(session('infra', 's'), a);
    assert.equal(infra.mapped, false, "role/İnfra lower-cases to role/infra and replaces it in the server's store");
  });

  test('two users differing in case both match: the server answers with either', () => {
    const a = parseAwsAuth(
      configMap({
        mapUsers:
          '- userarn: arn:aws:iam::111122223333:user/Alice\n  username: a\n- userarn: arn:aws:iam::111122223333:user/alice\n  username: b\n',
      }),
    );
    const r = mapIdentity({ canonicalArn: 'arn:aws:iam::111122223333:user/alice', account: ACCOUNT }, a);
    assert.ok(r.mapped);
    assert.match(
      r.notes.join('\n'),
      /mapUsers entry 1 \(line 8\), mapUsers entry 2 \(line 10\) all match this ARN: the server picks any one/,
    );
  });

  test('a section nested deeper than eks-auth can follow is reported as unreadable, not as dropped by the server', () => {
    // yaml.v2 reads up to 10000 levels (scannerc.go max_flow_level); the yaml package's stack ends sooner.
    const deep = `- rolearn: arn:aws:iam::111122223333:role/Ops\n  username: ops\n  extra: ${'['.repeat(5000)}${']'.repeat(5000)}\n`;
    const a = parseAwsAuth(configMap({ mapRoles: deep }));
    assert.deepEqual(a.ignored, {});
    assert.match(a.sections.mapRoles?.unreadable ?? '', /deeper than eks-auth can follow/);
    assert.deepEqual(
      a.problems.map((p) => p.code),
      ['too-deep'],
    );
  });

  test("an alias bomb drops the whole section, as yaml.v2's excessive-aliasing limit does", () => {
    const levels = [
      '- &l0 [lol]',
      ...Array.from({ length: 6 }, (_, i) => `- &l${i + 1} [${Array(9).fill(`*l${i}`).join(', ')}]`),
    ];
    const a = parseAwsAuth(
      configMap({ mapRoles: `${levels.join('\n')}\n- rolearn: arn:aws:iam::111122223333:role/Ops\n  username: ops\n` }),
    );
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
    const m = miss(
      entry('arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_abc'),
      session('AWSReservedSSO_Admin_abc', 'alice'),
    );
    assert.equal(m?.kind, 'role-path');
    assert.match(m?.message ?? '', /use arn:aws:iam::111122223333:role\/AWSReservedSSO_Admin_abc$/);
  });

  test('an assumed-role ARN pasted into rolearn', () => {
    assert.equal(
      miss(entry('arn:aws:sts::111122223333:assumed-role/Dev/bob'), session('Dev', 'alice'))?.kind,
      'assumed-role',
    );
  });

  test('an instance-profile ARN pasted into rolearn', () => {
    assert.equal(
      miss(entry('arn:aws:iam::111122223333:instance-profile/NodeRole'), session('NodeRole', 'i-0123456789abcdef0'))
        ?.kind,
      'instance-profile',
    );
  });

  test('the right name in the wrong account', () => {
    const m = miss(entry('arn:aws:iam::999999999999:role/Dev'), session('Dev', 'alice'));
    assert.equal(m?.kind, 'account');
    assert.match(m?.message ?? '', /account 999999999999, but this identity is in account 111122223333/);
  });

  test('the right name in the wrong partition', () => {
    assert.equal(
      miss(entry('arn:aws:iam::111122223333:role/Dev'), session('Dev', 'alice', 'aws-cn'))?.kind,
      'partition',
    );
  });

  test('a typo, found by edit distance', () => {
    const m = miss(
      entry('arn:aws:iam::111122223333:role/Developer') + entry('arn:aws:iam::111122223333:role/Develoepr'),
      session('Developers', 'a'),
    );
    assert.deepEqual([m?.kind, m?.line], ['typo', 8]);
  });

  test('the matching entry exists but the server drops it', () => {
    const m = miss('- rolearn: arn:aws:iam::111122223333:role/Dev\n  groups: [x]\n', session('Dev', 'alice'));
    assert.equal(m?.kind, 'dropped');
    assert.match(m?.message ?? '', /no username/);
  });

  test('prefers a specific diagnosis over a closer typo', () => {
    const m = miss(
      entry('arn:aws:iam::111122223333:role/Dex') + entry('arn:aws:iam::111122223333:role/team/Dev'),
      session('Dev', 'a'),
    );
    assert.equal(m?.kind, 'role-path');
  });

  test('names the closest entry when nothing is specific, and none when nothing is close', () => {
    assert.equal(
      miss(entry('arn:aws:iam::111122223333:role/Platform-Admins'), session('Platform-Viewers', 'a'))?.kind,
      'closest',
    );
    assert.equal(
      miss(entry('arn:aws:iam::111122223333:role/X'), {
        canonicalArn: 'arn:aws:iam::999999999999:user/someone-else-entirely',
        account: '999999999999',
      }),
      undefined,
    );
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
    assert.deepEqual(
      [
        editDistance('', ''),
        editDistance('abc', ''),
        editDistance('kitten', 'sitting'),
        editDistance('role/Dev', 'role/Dve'),
      ],
      [0, 3, 3, 2],
    );
  });
});
