/**
 * Posts each status change of a message to a callback URL as a Standard Webhooks event
 * (headers webhook-id / webhook-timestamp / webhook-signature: v1,<base64 HMAC-SHA256 of id.ts.body>,
 * keyed by the base64 part of a `whsec_` secret). This is the platform side; it shares no code with the
 * package's receiver, so a bug in one cannot hide behind the same bug in the other.
 */
import { createHmac, randomUUID } from 'crypto';
import http from 'http';
import https from 'https';
import type { SandboxMessage } from './state';

export interface WebhookTarget {
  url: string;
  secret: string;
}

export function signStandardWebhook(secret: string, id: string, timestamp: number, body: string): string {
  const key = Buffer.from(secret.startsWith('whsec_') ? secret.slice(6) : secret, 'base64');
  return 'v1,' + createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64');
}

export function statusEvent(m: SandboxMessage): { id: string; body: string } {
  const id = 'evt_' + randomUUID();
  const body = JSON.stringify({
    type: 'message.status',
    id,
    data: {
      id: m.id,
      conversationId: m.conversationId,
      to: m.toAddress,
      from: m.fromAddress,
      status: m.status,
      ...(m.normalizedReceipts ? { normalizedReceipts: m.normalizedReceipts } : {}),
      timestamp: m.timestamp,
    },
  });
  return { id, body };
}

/** A reply from the recipient, as the sandbox reports it: `{type: "message.inbound", id, data: {id, from, to, text, conversationId, timestamp}}`. */
export function inboundEvent(m: SandboxMessage): { id: string; body: string } {
  const id = 'evt_' + randomUUID();
  const body = JSON.stringify({
    type: 'message.inbound',
    id,
    data: { id: m.id, conversationId: m.conversationId, from: m.fromAddress, to: m.toAddress, text: m.textBody ?? '', timestamp: m.timestamp },
  });
  return { id, body };
}

/** Fire and forget with a short timeout: a slow receiver must not slow the sandbox. */
export function postEvent(target: WebhookTarget, m: SandboxMessage, onResult?: (status: number | string) => void): void {
  postSigned(target, m.direction === 'inbound' ? inboundEvent(m) : statusEvent(m), onResult);
}

function postSigned(target: WebhookTarget, event: { id: string; body: string }, onResult?: (status: number | string) => void): void {
  const { id, body } = event;
  const ts = Math.floor(Date.now() / 1000);
  const url = new URL(target.url);
  const lib = url.protocol === 'https:' ? https : http;
  const req = lib.request(
    url,
    {
      method: 'POST',
      timeout: 5000,
      headers: {
        'Content-Type': 'application/json',
        'Content-Length': Buffer.byteLength(body),
        'webhook-id': id,
        'webhook-timestamp': String(ts),
        'webhook-signature': signStandardWebhook(target.secret, id, ts, body),
      },
    },
    (res) => {
      res.resume();
      onResult?.(res.statusCode ?? 0);
    },
  );
  req.on('timeout', () => req.destroy(new Error('timeout')));
  req.on('error', (e) => onResult?.(e.message));
  req.end(body);
}
