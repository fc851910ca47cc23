import assert from 'node:assert';
import { createHmac } from 'crypto';
import { hmacSha256Hex, signStandardWebhook, verifyRequest, type AuthConfig } from '../../src/webhook/signature';

const SECRET = 'whsec_' + Buffer.from('a-32-byte-long-test-secret-value').toString('base64');
const OTHER = 'whsec_' + Buffer.from('another-secret-for-key-rotation!').toString('base64');
const NOW = 1_700_000_000_000;
const body = Buffer.from('{"type":"message.status","id":"evt_1"}');

function swHeaders(sig: string, ts = NOW / 1000, id = 'evt_1') {
  return { 'webhook-id': id, 'webhook-timestamp': String(ts), 'webhook-signature': sig };
}

describe('webhook signature verification', () => {
  describe('standard-webhooks', () => {
    const cfg: AuthConfig = { mode: 'standard-webhooks', secret: SECRET };

    it('accepts a valid signature computed over id.timestamp.body', () => {
      const sig = signStandardWebhook(SECRET, 'evt_1', NOW / 1000, body);
      // independently computed, so a bug shared by sign and verify would still show
      const key = Buffer.from(SECRET.slice(6), 'base64');
      const manual = createHmac('sha256', key)
        .update(`evt_1.${NOW / 1000}.${body.toString()}`)
        .digest('base64');
      assert.strictEqual(sig, `v1,${manual}`);
      assert.deepStrictEqual(verifyRequest(cfg, swHeaders(sig), body, NOW), { ok: true });
    });

    it('accepts any one valid signature among several (key rotation)', () => {
      const good = signStandardWebhook(SECRET, 'evt_1', NOW / 1000, body);
      const old = signStandardWebhook(OTHER, 'evt_1', NOW / 1000, body);
      assert.ok(verifyRequest(cfg, swHeaders(`${old} v2,abc ${good}`), body, NOW).ok);
      assert.ok(verifyRequest({ ...cfg, secret: OTHER }, swHeaders(`${old} ${good}`), body, NOW).ok);
    });

    it('refuses a signature by another key, over another body, or over re-serialized JSON', () => {
      const other = signStandardWebhook(OTHER, 'evt_1', NOW / 1000, body);
      assert.deepStrictEqual(verifyRequest(cfg, swHeaders(other), body, NOW), { ok: false, reason: 'bad_signature' });
      const reserialized = Buffer.from(JSON.stringify(JSON.parse(body.toString()), null, 1));
      const sig = signStandardWebhook(SECRET, 'evt_1', NOW / 1000, body);
      assert.strictEqual(verifyRequest(cfg, swHeaders(sig), reserialized, NOW).ok, false);
    });

    it('refuses a signature whose id was changed (replay under a new id)', () => {
      const sig = signStandardWebhook(SECRET, 'evt_1', NOW / 1000, body);
      assert.strictEqual(verifyRequest(cfg, swHeaders(sig, NOW / 1000, 'evt_2'), body, NOW).ok, false);
    });

    it('refuses missing, garbled and truncated signatures', () => {
      const sig = signStandardWebhook(SECRET, 'evt_1', NOW / 1000, body);
      assert.deepStrictEqual(verifyRequest(cfg, { 'webhook-id': 'evt_1', 'webhook-timestamp': '1' }, body, NOW), {
        ok: false,
        reason: 'header_missing',
      });
      for (const bad of ['v1,', 'v1,!!!', sig.slice(0, -6), sig.replace('v1,', 'v2,'), 'garbage']) {
        assert.strictEqual(verifyRequest(cfg, swHeaders(bad), body, NOW).ok, false, bad);
      }
    });

    it('enforces the +-300 s tolerance and refuses non-numeric timestamps', () => {
      for (const offset of [-300, 300]) {
        const ts = NOW / 1000 + offset;
        assert.ok(verifyRequest(cfg, swHeaders(signStandardWebhook(SECRET, 'evt_1', ts, body), ts), body, NOW).ok);
      }
      for (const offset of [-301, 301]) {
        const ts = NOW / 1000 + offset;
        assert.deepStrictEqual(verifyRequest(cfg, swHeaders(signStandardWebhook(SECRET, 'evt_1', ts, body), ts), body, NOW), {
          ok: false,
          reason: 'timestamp_out_of_tolerance',
        });
      }
      const h = swHeaders(signStandardWebhook(SECRET, 'evt_1', NOW / 1000, body));
      h['webhook-timestamp'] = '1.7e9';
      assert.deepStrictEqual(verifyRequest(cfg, h, body, NOW), { ok: false, reason: 'bad_timestamp' });
    });

    it('refuses everything when no secret is configured', () => {
      const sig = signStandardWebhook(SECRET, 'evt_1', NOW / 1000, body);
      assert.deepStrictEqual(verifyRequest({ mode: 'standard-webhooks' }, swHeaders(sig), body, NOW), {
        ok: false,
        reason: 'secret_missing',
      });
    });
    it('checks each request against its own receiver secret when receivers with different secrets take turns', () => {
      const other: AuthConfig = { mode: 'standard-webhooks', secret: OTHER };
      const byFirst = signStandardWebhook(SECRET, 'evt_1', NOW / 1000, body);
      const byOther = signStandardWebhook(OTHER, 'evt_1', NOW / 1000, body);
      for (let i = 0; i < 2; i++) {
        assert.deepStrictEqual(verifyRequest(cfg, swHeaders(byFirst), body, NOW), { ok: true });
        assert.deepStrictEqual(verifyRequest(other, swHeaders(byFirst), body, NOW), { ok: false, reason: 'bad_signature' });
        assert.deepStrictEqual(verifyRequest(other, swHeaders(byOther), body, NOW), { ok: true });
        assert.deepStrictEqual(verifyRequest(cfg, swHeaders(byOther), body, NOW), { ok: false, reason: 'bad_signature' });
      }
    });
  });

  describe('hmac-sha256', () => {
    const cfg: AuthConfig = { mode: 'hmac-sha256', secret: 's3cret', headerName: 'X-Hub-Signature-256' };
    const hex = createHmac('sha256', 's3cret').update(body).digest('hex');

    it('accepts the hex digest with or without sha256= in the configured header', () => {
      assert.strictEqual(hmacSha256Hex('s3cret', body), hex);
      assert.ok(verifyRequest(cfg, { 'x-hub-signature-256': hex }, body, NOW).ok);
      assert.ok(verifyRequest(cfg, { 'x-hub-signature-256': `sha256=${hex.toUpperCase()}` }, body, NOW).ok);
    });

    it('refuses a wrong digest, a wrong header and a short digest', () => {
      const wrong = createHmac('sha256', 'other').update(body).digest('hex');
      assert.deepStrictEqual(verifyRequest(cfg, { 'x-hub-signature-256': wrong }, body, NOW), { ok: false, reason: 'bad_signature' });
      assert.deepStrictEqual(verifyRequest(cfg, { 'x-signature-256': hex }, body, NOW), { ok: false, reason: 'header_missing' });
      assert.strictEqual(verifyRequest(cfg, { 'x-hub-signature-256': hex.slice(0, 62) }, body, NOW).ok, false);
    });

    it('uses x-signature-256 when no header is configured', () => {
      assert.ok(verifyRequest({ mode: 'hmac-sha256', secret: 's3cret' }, { 'x-signature-256': hex }, body, NOW).ok);
    });
  });

  describe('shared-secret', () => {
    const cfg: AuthConfig = { mode: 'shared-secret', secret: 'token-123', headerName: 'Authorization' };
    it('accepts the exact secret in the configured header and refuses anything else', () => {
      assert.ok(verifyRequest(cfg, { authorization: 'token-123' }, body, NOW).ok);
      assert.strictEqual(verifyRequest(cfg, { authorization: 'token-12' }, body, NOW).ok, false);
      assert.strictEqual(verifyRequest(cfg, { authorization: 'token-1234' }, body, NOW).ok, false);
      assert.deepStrictEqual(verifyRequest(cfg, {}, body, NOW), { ok: false, reason: 'header_missing' });
    });
  });

  it('none accepts anything', () => {
    assert.ok(verifyRequest({ mode: 'none' }, {}, body, NOW).ok);
  });
});
