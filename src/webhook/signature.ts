/**
 * Authenticating a webhook request over its raw bytes, before anything is parsed.
 *
 * Every comparison goes through timingSafeEqual on equal-length buffers (shared secrets are hashed
 * first so their length does not leak either), so response time says nothing about how close a forged
 * signature was.
 */
import { createHash, createHmac, timingSafeEqual } from 'crypto';
import type { IncomingHttpHeaders } from 'http';

export const AUTH_MODES = ['standard-webhooks', 'hmac-sha256', 'shared-secret', 'none'] as const;
export type AuthMode = (typeof AUTH_MODES)[number];

export interface AuthConfig {
  mode: AuthMode;
  secret?: string;
  /** Header carrying the hex HMAC (hmac-sha256) or the secret itself (shared-secret). */
  headerName?: string;
  /** Standard Webhooks: accepted distance between webhook-timestamp and now, in seconds. */
  toleranceSec?: number;
}

export type AuthFailure = 'secret_missing' | 'header_missing' | 'weak_secret' | 'bad_timestamp' | 'timestamp_out_of_tolerance' | 'bad_signature';

export type AuthResult = { ok: true } | { ok: false; reason: AuthFailure };

export const DEFAULT_HMAC_HEADER = 'x-signature-256';
export const DEFAULT_SHARED_SECRET_HEADER = 'x-webhook-secret';
export const DEFAULT_TOLERANCE_SEC = 300;

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

function sameBytes(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Shortest Standard Webhooks key accepted, in decoded bytes. `whsec_` alone decodes to an empty key,
 * which anyone can sign with; the specification's keys are 24 to 64 bytes.
 */
export const MIN_STANDARD_WEBHOOKS_KEY_BYTES = 16;

/** Whether a Standard Webhooks secret decodes to a usable key (at least 16 bytes). */
export function standardWebhooksKeyOk(secret: string | undefined): boolean {
  return !!secret && standardWebhooksKey(secret).length >= MIN_STANDARD_WEBHOOKS_KEY_BYTES;
}

/** The Standard Webhooks key: the base64 after an optional `whsec_` prefix. */
export function standardWebhooksKey(secret: string): Buffer {
  return Buffer.from(secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret, 'base64');
}

/** `v1,<base64>` for the given message; exported so tests and the sandbox side can sign. */
export function signStandardWebhook(secret: string, id: string, timestampSec: number, body: Buffer | string): string {
  const mac = createHmac('sha256', standardWebhooksKey(secret)).update(`${id}.${timestampSec}.`).update(body).digest('base64');
  return `v1,${mac}`;
}

export function hmacSha256Hex(secret: string, body: Buffer | string): string {
  return createHmac('sha256', secret).update(body).digest('hex');
}

export function verifyRequest(cfg: AuthConfig, headers: IncomingHttpHeaders, raw: Buffer, nowMs: number): AuthResult {
  if (cfg.mode === 'none') return { ok: true };
  if (!cfg.secret) return { ok: false, reason: 'secret_missing' };
  switch (cfg.mode) {
    case 'standard-webhooks': {
      // Decoded once per request: the same key is checked for length and then signs.
      const key = standardWebhooksKey(cfg.secret);
      if (key.length < MIN_STANDARD_WEBHOOKS_KEY_BYTES) return { ok: false, reason: 'weak_secret' };
      return verifyStandardWebhooks(key, headers, raw, nowMs, cfg.toleranceSec ?? DEFAULT_TOLERANCE_SEC);
    }
    case 'hmac-sha256':
      return verifyHmacHex(cfg.secret, header(headers, cfg.headerName || DEFAULT_HMAC_HEADER), raw);
    case 'shared-secret':
      return verifySharedSecret(cfg.secret, header(headers, cfg.headerName || DEFAULT_SHARED_SECRET_HEADER));
    default:
      return { ok: false, reason: 'bad_signature' };
  }
}

function verifyStandardWebhooks(key: Buffer, headers: IncomingHttpHeaders, raw: Buffer, nowMs: number, toleranceSec: number): AuthResult {
  const id = header(headers, 'webhook-id');
  const ts = header(headers, 'webhook-timestamp');
  const sigs = header(headers, 'webhook-signature');
  if (!id || !ts || !sigs) return { ok: false, reason: 'header_missing' };
  if (!/^\d{1,12}$/.test(ts.trim())) return { ok: false, reason: 'bad_timestamp' };
  const tsSec = Number(ts.trim());
  if (Math.abs(nowMs / 1000 - tsSec) > toleranceSec) return { ok: false, reason: 'timestamp_out_of_tolerance' };
  const expected = createHmac('sha256', key).update(`${id}.${ts.trim()}.`).update(raw).digest();
  // Several space-separated signatures let the sender rotate keys; any one valid v1 entry is enough.
  let valid = false;
  for (const entry of sigs.split(' ')) {
    const comma = entry.indexOf(',');
    if (comma < 0 || entry.slice(0, comma) !== 'v1') continue;
    const given = Buffer.from(entry.slice(comma + 1), 'base64');
    if (sameBytes(given, expected)) valid = true;
  }
  return valid ? { ok: true } : { ok: false, reason: 'bad_signature' };
}

function verifyHmacHex(secret: string, given: string | undefined, raw: Buffer): AuthResult {
  if (!given) return { ok: false, reason: 'header_missing' };
  let hex = given.trim();
  if (hex.toLowerCase().startsWith('sha256=')) hex = hex.slice('sha256='.length);
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) return { ok: false, reason: 'bad_signature' };
  const expected = createHmac('sha256', secret).update(raw).digest();
  return sameBytes(Buffer.from(hex, 'hex'), expected) ? { ok: true } : { ok: false, reason: 'bad_signature' };
}

function verifySharedSecret(secret: string, given: string | undefined): AuthResult {
  if (given === undefined || given === '') return { ok: false, reason: 'header_missing' };
  // Hash both sides so the comparison runs on equal lengths whatever was sent.
  const a = createHash('sha256').update(given.trim()).digest();
  const b = createHash('sha256').update(secret).digest();
  return timingSafeEqual(a, b) ? { ok: true } : { ok: false, reason: 'bad_signature' };
}
