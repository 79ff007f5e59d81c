import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { awsAuthCheck, formatAwsAuthCheck, summariseAwsAuthCheck } from '../../../src/usecases/aws-auth-check';
import { formatFinding } from '../../../src/kube/aws-auth-lint';

const FIXTURES = join(__dirname, '..', '..', 'fixtures', 'aws-auth');
const read = (name: string): string => readFileSync(join(FIXTURES, name), 'utf8');

describe('aws-auth check', () => {
  const files = { readText: (path: string) => (path.endsWith('missing.yaml') ? undefined : read(path)) };

  test('prints FILE:LINE: severity: message lines', () => {
    assert.equal(
      formatFinding('aws-auth.yaml', { line: 3, severity: 'warning', code: 'x', message: 'm' }),
      'aws-auth.yaml:3: warning: m',
    );
  });

  test('fails on errors, passes on warnings alone, and fails on warnings with --strict', async () => {
    const errors = await awsAuthCheck({ file: 'role-path.yaml', strict: false }, { files });
    assert.deepEqual([errors.failed, errors.errors, errors.warnings], [true, 1, 0]);
    assert.match(formatAwsAuthCheck(errors), /^role-path\.yaml:8: error: mapRoles entry 1: /);
    assert.equal(summariseAwsAuthCheck(errors), 'role-path.yaml: 1 error, 0 warnings');

    const warnings = await awsAuthCheck({ file: 'system-masters.yaml', strict: false }, { files });
    assert.deepEqual([warnings.failed, warnings.errors, warnings.warnings], [false, 0, 1]);
    assert.equal((await awsAuthCheck({ file: 'system-masters.yaml', strict: true }, { files })).failed, true);

    const good = await awsAuthCheck({ file: 'good.yaml', strict: true }, { files });
    assert.deepEqual(
      [good.failed, summariseAwsAuthCheck(good), formatAwsAuthCheck(good)],
      [false, 'good.yaml: ok', ''],
    );
  });

  test('a missing file is a configuration error (exit 3)', async () => {
    await assert.rejects(
      awsAuthCheck({ file: 'missing.yaml', strict: false }, { files }),
      (e: { exitCode?: number }) => e.exitCode === 3,
    );
  });
});
