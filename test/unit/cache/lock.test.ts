import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { acquireLock, type LockOptions } from '../../../src/cache/lock';

/** A clock that only moves when the lock "sleeps": no real waiting anywhere in this file. */
function fakeLockOptions(
  overrides: Partial<LockOptions> = {},
): LockOptions & { sleeps: number[]; clock: { t: number } } {
  const clock = { t: Date.parse('2026-01-01T00:00:00Z') };
  const sleeps: number[] = [];
  return {
    now: () => clock.t,
    sleep: async (ms) => {
      sleeps.push(ms);
      clock.t += ms;
    },
    isAlive: () => true,
    pid: 1000,
    host: 'here',
    maxWaitMs: 10_000,
    pollMs: 15,
    ...overrides,
    sleeps,
    clock,
  };
}

function lockContent(content: { pid: number; host: string; at: number }): string {
  return JSON.stringify({ ...content, nonce: 'aaaaaaaaaaaa' });
}

let dir: string;
let path: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'eks-auth-lock-'));
  path = join(dir, `${'a'.repeat(64)}.lock`);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('acquireLock', () => {
  test('takes a free lock at once, records pid, host and time, and release removes it', async () => {
    const options = fakeLockOptions();
    const held = await acquireLock(path, options);
    const content = JSON.parse(readFileSync(path, 'utf8')) as { pid: number; host: string; at: number };
    assert.deepEqual([content.pid, content.host, content.at], [1000, 'here', options.clock.t]);
    assert.equal(options.sleeps.length, 0);
    held.release();
    assert.equal(existsSync(path), false);
  });

  test('waits with short polls while a live holder keeps the lock, then takes it when released', async () => {
    const holder = await acquireLock(path, fakeLockOptions({ pid: 2000 }));
    const options = fakeLockOptions({
      sleep: async (ms) => {
        options.sleeps.push(ms);
        options.clock.t += ms;
        // The holder finishes its STS call after the fifth poll.
        if (options.sleeps.length === 5) holder.release();
      },
    });
    const held = await acquireLock(path, options);
    assert.equal(options.sleeps.length, 5);
    assert.ok(
      options.sleeps.every((ms) => ms >= 15 && ms < 30),
      `polls were ${options.sleeps.join(', ')} ms`,
    );
    assert.equal((JSON.parse(readFileSync(path, 'utf8')) as { pid: number }).pid, 1000);
    held.release();
  });

  test('breaks at once a lock whose holder (same host) has exited', async () => {
    const options = fakeLockOptions({ isAlive: (pid) => pid !== 4242 });
    writeFileSync(path, lockContent({ pid: 4242, host: 'here', at: options.clock.t }));
    const broken: string[] = [];
    await acquireLock(path, { ...options, onBreak: (reason) => broken.push(reason) });
    assert.equal(options.sleeps.length, 0);
    assert.deepEqual(broken, ['its holder (pid 4242) has exited']);
    assert.equal((JSON.parse(readFileSync(path, 'utf8')) as { pid: number }).pid, 1000);
  });

  test('never judges the pid of another host, but breaks its lock once the wait bound has passed', async () => {
    const options = fakeLockOptions({ isAlive: () => false });
    writeFileSync(path, lockContent({ pid: 4242, host: 'elsewhere', at: options.clock.t }));
    await acquireLock(path, options);
    const waited = options.sleeps.reduce((a, b) => a + b, 0);
    assert.ok(waited >= 10_000 && waited < 10_100, `waited ${waited} ms`);
  });

  test('breaks at once a lock older than the bound, even if its holder is alive', async () => {
    const options = fakeLockOptions();
    writeFileSync(path, lockContent({ pid: 2000, host: 'here', at: options.clock.t - 10_000 }));
    const broken: string[] = [];
    await acquireLock(path, { ...options, onBreak: (reason) => broken.push(reason) });
    assert.equal(options.sleeps.length, 0);
    assert.deepEqual(broken, ['it is 10 s old']);
  });

  test('waits for a young lock of a live holder until the bound, then breaks it', async () => {
    const options = fakeLockOptions();
    writeFileSync(path, lockContent({ pid: 2000, host: 'here', at: options.clock.t - 9_000 }));
    await acquireLock(path, options);
    const waited = options.sleeps.reduce((a, b) => a + b, 0);
    // Stale by age after about one more second.
    assert.ok(waited >= 1_000 && waited < 1_100, `waited ${waited} ms`);
  });

  test('breaks an empty or unreadable lock (holder died between create and write) after the bound', async () => {
    const options = fakeLockOptions();
    writeFileSync(path, '');
    await acquireLock(path, options);
    const waited = options.sleeps.reduce((a, b) => a + b, 0);
    assert.ok(waited >= 10_000 && waited < 10_100, `waited ${waited} ms`);
  });

  test('release leaves alone a lock that another process broke and took', async () => {
    const mine = await acquireLock(path, fakeLockOptions());
    const theirs = lockContent({ pid: 3000, host: 'here', at: 0 });
    writeFileSync(path, theirs);
    mine.release();
    assert.equal(readFileSync(path, 'utf8'), theirs);
  });

  test('concurrent acquirers in one process hold the lock one at a time', async () => {
    let holding = 0;
    let most = 0;
    const order: number[] = [];
    await Promise.all(
      Array.from({ length: 8 }, async (_, n) => {
        const options = fakeLockOptions({
          pid: 5000 + n,
          sleep: () => new Promise((resolve) => setImmediate(resolve)),
        });
        const held = await acquireLock(path, options);
        holding++;
        most = Math.max(most, holding);
        await new Promise((resolve) => setImmediate(resolve));
        order.push(n);
        holding--;
        held.release();
      }),
    );
    assert.equal(most, 1);
    assert.equal(order.length, 8);
    assert.equal(existsSync(path), false);
  });
});
