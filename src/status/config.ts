/** The agentless-get-status node's configuration (flow JSON) turned into its settings. Pure. */
import { clampedPositive } from '../util/settings';

export interface GetStatusConfig {
  account: string;
  messageId: string;
  messageIdType: string;
  waitForFinal: boolean | string;
  pollInterval: string | number;
  timeout: string | number;
}

export interface GetStatusSettings {
  waitForFinal: boolean;
  intervalMs: number;
  timeoutMs: number;
}

// Seconds. The floor keeps a typo from hammering the API; the ceilings keep a wait bounded.
const MIN_INTERVAL_S = 0.05;
const DEFAULT_INTERVAL_S = 5;
const DEFAULT_TIMEOUT_S = 300;
const MAX_TIMEOUT_S = 7 * 24 * 3600;

export function parseGetStatusConfig(config: GetStatusConfig): GetStatusSettings {
  return {
    waitForFinal: config.waitForFinal === true || config.waitForFinal === 'true',
    intervalMs: clampedPositive(config.pollInterval, DEFAULT_INTERVAL_S, MIN_INTERVAL_S, 3600) * 1000,
    timeoutMs: clampedPositive(config.timeout, DEFAULT_TIMEOUT_S, MIN_INTERVAL_S, MAX_TIMEOUT_S) * 1000,
  };
}
