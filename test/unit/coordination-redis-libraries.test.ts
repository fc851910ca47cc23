/**
 * The Redis libraries are loaded only for an account set to Redis coordination. Without them the
 * account answers dependency_missing, naming the install command; the loader is pointed at a package
 * name that is not installed to see exactly what a user without them sees.
 */
import assert from 'node:assert';
import { spawnSync } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { loadRedisLibraries, REDIS_INSTALL_COMMAND } from '../../src/coordination/redis-libraries';
import { UnavailableCoordination } from '../../src/coordination/unavailable-coordination';
import { createCoordination } from '../../src/coordination/coordination';
import { REDIS_DEFAULTS, type RedisSettings } from '../../src/coordination/redis-connection';
import { SmsError } from '../../src/util/errors';
import { systemClock } from '../../src/util/clock';
import { silentLogger } from '../../src/util/logger';

const ABSENT = '@agentless-sms/not-installed-redis-client';
const ROOT = path.resolve(__dirname, '..', '..');

/** What the account hands createCoordination for coordination `redis`. */
function redisAccount(url: string): { budget: { requestsPerMinute: number }; coordination: { mode: 'redis'; redis: RedisSettings } } {
  return { budget: { requestsPerMinute: 60 }, coordination: { mode: 'redis', redis: { url, keyPrefix: REDIS_DEFAULTS.keyPrefix, tls: false, leaseMs: 2000, whenDown: 'fail' } } };
}

function thrown(fn: () => unknown): SmsError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof SmsError, `not an SmsError: ${err}`);
    return err;
  }
  assert.fail('did not throw');
}

describe('Redis libraries, loaded on demand', function () {
  it('answers dependency_missing naming the package that is absent and the command that installs both', function () {
    const err = thrown(() => loadRedisLibraries({ bullmq: 'bullmq', ioredis: ABSENT }));
    assert.strictEqual(err.code, 'dependency_missing');
    assert.strictEqual(err.retryable, false);
    assert.ok(err.message.includes(ABSENT), err.message);
    assert.ok(err.message.includes(`"${REDIS_INSTALL_COMMAND}"`), err.message);
    assert.match(REDIS_INSTALL_COMMAND, /^npm install bullmq@\d+ ioredis@\d+$/);
    const both = thrown(() => loadRedisLibraries({ bullmq: ABSENT + '-q', ioredis: ABSENT }));
    assert.ok(both.message.includes(`${ABSENT} and ${ABSENT}-q are not installed`), both.message);
  });

  it('reports a library that is installed but broken as itself, not as missing', function () {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'broken-lib-'));
    const broken = path.join(dir, 'broken.js');
    fs.writeFileSync(broken, "require('a-dependency-of-the-library-that-is-gone');\n");
    try {
      assert.throws(
        () => loadRedisLibraries({ bullmq: 'bullmq', ioredis: broken }),
        (err: Error) => !(err instanceof SmsError) && /a-dependency-of-the-library-that-is-gone/.test(err.message),
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('loads the real libraries when they are installed', function () {
    const libs = loadRedisLibraries();
    assert.strictEqual(typeof libs.ioredis.Redis, 'function');
    assert.strictEqual(typeof libs.bullmq.Queue, 'function');
    assert.strictEqual(typeof libs.bullmq.Worker, 'function');
  });

  it('an account that cannot start Redis coordination answers every shared store with the reason', async function () {
    const c = createCoordination('acct-1', redisAccount('redis://127.0.0.1:1'), { clock: systemClock, logger: silentLogger, packages: { bullmq: ABSENT, ioredis: 'ioredis' } });
    assert.ok(c instanceof UnavailableCoordination);
    assert.strictEqual(c.mode, 'redis');
    assert.strictEqual(c.ok, false);
    const settings = { queueLimit: 10, maxInFlight: 1, ratePerSecond: 1, burst: 1, idempotencyRetentionMs: 1000, logger: silentLogger };
    assert.strictEqual(thrown(() => c.senderStores('s1', settings)).code, 'dependency_missing');
    await assert.rejects(c.optOutStore(), (err: SmsError) => err.code === 'dependency_missing');
    await assert.rejects(c.eventStore('rx'), (err: SmsError) => err.code === 'dependency_missing');
    await c.close();
  });

  it('an unusable Redis URL is kept as config_missing, not a crash of the account', async function () {
    const c = createCoordination('acct-1', redisAccount('http://127.0.0.1:6379'), { clock: systemClock, logger: silentLogger });
    assert.ok(c instanceof UnavailableCoordination);
    assert.strictEqual(c.error.code, 'config_missing');
    await c.close();
  });

  it('loading every node of the package loads neither BullMQ nor ioredis', function () {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    const files = [...Object.values(pkg['node-red'].nodes), ...Object.values(pkg['node-red'].plugins ?? {})].map((f) => path.join(ROOT, f as string));
    const script = `for (const f of ${JSON.stringify(files)}) require(f);
      const loaded = Object.keys(require.cache).filter((p) => /[\\\\/]node_modules[\\\\/](bullmq|ioredis|msgpackr)[\\\\/]/.test(p));
      process.stdout.write(JSON.stringify({ modules: Object.keys(require.cache).length, loaded }));`;
    const r = spawnSync(process.execPath, ['-e', script], { cwd: ROOT, encoding: 'utf8' });
    assert.strictEqual(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.ok(out.modules > files.length, 'the node files were loaded');
    assert.deepStrictEqual(out.loaded, []);
  });
});
