/**
 * The `state` of an editor sign-in (OAuth Authorization Code grant). A state is 32 random bytes, bound
 * to one account, the editor user who started it and a browser binder (an HttpOnly cookie set when it
 * was started, so a callback completed in another browser, e.g. a forged link, is refused); it is single
 * use (taken on the first callback, whatever happens next) and short-lived. What the exchange needs (the
 * login service, the client, the redirect URI) stays here on the server; nothing of it goes to a browser.
 */
import { createHash, randomBytes, timingSafeEqual } from 'crypto';
import type { Clock } from '../util/clock';

export interface SignInRequest {
  accountId: string;
  /** The editor user who started it ('' without adminAuth). */
  user: string;
  provider: 'genesys-cloud' | 'sandbox';
  authBase: string;
  apiBase: string;
  clientId: string;
  clientSecret: string;
  redirectUri: string;
}

export interface SignInSession extends SignInRequest {
  createdAt: number;
}

export type TakeResult = { ok: true; session: SignInSession } | { ok: false; reason: 'unknown' | 'expired' | 'browser' };

const hash = (s: string) => createHash('sha256').update(s).digest();

export class SignInSessions {
  private readonly sessions = new Map<string, SignInSession & { binder: Buffer }>();

  constructor(
    private readonly clock: Clock,
    readonly ttlMs = 10 * 60_000,
    private readonly max = 200,
  ) {}

  start(req: SignInRequest): { state: string; binder: string } {
    this.sweep();
    const state = randomBytes(32).toString('base64url');
    const binder = randomBytes(24).toString('base64url');
    this.sessions.set(state, { ...req, createdAt: this.clock.now(), binder: hash(binder) });
    // Bounded: an editor clicking Sign in a thousand times cannot grow this without limit.
    while (this.sessions.size > this.max) this.sessions.delete(this.sessions.keys().next().value as string);
    return { state, binder };
  }

  /** Single use: the state is gone after this call, whatever the result. */
  take(state: string, binder: string | undefined): TakeResult {
    const s = typeof state === 'string' && state.length <= 128 ? this.sessions.get(state) : undefined;
    if (!s) return { ok: false, reason: 'unknown' };
    this.sessions.delete(state);
    if (this.clock.now() - s.createdAt > this.ttlMs) return { ok: false, reason: 'expired' };
    if (!binder || !timingSafeEqual(hash(binder), s.binder)) return { ok: false, reason: 'browser' };
    const { binder: _b, ...session } = s;
    return { ok: true, session };
  }

  get size(): number {
    return this.sessions.size;
  }

  private sweep(): void {
    const now = this.clock.now();
    for (const [k, s] of this.sessions) if (now - s.createdAt > this.ttlMs) this.sessions.delete(k);
  }
}
