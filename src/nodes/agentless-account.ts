/**
 * agentless-account: a config node holding one platform tenant: provider, endpoints, credentials, and
 * the API request budget that every sender and status poll of the tenant draws from.
 */
import type { NodeAPI } from 'node-red';
import type { AccountDef, AccountNode, AccountNodeCredentials } from './types';
import { AccountRuntime } from '../providers/account';
import { PROVIDERS } from '../providers/types';
import { capabilitiesOf } from '../providers/factory';
import { LocalCoordination, type Coordination } from '../coordination/coordination';
import { openRedisCoordination, UnavailableCoordination } from '../coordination/unavailable-coordination';
import type { RedisPackageNames } from '../coordination/redis-libraries';
import { REDIS_DEFAULTS } from '../coordination/redis-connection';
import { DEFAULT_GENESYS_REGION } from '../providers/genesys-regions';
import { systemClock } from '../util/clock';
import { nodeLogger } from './node-logger';
import { registerAccountAdminRoutes } from './account-admin';
import { optOutFile } from '../compliance/opt-out-store';
import { registerOptOutRoutes } from './opt-out-routes';

export = function (RED: NodeAPI) {
  // Admin routes are registered once per module and find the account by id.
  registerAccountAdminRoutes(RED);
  registerOptOutRoutes(RED);
  const userDir = (RED.settings as { userDir?: string }).userDir;
  // TEST ONLY: `settings.agentlessSms.budgetWindowMs` shortens the budget's 60 s window so runtime tests
  // of "never more than N per window" take seconds. Not a product setting.
  const testWindowMs = (RED.settings as { agentlessSms?: { budgetWindowMs?: number } }).agentlessSms?.budgetWindowMs;
  // TEST ONLY: `settings.agentlessSms.redisPackages` names the Redis libraries to load, so a test can name
  // one that is not installed and see what a user without them sees. Not a product setting.
  const testRedisPackages = (RED.settings as { agentlessSms?: { redisPackages?: RedisPackageNames } }).agentlessSms?.redisPackages;

  function AgentlessAccountNode(this: AccountNode, config: AccountDef) {
    RED.nodes.createNode(this, config);
    const provider = (PROVIDERS as readonly string[]).includes(config.provider) ? config.provider : 'sandbox';
    const creds = this.credentials ?? {};
    // One budget per tenant: every sender and status poll on this account draws from it.
    const rpm = Number(config.requestsPerMinute) > 0 ? Number(config.requestsPerMinute) : capabilitiesOf(provider).defaultRequestsPerMinute;
    const windowMs = Number(testWindowMs) > 0 ? Number(testWindowMs) : undefined;
    const logger = nodeLogger(this);
    let coordination: Coordination;
    if (config.coordination === 'redis') {
      const lease = Number(config.redisLease);
      coordination = openRedisCoordination(
        this.id,
        {
          url: (config.redisUrl || '').trim() || 'redis://127.0.0.1:6379',
          password: creds.redisPassword || undefined,
          keyPrefix: config.redisKeyPrefix || REDIS_DEFAULTS.keyPrefix,
          tls: config.redisTls === true,
          leaseMs: lease > 0 ? Math.max(1000, lease * 1000) : REDIS_DEFAULTS.leaseMs,
          whenDown: config.redisWhenDown === 'hold' ? 'hold' : 'fail',
        },
        { requestsPerMinute: rpm, windowMs },
        { clock: systemClock, logger, packages: testRedisPackages },
      );
      if (coordination instanceof UnavailableCoordination) {
        // Every message through this account gets the same error on output 2; say it once here as well.
        this.error(coordination.error.message);
        this.status({ fill: 'red', shape: 'ring', text: `agentless-account.status.${coordination.error.code}` });
      }
    } else {
      coordination = new LocalCoordination({ requestsPerMinute: rpm, windowMs }, systemClock);
    }
    const budget = coordination.budget;
    this.runtime = new AccountRuntime(
      {
        provider,
        region: config.region || DEFAULT_GENESYS_REGION,
        apiBaseUrl: (config.apiBaseUrl || '').trim() || undefined,
        authBaseUrl: (config.authBaseUrl || '').trim() || undefined,
        sandboxPort: Number(config.sandboxPort) || 0,
        sandboxCallbackUrl: (config.sandboxCallbackUrl || '').trim() || undefined,
      },
      {
        clientId: creds.clientId,
        clientSecret: creds.clientSecret,
        username: creds.username,
        password: creds.password,
        accessToken: creds.accessToken,
        sandboxCallbackSecret: creds.sandboxCallbackSecret,
      },
      budget,
      // The opt-out list lives under the account's id in the user directory (memory only without one).
      {
        clock: systemClock,
        logger,
        optOutFile: userDir ? optOutFile(userDir, this.id) : null,
        ...(coordination.mode === 'redis' ? { coordination } : {}),
      },
    );
    if (provider === 'sandbox') {
      this.runtime.sandboxUrl().then(
        (url) => this.log(RED._('agentless-account.log.sandbox', { url: `${url}/sandbox/phone` })),
        (err: Error) => this.error(err.message),
      );
    }
    this.on('close', (_removed: boolean, done: () => void) => {
      budget.close();
      const closeCoordination = () => coordination.close().then(done, done);
      this.runtime.close().then(closeCoordination, closeCoordination);
    });
  }

  RED.nodes.registerType<AccountNode, AccountDef, {}, AccountNodeCredentials>('agentless-account', AgentlessAccountNode, {
    credentials: {
      clientId: { type: 'text' },
      clientSecret: { type: 'password' },
      username: { type: 'text' },
      password: { type: 'password' },
      accessToken: { type: 'password' },
      sandboxCallbackSecret: { type: 'password' },
      redisPassword: { type: 'password' },
    },
  });
};
