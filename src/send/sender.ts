/**
 * What an `agentless-sender` config node holds at run time: the sender profile (from number, country,
 * mode), its dispatcher, and the account it sends through. A configuration problem (no account, invalid
 * from number) is kept as `configError` so every message gets a clear answer instead of a crash.
 */
import { SmsError } from '../util/errors';
import { normalizeSender } from '../phone/number';
import { capabilitiesOf } from '../providers/factory';
import { Dispatcher } from '../dispatch/simple-dispatcher';
import type { AccountRuntime } from '../providers/account';
import type { ProviderCapabilities } from '../providers/types';
import type { Clock } from '../util/clock';
import type { SenderProfile } from './prepare';

export interface SenderSettings extends SenderProfile {
  ratePerSecond: number;
  burst: number;
  queueLimit: number;
}

export class SenderRuntime {
  readonly dispatcher: Dispatcher | null = null;
  readonly configError: SmsError | null = null;
  readonly capabilities: ProviderCapabilities | null = null;
  readonly profile: SenderProfile;

  constructor(readonly account: AccountRuntime | null, settings: SenderSettings, clock: Clock) {
    this.profile = { ...settings };
    try {
      if (!account) throw new SmsError('config_missing', 'the sender has no account configured');
      this.capabilities = capabilitiesOf(account.settings.provider);
      if (settings.fromAddress) this.profile.fromAddress = normalizeSender(settings.fromAddress);
      this.dispatcher = new Dispatcher(() => account.provider(), account.budget, {
        ratePerSecond: settings.ratePerSecond,
        burst: settings.burst,
        queueLimit: settings.queueLimit,
        clock,
      });
    } catch (err) {
      this.configError = err instanceof SmsError ? err : new SmsError('config_missing', String(err));
    }
  }

  async close(): Promise<void> {
    await this.dispatcher?.close();
  }
}

/** Numeric config with a floor: an empty or nonsensical field falls back to the default. */
export function positiveNumber(v: unknown, fallback: number, min = 0): number {
  const n = Number(v);
  return Number.isFinite(n) && n > min ? n : fallback;
}
