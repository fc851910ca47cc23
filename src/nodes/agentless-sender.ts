/**
 * agentless-sender: a config node for one sending identity (from number, channel or queue) on an
 * account, with its own pace (token bucket), durable queue, retries and circuit breaker. Every
 * send-sms node using it shares them.
 */
import type { NodeAPI } from 'node-red';
import { storePath } from '../store/store-path';
import { DISPATCH_DEFAULTS as D, SenderRuntime, positiveNumber } from '../send/sender';
import { systemClock, type Clock } from '../util/clock';
import { COMPLIANCE_DEFAULTS as C } from '../compliance/policy';
import { nodeLogger } from './node-logger';
import type { AccountNode, SenderDef, SenderNode } from './types';

/**
 * TEST ONLY: `settings.agentlessSms.complianceClock` ({ now() }) replaces the wall clock the quiet-hours
 * window is evaluated with, so runtime tests can stand just before a window opens without waiting for
 * it. Not a product setting; do not use it in production.
 */
function testClock(RED: NodeAPI): Clock | undefined {
  const hook = (RED.settings as { agentlessSms?: { complianceClock?: { now?: () => number } } }).agentlessSms?.complianceClock;
  return hook && typeof hook.now === 'function' ? { now: () => hook.now!(), setTimer: systemClock.setTimer } : undefined;
}

export = function (RED: NodeAPI) {
  function AgentlessSenderNode(this: SenderNode, config: SenderDef) {
    RED.nodes.createNode(this, config);
    const account = RED.nodes.getNode(config.account) as AccountNode | null;
    const userDir = (RED.settings as { userDir?: string }).userDir;
    // The queue lives in the user directory under the sender's id, which survives redeploys and restarts.
    const storeDir = userDir ? storePath(userDir, 'senders', this.id) : null;
    if (!storeDir) this.warn(RED._('agentless-sender.warn.no-store'));
    const s = (v: unknown, fallback: number, min = 0) => positiveNumber(v, fallback, min);
    this.runtime = new SenderRuntime(
      account?.runtime ?? null,
      {
        fromAddress: (config.fromAddress || '').trim(),
        channelUuid: (config.channelUuid || '').trim(),
        mode: config.mode === 'queue' ? 'queue' : 'agentless',
        queueId: (config.queueId || '').trim(),
        defaultCountry: (config.defaultCountry || '').trim().toUpperCase(),
        ratePerSecond: s(config.ratePerSecond, D.ratePerSecond),
        burst: Math.floor(s(config.burst, D.burst, 0.99)),
        queueLimit: Math.floor(s(config.queueLimit, D.queueLimit, 0.99)),
        concurrency: Math.min(64, Math.floor(s(config.concurrency, D.concurrency, 0.99))),
        maxAttempts: Math.floor(s(config.maxAttempts, D.maxAttempts, 0.99)),
        deadlineMs: s(config.deadline, D.deadlineMs / 1000) * 1000,
        retryAfterCapMs: s(config.retryAfterCap, D.retryAfterCapMs / 1000) * 1000,
        resendAmbiguous: config.resendAmbiguous === true,
        breakerFailFast: config.breakerFailFast === true,
        breakerThreshold: s(config.breakerThreshold, D.breakerThreshold * 100) / 100,
        breakerWindowMs: s(config.breakerWindow, D.breakerWindowMs / 1000) * 1000,
        breakerMinCalls: Math.floor(s(config.breakerMinCalls, D.breakerMinCalls, 0.99)),
        breakerCoolDownMs: s(config.breakerCoolDown, D.breakerCoolDownMs / 1000) * 1000,
        idempotencyRetentionMs: s(config.idempotencyRetention, D.idempotencyRetentionMs / 3_600_000) * 3_600_000,
        compliance: {
          // Absent in flows saved before these options existed: the defaults apply.
          optOutCheck: config.optOutCheck !== false,
          quietHours: config.quietHours === true,
          quietStart: config.quietStart || C.quietStart,
          quietEnd: config.quietEnd || C.quietEnd,
          timeZone: (config.timeZone || '').trim(),
          quietAction: config.quietAction === 'fail' ? 'fail' : 'hold',
          maxSegments: Math.floor(s(config.maxSegments, 0)),
          optOutFooter: config.optOutFooter || '',
          footerMode: config.footerMode ?? C.footerMode,
          blockShorteners: config.blockShorteners === true,
          blockedPatterns: config.blockedPatterns || '',
          ucs2Mode: config.ucs2Mode ?? C.ucs2Mode,
        },
      },
      { clock: systemClock, logger: nodeLogger(this), storeDir, complianceClock: testClock(RED), senderId: this.id },
    );
    if (this.runtime.configError) this.error(this.runtime.configError.message);
    this.on('close', (_removed: boolean, done: () => void) => {
      this.runtime.close().then(done, done);
    });
  }

  RED.nodes.registerType<SenderNode, SenderDef, {}, {}>('agentless-sender', AgentlessSenderNode);
};
