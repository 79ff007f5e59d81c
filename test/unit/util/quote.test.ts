import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { describeHop, describeSource } from '../../../src/aws/profile-chain';
import { profileName, shellWord } from '../../../src/util/quote';

describe('profile names in messages', () => {
  test('are quoted in prose', () => {
    assert.equal(profileName('dev'), 'profile "dev"');
    assert.equal(describeSource({ kind: 'static', profile: 'my dev' }), 'static keys of profile "my dev"');
    assert.equal(describeSource({ kind: 'sso', profile: 'a"b' }), 'SSO of profile "a\\"b"');
    assert.equal(
      describeHop({ roleArn: 'arn:aws:iam::111122223333:role/r', profile: 'x y' }),
      'arn:aws:iam::111122223333:role/r (profile "x y")',
    );
    // A control character shows escaped, not raw on the terminal.
    assert.equal(profileName('evil\u001b[2J'), 'profile "evil\\u001b[2J"');
  });

  test('are shell-quoted in commands to paste', () => {
    assert.equal(shellWord('dev'), 'dev');
    assert.equal(shellWord('my dev'), "'my dev'");
    assert.equal(shellWord("it's"), "'it'\\''s'");
    assert.equal(shellWord(''), "''");
  });
});
