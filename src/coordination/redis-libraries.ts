/**
 * The Redis client libraries (ioredis, and BullMQ for the shared queues), loaded only when an account
 * selects Redis coordination. They are not dependencies of this package: BullMQ brings a native build
 * with an install script, and most installations never use Redis. A user who switches an account to
 * Redis installs them once next to Node-RED; until then the account answers with `dependency_missing`
 * and a message that names the command, instead of Node-RED failing to load the package.
 */
import type * as BullMQ from 'bullmq';
import type * as IORedis from 'ioredis';
import { SmsError } from '../util/errors';

export interface RedisLibraries {
  bullmq: typeof BullMQ;
  ioredis: typeof IORedis;
}

/** The package names to load; tests point one at a name that is not installed. */
export interface RedisPackageNames {
  bullmq: string;
  ioredis: string;
}

export const REDIS_PACKAGES: RedisPackageNames = { bullmq: 'bullmq', ioredis: 'ioredis' };

/** The command the error message names (the package's tested versions). */
export const REDIS_INSTALL_COMMAND = 'npm install bullmq@6 ioredis@6';

const loaded = new Map<string, RedisLibraries>();

/** Loads both libraries (once per name pair); throws dependency_missing naming the install command. */
export function loadRedisLibraries(names: RedisPackageNames = REDIS_PACKAGES): RedisLibraries {
  const key = `${names.bullmq}\0${names.ioredis}`;
  const cached = loaded.get(key);
  if (cached) return cached;
  const missing: string[] = [];
  const load = <T>(name: string): T | undefined => {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      return require(name) as T;
    } catch (err) {
      // Only "not installed" is ours to explain; a library that is present but broken reports itself.
      if ((err as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND' || !String((err as Error).message).includes(`'${name}'`)) throw err;
      missing.push(name);
      return undefined;
    }
  };
  const ioredis = load<typeof IORedis>(names.ioredis);
  const bullmq = load<typeof BullMQ>(names.bullmq);
  if (!ioredis || !bullmq) {
    throw new SmsError(
      'dependency_missing',
      `Redis coordination needs the packages bullmq and ioredis, and ${missing.join(' and ')} ${missing.length > 1 ? 'are' : 'is'} not installed: ` +
        `run "${REDIS_INSTALL_COMMAND}" in the Node-RED user directory (usually ~/.node-red) and restart Node-RED, ` +
        "or set the account's coordination to Local",
      { retryable: false, sent: 'no' },
    );
  }
  const libs = { ioredis, bullmq };
  loaded.set(key, libs);
  return libs;
}
