/**
 * agentless-account: wiring only. A config node holding one platform tenant: provider, endpoints,
 * credentials, and the API request budget every sender and status poll of the tenant draws from.
 * Settings are parsed in src/providers/account-config.ts; the runtime is src/providers/account.ts.
 */
import { sentLogFile } from '../status/sent-messages';
import type { NodeAPI } from 'node-red';
import type { AccountDef, AccountNode, AccountNodeCredentials } from './kit/types';
import { AccountRuntime } from '../providers/account';
import { parseAccountConfig } from '../providers/account-config';
import { createCoordination } from '../coordination/coordination';
import { UnavailableCoordination } from '../coordination/unavailable-coordination';
import { systemClock } from '../util/clock';
import { nodeLogger, onClose, packageSettings } from './kit/node-kit';
import { registerAccountAdminRoutes } from './admin/account-admin';
import { registerOptOutRoutes } from './admin/opt-out-routes';
import { registerAccountSignInRoutes } from './admin/account-sign-in';
import { accountAuth } from '../auth/account-token-store';
import { credentialSecretOf } from '../auth/sign-in';

export = function (RED: NodeAPI) {
  // Admin routes are registered once per module and find the account by id.
  registerAccountAdminRoutes(RED);
  registerOptOutRoutes(RED);
  registerAccountSignInRoutes(RED);
  const { userDir, agentlessSms } = packageSettings(RED);

  function AgentlessAccountNode(this: AccountNode, config: AccountDef) {
    RED.nodes.createNode(this, config);
    // TEST ONLY: `settings.agentlessSms.budgetWindowMs` shortens the budget's 60 s window so runtime tests
    // of "never more than N per window" take seconds. Not a product setting.
    const parsed = parseAccountConfig(config, this.credentials ?? {}, agentlessSms?.budgetWindowMs);
    const logger = nodeLogger(this);
    // TEST ONLY: `settings.agentlessSms.redisPackages` names the Redis libraries to load, so a test can name
    // one that is not installed and see what a user without them sees. Not a product setting.
    const coordination = createCoordination(this.id, parsed, { clock: systemClock, logger, userDir, packages: agentlessSms?.redisPackages });
    if (coordination instanceof UnavailableCoordination) {
      // Every message through this account gets the same error on output 2; say it once here as well.
      this.error(coordination.error.message);
      this.status({ fill: 'red', shape: 'ring', text: `agentless-account.status.${coordination.error.code}` });
    }
    // Grant authorization-code: the signed-in user's tokens, in an encrypted store; rotations also go to the runtime's credentials.
    const auth = accountAuth(this.id, parsed, {
      userDir,
      secret: credentialSecretOf(RED.settings as never),
      coordination,
      warn: (key) => this.warn(RED._(`agentless-account.warn.${key}`)),
      keepCredential: (refreshToken) => void RED.nodes.addCredentials(this.id, { ...((RED.nodes.getCredentials(this.id) ?? {}) as AccountNodeCredentials), refreshToken }),
    });
    this.runtime = new AccountRuntime(parsed.settings, parsed.credentials, coordination.budget, { clock: systemClock, logger, coordination, sentLogFile: sentLogFile(userDir, this.id), ...(auth ? { auth } : {}) });
    void this.runtime.userTokens?.load().catch(() => undefined);
    if (parsed.settings.provider === 'sandbox') {
      this.runtime.sandboxUrl().then(
        (url) => this.log(RED._('agentless-account.log.sandbox', { url: `${url}/sandbox/phone` })),
        (err: Error) => this.error(err.message),
      );
    }
    onClose(this, async () => {
      coordination.budget.close();
      await this.runtime.close().catch(() => {});
      await coordination.close();
    });
  }

  RED.nodes.registerType<AccountNode, AccountDef, object, AccountNodeCredentials>('agentless-account', AgentlessAccountNode, {
    credentials: {
      clientId: { type: 'text' },
      clientSecret: { type: 'password' },
      username: { type: 'text' },
      password: { type: 'password' },
      accessToken: { type: 'password' },
      sandboxCallbackSecret: { type: 'password' },
      redisPassword: { type: 'password' },
      refreshToken: { type: 'password' },
    },
  });
};
