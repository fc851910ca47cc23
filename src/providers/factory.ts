/**
 * Build the adapter for an account. The `sandbox` provider starts the built-in simulator on loopback and
 * talks to it through the real Genesys Cloud adapter over HTTP, so a sandbox flow exercises the same
 * request code as a production one.
 */
import { SmsError } from '../util/errors';
import { SandboxServer } from '../sandbox/server';
import type { WebhookTarget } from '../sandbox/webhook-sender';
import { GenesysCloudProvider, GENESYS_CAPABILITIES } from './genesys-cloud';
import { CcaiPlatformProvider, CCAI_CAPABILITIES } from './ccai-platform';
import { AvaamoProvider, AVAAMO_CAPABILITIES } from './avaamo';
import type { AccountCredentials, AccountSettings, Provider, ProviderCapabilities, ProviderDeps, ProviderName } from './types';

export interface ProviderHandle {
  provider: Provider;
  /** Present for the sandbox provider: the in-process simulator (its phone page is at `${url}/sandbox/phone`). */
  sandbox?: SandboxServer;
}

export interface SandboxSettings {
  /** Port of the in-process sandbox; 0 picks a free one. */
  sandboxPort?: number;
  /**
   * Where the in-process sandbox posts signed delivery receipts (standard-webhooks), e.g. a webhook
   * receiver node's URL; signed with the account's `sandboxCallbackSecret` credential.
   */
  sandboxCallbackUrl?: string;
}

export async function createProvider(settings: AccountSettings & SandboxSettings, credentials: AccountCredentials, deps: ProviderDeps): Promise<ProviderHandle> {
  switch (settings.provider) {
    case 'genesys-cloud':
      return { provider: new GenesysCloudProvider(settings, credentials, deps) };
    case 'ccai-platform':
      return { provider: new CcaiPlatformProvider(settings, credentials, deps) };
    case 'avaamo':
      return { provider: new AvaamoProvider(settings, credentials, deps) };
    case 'sandbox': {
      const sandbox = new SandboxServer({ webhook: sandboxWebhook(settings, credentials, deps) });
      let url: string;
      try {
        url = await sandbox.start(settings.sandboxPort ?? 0);
      } catch (err) {
        throw new SmsError('config_missing', `cannot start the sandbox on port ${settings.sandboxPort}: ${(err as Error).message}`);
      }
      const creds = {
        clientId: credentials.clientId || 'sandbox',
        clientSecret: credentials.clientSecret || 'sandbox',
      };
      return {
        provider: new GenesysCloudProvider({ ...settings, apiBaseUrl: url, authBaseUrl: url }, creds, deps, 'sandbox'),
        sandbox,
      };
    }
    default:
      throw new SmsError('config_missing', `provider "${String(settings.provider)}" is not supported`);
  }
}

/** The receipt target of the in-process sandbox, or undefined (with a warning) when it is unusable. */
function sandboxWebhook(settings: SandboxSettings, credentials: AccountCredentials, deps: ProviderDeps): WebhookTarget | undefined {
  const url = (settings.sandboxCallbackUrl ?? '').trim();
  if (!url) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    deps.logger.warn(`sandbox delivery receipts are off: "${url}" is not an absolute URL`);
    return undefined;
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    deps.logger.warn('sandbox delivery receipts are off: the callback URL must be http or https');
    return undefined;
  }
  // Unsigned receipts would be refused by a verifying receiver anyway; say so once instead.
  const secret = credentials.sandboxCallbackSecret ?? '';
  if (!secret) {
    deps.logger.warn('sandbox delivery receipts are off: the account has a callback URL but no callback secret');
    return undefined;
  }
  return { url: parsed.toString(), secret };
}

/** What a provider can do, known before it is created (validation runs before the first connection). */
export function capabilitiesOf(provider: ProviderName): ProviderCapabilities {
  switch (provider) {
    case 'genesys-cloud':
    case 'sandbox':
      return GENESYS_CAPABILITIES;
    case 'ccai-platform':
      return CCAI_CAPABILITIES;
    case 'avaamo':
      return AVAAMO_CAPABILITIES;
    default:
      throw new SmsError('config_missing', `provider "${String(provider)}" is not supported`);
  }
}
