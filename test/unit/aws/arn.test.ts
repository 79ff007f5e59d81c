import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { canonicalizeArn, parseArn, parsePrincipal, stripRolePath } from '../../../src/aws/arn';
import { EksAuthError } from '../../../src/errors';

// Expected canonical forms follow aws-iam-authenticator pkg/arn Canonicalize (and its arn_test.go
// table): assumed-role → iam role, everything else unchanged; partitions from docs/reference.md §2.
const CANONICAL: { arn: string; canonical: string; kind: string; session?: string }[] = [
  { arn: 'arn:aws:iam::123456789012:root', canonical: 'arn:aws:iam::123456789012:root', kind: 'root' },
  { arn: 'arn:aws:iam::123456789012:user/Alice', canonical: 'arn:aws:iam::123456789012:user/Alice', kind: 'user' },
  {
    arn: 'arn:aws:iam::123456789012:user/division/team/Bob',
    canonical: 'arn:aws:iam::123456789012:user/division/team/Bob',
    kind: 'user',
  },
  {
    arn: 'arn:aws:iam::123456789012:role/S3Access',
    canonical: 'arn:aws:iam::123456789012:role/S3Access',
    kind: 'role',
  },
  {
    arn: 'arn:aws:iam::123456789012:role/path/to/S3Access',
    canonical: 'arn:aws:iam::123456789012:role/path/to/S3Access',
    kind: 'role',
  },
  {
    arn: 'arn:aws:sts::123456789012:assumed-role/Accounting-Role/Mary',
    canonical: 'arn:aws:iam::123456789012:role/Accounting-Role',
    kind: 'assumed-role',
    session: 'Mary',
  },
  {
    arn: 'arn:aws:sts::123456789012:assumed-role/Admin/alice@example.com',
    canonical: 'arn:aws:iam::123456789012:role/Admin',
    kind: 'assumed-role',
    session: 'alice@example.com',
  },
  {
    arn: 'arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_Admin_0123456789abcdef/alice',
    canonical: 'arn:aws:iam::123456789012:role/AWSReservedSSO_Admin_0123456789abcdef',
    kind: 'assumed-role',
    session: 'alice',
  },
  {
    arn: 'arn:aws:sts::123456789012:federated-user/Bob',
    canonical: 'arn:aws:sts::123456789012:federated-user/Bob',
    kind: 'federated-user',
  },
  {
    arn: 'arn:aws-cn:sts::123456789012:assumed-role/Dev/s',
    canonical: 'arn:aws-cn:iam::123456789012:role/Dev',
    kind: 'assumed-role',
    session: 's',
  },
  {
    arn: 'arn:aws-us-gov:sts::123456789012:assumed-role/Dev/s',
    canonical: 'arn:aws-us-gov:iam::123456789012:role/Dev',
    kind: 'assumed-role',
    session: 's',
  },
  {
    arn: 'arn:aws-iso:sts::123456789012:assumed-role/Dev/s',
    canonical: 'arn:aws-iso:iam::123456789012:role/Dev',
    kind: 'assumed-role',
    session: 's',
  },
  {
    arn: 'arn:aws-iso-b:sts::123456789012:assumed-role/Dev/s',
    canonical: 'arn:aws-iso-b:iam::123456789012:role/Dev',
    kind: 'assumed-role',
    session: 's',
  },
  {
    arn: 'arn:aws-iso-e:sts::123456789012:assumed-role/Dev/s',
    canonical: 'arn:aws-iso-e:iam::123456789012:role/Dev',
    kind: 'assumed-role',
    session: 's',
  },
  {
    arn: 'arn:aws-iso-f:sts::123456789012:assumed-role/Dev/s',
    canonical: 'arn:aws-iso-f:iam::123456789012:role/Dev',
    kind: 'assumed-role',
    session: 's',
  },
  {
    arn: 'arn:aws-eusc:sts::123456789012:assumed-role/Dev/s',
    canonical: 'arn:aws-eusc:iam::123456789012:role/Dev',
    kind: 'assumed-role',
    session: 's',
  },
  {
    arn: 'arn:aws-cn:iam::123456789012:user/Alice',
    canonical: 'arn:aws-cn:iam::123456789012:user/Alice',
    kind: 'user',
  },
];

