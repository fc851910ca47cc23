/**
 * agentless-account: a config node holding one platform tenant: provider, endpoints, credentials, and
 * the API request budget that every sender and status poll of the tenant draws from.
 */
import type { NodeAPI } from 'node-red';
import type { AccountCredentials, AccountDef, AccountNode } from './types';
import { AccountRuntime } from '../providers/account';
import { PROVIDERS } from '../providers/types';
import { capabilitiesOf } from '../providers/factory';
import { AccountBudget } from '../dispatch/request-budget';
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

  function AgentlessAccountNode(this: AccountNode, config: AccountDef) {
    RED.nodes.createNode(this, config);
    const provider = (PROVIDERS as readonly string[]).includes(config.provider) ? config.provider : 'sandbox';
    const creds = this.credentials ?? {};
    // One budget per tenant: every sender and status poll on this account draws from it.
    const rpm = Number(config.requestsPerMinute) > 0 ? Number(config.requestsPerMinute) : capabilitiesOf(provider).defaultRequestsPerMinute;
    const budget = new AccountBudget({ requestsPerMinute: rpm, clock: systemClock });
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
      { clock: systemClock, logger: nodeLogger(this), optOutFile: userDir ? optOutFile(userDir, this.id) : null },
    );
    if (provider === 'sandbox') {
      this.runtime.sandboxUrl().then(
        (url) => this.log(RED._('agentless-account.log.sandbox', { url: `${url}/sandbox/phone` })),
        (err: Error) => this.error(err.message),
      );
    }
    this.on('close', (_removed: boolean, done: () => void) => {
      budget.close();
      this.runtime.close().then(done, done);
    });
  }

  RED.nodes.registerType<AccountNode, AccountDef, {}, AccountCredentials>('agentless-account', AgentlessAccountNode, {
    credentials: {
      clientId: { type: 'text' },
      clientSecret: { type: 'password' },
      username: { type: 'text' },
      password: { type: 'password' },
      accessToken: { type: 'password' },
      sandboxCallbackSecret: { type: 'password' },
    },
  });
};
