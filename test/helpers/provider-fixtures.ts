/** Shared bits of the adapter tests: dependencies for a provider and "expect this to reject". */
import should from 'should';
import { SmsError } from '../../src/util/errors';
import { systemClock } from '../../src/util/clock';
import { silentLogger } from '../../src/util/logger';
import { unlimitedBudget, type RequestBudget } from '../../src/providers/types';

export const providerDeps = (budget: RequestBudget = unlimitedBudget) => ({ budget, clock: systemClock, logger: silentLogger });

/** The SmsError `p` rejects with; fails the test when it resolves or rejects with anything else. */
export async function failure(p: Promise<unknown>): Promise<SmsError> {
  try {
    await p;
  } catch (err) {
    should(err).be.instanceOf(SmsError);
    return err as SmsError;
  }
  throw new Error('expected a failure');
}
