import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { stsError } from '../../../src/aws/sts-client';
import { whoami } from '../../../src/usecases/whoami';
import { EksAuthError } from '../../../src/errors';
import type { StsEndpoint } from '../../../src/ports';
import { fakeDeps } from '../../helpers/fake-deps';

const ENDPOINT = {
  url: 'https://sts.us-east-1.amazonaws.com',
  host: 'sts.us-east-1.amazonaws.com',
  signingRegion: 'us-east-1',
} as StsEndpoint;
const accessDenied = (): Error =>
  Object.assign(new Error('User is not authorized to perform: sts:GetCallerIdentity'), {
    name: 'AccessDenied',
    $metadata: { httpStatusCode: 403 },
  });

describe('whoami', () => {
  test('names the profile and credential source when STS refuses GetCallerIdentity', async () => {
    const deps = fakeDeps({
      config: `
        [profile base]
        region = us-east-1
        aws_access_key_id = AKIDEXAMPLE
        aws_secret_access_key = wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY
      `,
    });
    const sts = deps.stsFake;
    sts.getCallerIdentity = async () => {
      throw stsError(accessDenied(), ENDPOINT, 'GetCallerIdentity');
    };
    const err = await whoami({ profile: 'base' }, deps).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(err instanceof EksAuthError, String(err));
    assert.equal(err.exitCode, 4);
    assert.match(err.message, /GetCallerIdentity/);
    assert.match(err.message, /static keys of profile "base"/);
    assert.doesNotMatch(err.hint ?? '', /assume this role/);
  });
});

describe('STS error hints', () => {
  test('blames the role trust policy for AccessDenied only on AssumeRole', () => {
    assert.match(stsError(accessDenied(), ENDPOINT, 'AssumeRole').hint ?? '', /trust policy/);
    assert.doesNotMatch(stsError(accessDenied(), ENDPOINT, 'GetCallerIdentity').hint ?? '', /trust policy/);
  });
});
