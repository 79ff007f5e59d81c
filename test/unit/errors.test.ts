import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { STS_REPLAY_REASONS, TOKEN_CHECK_REASONS } from '../../src/errors';

const README = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');

/** The backquoted words of the README's list of `verify` reasons, split at "from STS". */
function documentedVerifyReasons(): { beforeSts: string[]; fromSts: string[] } {
  const start = README.indexOf('Stable `reason` values:');
  assert.notEqual(start, -1, 'README "eks-auth verify" no longer lists its stable reason values');
  const end = README.indexOf('\n\n', start);
  const list = README.slice(start + 'Stable `reason` values:'.length, end);
  const split = list.indexOf('from STS');
  assert.notEqual(split, -1, 'the README list no longer separates the reasons that come from STS');
  // Only the reason names are backquoted; the explanations in parentheses are plain text.
  const words = (text: string) => [...text.matchAll(/`([^`]+)`/g)].map((m) => m[1] as string);
  return { beforeSts: words(list.slice(0, split)), fromSts: words(list.slice(split)) };
}

describe('ErrorReason', () => {
  // Scripts match on `verify --json`'s reason, so the README is the contract: the lists must agree
  // both ways (a reason missing from the README is undocumented, one missing here is never produced).
  test("the README lists verify's token checks, in order, and no other", () => {
    assert.deepEqual(documentedVerifyReasons().beforeSts, [...TOKEN_CHECK_REASONS]);
  });

  test("the README lists verify's STS outcomes, in order, and no other", () => {
    assert.deepEqual(documentedVerifyReasons().fromSts, [...STS_REPLAY_REASONS]);
  });

  test('no reason is listed twice', () => {
    const all = [...TOKEN_CHECK_REASONS, ...STS_REPLAY_REASONS];
    assert.equal(new Set(all).size, all.length);
  });
});
