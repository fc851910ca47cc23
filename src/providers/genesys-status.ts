/**
 * Genesys Cloud message statuses and what they mean to a flow. The API's spelling is
 * `delivery-failed` (older guides say `delivery-failure`; both are accepted).
 */
import type { SmsStatus } from './types';

const MAP: Record<string, SmsStatus> = {
  queued: 'queued',
  sent: 'sent',
  published: 'sent',
  'delivery-success': 'delivered',
  delivered: 'delivered',
  received: 'delivered',
  'delivery-failed': 'failed',
  'delivery-failure': 'failed',
  failed: 'failed',
  removed: 'failed',
  read: 'read',
};

export function normalizeGenesysStatus(providerStatus: string): SmsStatus | undefined {
  return MAP[String(providerStatus).toLowerCase()];
}

/** Final: no later receipt is expected for the message. */
export function isFinalStatus(status: SmsStatus): boolean {
  return status === 'delivered' || status === 'failed' || status === 'read';
}
