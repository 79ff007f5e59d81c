import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cacheDirectory, cacheDisabledByEnv } from '../../../src/cache/dir';

describe('cache location and switch', () => {
  test("lives under $KUBECACHEDIR/eks-auth, else ~/.kube/cache/eks-auth (kubectl's cache directory)", () => {
    assert.equal(cacheDirectory({ KUBECACHEDIR: '/var/cache/k' }, '/home/u'), '/var/cache/k/eks-auth');
    assert.equal(cacheDirectory({}, '/home/u'), '/home/u/.kube/cache/eks-auth');
  });

  const SWITCH: [string | undefined, boolean, boolean][] = [
    [undefined, false, false],
    ['1', true, false],
    ['true', true, false],
    ['TRUE', true, false],
    ['0', false, false],
    ['false', false, false],
    ['', false, false],
    // A typo turns the cache off, with a warning, rather than leaving it on against the user's intent.
    ['ture', true, true],
  ];
  for (const [value, disabled, problem] of SWITCH) {
    test(`EKS_AUTH_NO_CACHE=${value ?? '(unset)'} ${disabled ? 'turns the cache off' : 'leaves it on'}${problem ? ' and warns' : ''}`, () => {
      const got = cacheDisabledByEnv(value === undefined ? {} : { EKS_AUTH_NO_CACHE: value });
      assert.equal(got.disabled, disabled);
      assert.equal(got.problem !== undefined, problem);
    });
  }
});