const INVALID: { arn: string; why: RegExp }[] = [
  { arn: 'arn', why: /not of the form/ },
  { arn: 'not-an-arn', why: /not of the form/ },
  { arn: 'arn:aws:iam::123456789012', why: /not of the form/ },
  { arn: 'arn:aws-xx:iam::123456789012:user/Alice', why: /unknown partition "aws-xx"/ },
  { arn: 'arn:AWS:iam::123456789012:user/Alice', why: /unknown partition/ },
  { arn: 'arn:aws:iam::1234:user/Alice', why: /12 digits/ },
  { arn: 'arn:aws:iam:us-east-1:123456789012:user/Alice', why: /empty region/ },
  { arn: 'arn:aws:s3:::bucket', why: /12 digits/ },
  { arn: 'arn:aws:ec2::123456789012:instance/i-1', why: /service "ec2"/ },
  { arn: 'arn:aws:iam::123456789012:group/Admins', why: /unsupported IAM resource/ },
  { arn: 'arn:aws:iam::123456789012:instance-profile/Node', why: /unsupported IAM resource/ },
  { arn: 'arn:aws:iam::123456789012:role/', why: /unsupported IAM resource/ },
  { arn: 'arn:aws:iam::123456789012:user', why: /unsupported IAM resource/ },
  { arn: 'arn:aws:sts::123456789012:assumed-role/OnlyRole', why: /assumed-role\/ROLE\/SESSION/ },
  { arn: 'arn:aws:sts::123456789012:assumed-role/Role/', why: /assumed-role\/ROLE\/SESSION/ },
  { arn: 'arn:aws:sts::123456789012:federated-user', why: /unsupported STS resource/ },
  { arn: 'arn:aws:sts::123456789012:session/x', why: /unsupported STS resource/ },
];

describe('canonicalizeArn', () => {
  for (const { arn, canonical, kind, session } of CANONICAL) {
    test(`${arn} is a ${kind} that maps as ${canonical}`, () => {
      assert.equal(canonicalizeArn(arn), canonical);
      const p = parsePrincipal(arn);
      assert.equal(p.kind, kind);
      assert.equal(p.sessionName, session);
      assert.equal(p.account, '123456789012');
    });
  }

  test('keeps the authenticator rule that everything between assumed-role and the last segment is the role', () => {
    // aws-iam-authenticator joins parts[1:len-1]; STS never emits this, but the rule decides the mapping.
    assert.equal(
      canonicalizeArn('arn:aws:sts::123456789012:assumed-role/a/b/session'),
      'arn:aws:iam::123456789012:role/a/b',
    );
  });

  test('reports the path of a role or user, and none for an assumed-role session', () => {
    assert.equal(parsePrincipal('arn:aws:iam::123456789012:role/path/to/S3Access').path, '/path/to/');
    assert.equal(parsePrincipal('arn:aws:iam::123456789012:role/S3Access').path, '/');
    assert.equal(parsePrincipal('arn:aws:iam::123456789012:user/division/team/Bob').name, 'Bob');
    assert.equal(parsePrincipal('arn:aws:sts::123456789012:assumed-role/R/S').path, '/');
  });

  for (const { arn, why } of INVALID) {
    test(`rejects ${JSON.stringify(arn)} with EksAuthError reason invalid-arn`, () => {
      assert.throws(
        () => canonicalizeArn(arn),
        (err: unknown) => err instanceof EksAuthError && err.reason === 'invalid-arn' && why.test(err.message),
      );
    });
  }
});

describe('parseArn', () => {
  test('splits the six fields and keeps colons inside the resource', () => {
    assert.deepEqual(parseArn('arn:aws:logs:us-east-1:123456789012:log-group:/a:b'), {
      partition: 'aws',
      service: 'logs',
      region: 'us-east-1',
      account: '123456789012',
      resource: 'log-group:/a:b',
    });
  });

  test('returns undefined for text that is not ARN-shaped', () => {
    for (const text of ['', 'arn:', 'arn:aws', 'ARN:aws:iam::1:user/x', 'arn::iam::1:user/x', 'arn:aws:iam::1:']) {
      assert.equal(parseArn(text), undefined, text);
    }
  });
});

describe('stripRolePath', () => {
  const cases: [string, string][] = [
    [
      'arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_abc',
      'arn:aws:iam::123456789012:role/AWSReservedSSO_Admin_abc',
    ],
    ['arn:aws-cn:iam::123456789012:role/team/Dev', 'arn:aws-cn:iam::123456789012:role/Dev'],
    ['arn:aws:iam::123456789012:role/Dev', 'arn:aws:iam::123456789012:role/Dev'],
    ['arn:aws:iam::123456789012:user/team/Bob', 'arn:aws:iam::123456789012:user/team/Bob'],
    ['arn:aws:sts::123456789012:assumed-role/Dev/s', 'arn:aws:sts::123456789012:assumed-role/Dev/s'],
    ['garbage', 'garbage'],
  ];
  for (const [arn, want] of cases) {
    test(`${arn} → ${want}`, () => assert.equal(stripRolePath(arn), want));
  }
});
