import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { formatAmzDate, formatTimestamp } from '../../../src/util/utc';

describe('formatTimestamp', () => {
  // client-go parses expirationTimestamp as RFC 3339; aws-iam-authenticator and `aws eks get-token` print seconds, UTC, "Z".
  const rows: [string, string][] = [
    ['2026-01-01T00:14:00.000Z', '2026-01-01T00:14:00Z'],
    ['2026-01-01T00:14:00.999Z', '2026-01-01T00:14:00Z'],
    ['2024-02-29T23:59:59.500Z', '2024-02-29T23:59:59Z'],
    ['1999-12-31T23:59:59.000+02:00', '1999-12-31T21:59:59Z'],
  ];
  for (const [input, expected] of rows) {
    test(`${input} → ${expected}`, () => {
      assert.equal(formatTimestamp(new Date(input)), expected);
    });
  }
});

// The oracle is V8's own Date#toISOString, which the hand-written formatters replace on the hot path.
describe('formatters agree with toISOString', () => {
  // Every millisecond from 1970 to 9999, plus the edges of the hand-written range and beyond it.
  const anyDate = fc.oneof(
    fc.integer({ min: 0, max: 253_402_300_799_999 }),
    fc.constantFrom(
      -30_610_224_000_000,
      -30_610_224_000_001,
      253_402_300_800_000,
      -62_198_755_200_000,
      8.64e15,
      -8.64e15,
    ),
  );

  test('formatTimestamp is toISOString without milliseconds', () => {
    fc.assert(
      fc.property(anyDate, (ms) => {
        const iso = new Date(ms).toISOString();
        assert.equal(formatTimestamp(new Date(ms)), `${iso.slice(0, iso.indexOf('.'))}Z`);
      }),
      { numRuns: 2000 },
    );
  });

  test('formatAmzDate is toISOString in the basic format (SigV4 X-Amz-Date)', () => {
    fc.assert(
      fc.property(anyDate, (ms) => {
        assert.equal(formatAmzDate(new Date(ms)), new Date(ms).toISOString().replace(/[-:]|\.\d{3}/g, ''));
      }),
      { numRuns: 2000 },
    );
  });

  test('an invalid date throws as toISOString does', () => {
    assert.throws(() => formatTimestamp(new Date(Number.NaN)), RangeError);
    assert.throws(() => formatAmzDate(new Date(Number.NaN)), RangeError);
  });

  test('known answers', () => {
    assert.equal(formatAmzDate(new Date('2024-01-02T03:04:05.678Z')), '20240102T030405Z');
    assert.equal(formatTimestamp(new Date('0999-12-31T23:59:59.999Z')), '0999-12-31T23:59:59Z');
    assert.equal(formatTimestamp(new Date(8.64e15)), '+275760-09-13T00:00:00Z');
  });
});
