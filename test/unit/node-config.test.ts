import should from 'should';
import { parseSenderConfig, type SenderConfig } from '../../src/send/sender-config';
import { DISPATCH_DEFAULTS } from '../../src/send/sender';
import { parseAccountConfig, type AccountConfig } from '../../src/providers/account-config';
import { parseGetStatusConfig } from '../../src/status/config';
import { parseReceiverConfig } from '../../src/webhook/receiver-config';

describe('node config parsing', function () {
  it('gives a sender saved before the reliability options existed the defaults', function () {
    const s = parseSenderConfig({
      account: 'a',
      fromAddress: ' +12025550100 ',
      channelUuid: '',
      mode: 'agentless',
      queueId: '',
      ratePerSecond: '',
      burst: '',
      queueLimit: '',
      defaultCountry: ' us ',
    } as SenderConfig);
    should(s.fromAddress).equal('+12025550100');
    should(s.defaultCountry).equal('US');
    s.ratePerSecond.should.equal(DISPATCH_DEFAULTS.ratePerSecond);
    s.maxAttempts.should.equal(DISPATCH_DEFAULTS.maxAttempts);
    s.deadlineMs.should.equal(DISPATCH_DEFAULTS.deadlineMs);
    should(s.compliance?.optOutCheck).equal(true);
    should(s.compliance?.quietAction).equal('hold');
  });

  it('gives an unset sender the defaults the README and the help document', function () {
    const s = parseSenderConfig({ account: 'a' } as SenderConfig);
    should(s).containDeep({
      ratePerSecond: 1,
      burst: 1,
      queueLimit: 1000,
      concurrency: 1,
      maxAttempts: 5,
      deadlineMs: 3600 * 1000,
      retryAfterCapMs: 180 * 1000,
      resendAmbiguous: false,
      breakerFailFast: false,
      breakerThreshold: 0.15,
      breakerWindowMs: 300 * 1000,
      breakerMinCalls: 20,
      breakerCoolDownMs: 30 * 1000,
      idempotencyRetentionMs: 24 * 3600 * 1000,
    });
  });

  it('floors counts, caps concurrency at 64 and ignores nonsense', function () {
    const s = parseSenderConfig({ burst: '3.7', queueLimit: 'lots', concurrency: 500, breakerThreshold: 40, deadline: '-5' } as unknown as SenderConfig);
    s.burst.should.equal(3);
    s.queueLimit.should.equal(DISPATCH_DEFAULTS.queueLimit);
    s.concurrency.should.equal(64);
    s.breakerThreshold.should.equal(0.4);
    s.deadlineMs.should.equal(DISPATCH_DEFAULTS.deadlineMs);
  });

  it('reads an account: unknown provider falls back to the sandbox, Redis only when chosen', function () {
    const local = parseAccountConfig({ provider: 'nope', region: '', apiBaseUrl: ' ', authBaseUrl: '', requestsPerMinute: '', sandboxPort: '' } as unknown as AccountConfig, {});
    local.settings.provider.should.equal('sandbox');
    should(local.settings.apiBaseUrl).be.undefined();
    local.coordination.should.eql({ mode: 'local' });
    const redis = parseAccountConfig({ provider: 'genesys-cloud', region: 'mypurecloud.de', coordination: 'redis', redisLease: '0.2', requestsPerMinute: 120 } as unknown as AccountConfig, {
      redisPassword: 'pw',
    });
    redis.budget.requestsPerMinute.should.equal(120);
    if (redis.coordination.mode !== 'redis') throw new Error('expected redis');
    redis.coordination.redis.leaseMs.should.equal(1000);
    should(redis.coordination.redis.password).equal('pw');
  });

  it('keeps get-status waits bounded', function () {
    parseGetStatusConfig({ account: '', messageId: '', messageIdType: '', waitForFinal: 'true', pollInterval: '0.001', timeout: 1e9 }).should.eql({
      waitForFinal: true,
      intervalMs: 50,
      timeoutMs: 7 * 24 * 3600 * 1000,
    });
    parseGetStatusConfig({ account: '', messageId: '', messageIdType: '', waitForFinal: false, pollInterval: '', timeout: '' }).should.eql({
      waitForFinal: false,
      intervalMs: 5000,
      timeoutMs: 300_000,
    });
  });

  it('refuses a receiver without a path and flags a missing secret', function () {
    parseReceiverConfig({ path: '/', auth: 'none' }, undefined).should.eql({ ok: false, reason: 'no-path' });
    const r = parseReceiverConfig({ path: 'hooks/sms', auth: 'bogus' as never, bodyLimitKb: 99999 }, undefined);
    if (!r.ok) throw new Error('expected ok');
    r.settings.mode.should.equal('standard-webhooks');
    r.noSecret.should.equal(true);
    should(r.settings.bodyLimitBytes).equal(10 * 1024 * 1024);
  });
});
