/**
 * agentless-account: a config node holding one platform tenant: provider, endpoints, credentials, and
 * the API request budget that every sender and status poll of the tenant draws from.
 */
import type { NodeAPI } from 'node-red';
import type { AccountCredentials, AccountDef, AccountNode } from './types';
import { AccountRuntime } from '../providers/account';
import { PROVIDERS, unlimitedBudget } from '../providers/types';
import { DEFAULT_GENESYS_REGION } from '../providers/genesys-regions';
import { systemClock } from '../util/clock';
import { nodeLogger } from './node-logger';

export = function (RED: NodeAPI) {
  function AgentlessAccountNode(this: AccountNode, config: AccountDef) {
    RED.nodes.createNode(this, config);
    const provider = (PROVIDERS as readonly string[]).includes(config.provider) ? config.provider : 'sandbox';
    const creds = this.credentials ?? {};
    this.runtime = new AccountRuntime(
      {
        provider,
        region: config.region || DEFAULT_GENESYS_REGION,
        apiBaseUrl: (config.apiBaseUrl || '').trim() || undefined,
        authBaseUrl: (config.authBaseUrl || '').trim() || undefined,
        sandboxPort: Number(config.sandboxPort) || 0,
      },
      { clientId: creds.clientId, clientSecret: creds.clientSecret, username: creds.username, password: creds.password, accessToken: creds.accessToken },
      unlimitedBudget,
      { clock: systemClock, logger: nodeLogger(this) },
    );
    if (provider === 'sandbox') {
      this.runtime.sandboxUrl().then(
        (url) => this.log(RED._('agentless-account.log.sandbox', { url: `${url}/sandbox/phone` })),
        (err: Error) => this.error(err.message),
      );
    }
    this.on('close', (_removed: boolean, done: () => void) => {
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
    },
  });
};
