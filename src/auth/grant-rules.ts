/**
 * Which Genesys Cloud sign-in each sender mode needs. The queue-based flow acts for a user (the seeds:
 * "authenticate as a user"; the platform answers a client-credentials token with 400 "requires a user
 * context"), the agentless endpoint is documented for the client-credentials grant. A sender whose mode
 * and account disagree is a configuration error (`grant_mismatch`), found before anything is sent.
 */
import { SmsError } from '../util/errors';
import type { GenesysGrant, ProviderName } from '../providers/types';

export function grantOf(v: unknown): GenesysGrant {
  return v === 'authorization-code' ? 'authorization-code' : 'client-credentials';
}

export function usesGenesysAuth(provider: ProviderName): boolean {
  return provider === 'genesys-cloud' || provider === 'sandbox';
}

export function grantMismatch(provider: ProviderName, grant: GenesysGrant | undefined, mode: 'agentless' | 'queue' | undefined): SmsError | null {
  if (!usesGenesysAuth(provider)) return null;
  const g = grantOf(grant);
  if (mode === 'queue' && g !== 'authorization-code') {
    return new SmsError(
      'grant_mismatch',
      'queue mode sends on behalf of a signed-in Genesys Cloud user: set the account\'s sign-in to "Authorization code" and sign in (client credentials get "This request requires a user context")',
      { provider },
    );
  }
  if (mode !== 'queue' && g === 'authorization-code') {
    return new SmsError('grant_mismatch', 'agentless sending uses the client-credentials grant: choose an account with sign-in "Client credentials", or set this sender to queue mode', { provider });
  }
  return null;
}
