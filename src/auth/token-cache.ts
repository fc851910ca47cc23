/**
 * OAuth client-credentials token cache.
 *
 * - Single flight: concurrent callers share one token request, so a burst of sends makes one login.
 * - Early renewal: a token is renewed `renewBeforeMs` before `expires_in` runs out (Genesys issues no
 *   refresh tokens; a token that expires mid-request costs a 401 and a retry).
 * - `invalidate(token)` after a 401 drops exactly that token, so a stale 401 from an old request does not
 *   throw away a fresh token another request just obtained.
 * The token itself is never logged: callers only see it to put it in an Authorization header.
 */
import type { Clock } from '../util/clock';

export interface TokenGrant {
  accessToken: string;
  /** Lifetime in seconds as the server said (`expires_in`). */
  expiresIn: number;
}

export interface TokenCacheOptions {
  clock: Clock;
  /** Renew this long before expiry (default 60 s, at most half the lifetime). */
  renewBeforeMs?: number;
}

export class TokenCache {
  private token: string | null = null;
  private expiresAt = 0;
  private inflight: Promise<string> | null = null;
  private readonly renewBeforeMs: number;
  private logins = 0;

  constructor(
    private readonly fetchToken: () => Promise<TokenGrant>,
    private readonly opts: TokenCacheOptions,
  ) {
    this.renewBeforeMs = opts.renewBeforeMs ?? 60_000;
  }

  /** Number of token requests made (for status and tests). */
  get loginCount(): number {
    return this.logins;
  }

  async get(): Promise<string> {
    if (this.token && this.opts.clock.now() < this.expiresAt) return this.token;
    if (!this.inflight) {
      this.logins++;
      this.inflight = this.fetchToken()
        .then((grant) => {
          const lifetimeMs = Math.max(0, grant.expiresIn * 1000);
          const margin = Math.min(this.renewBeforeMs, lifetimeMs / 2);
          this.token = grant.accessToken;
          this.expiresAt = this.opts.clock.now() + lifetimeMs - margin;
          return grant.accessToken;
        })
        .finally(() => {
          this.inflight = null;
        });
    }
    return this.inflight;
  }

  /** Forget `token` (it was refused with a 401); the next `get` logs in again. */
  invalidate(token: string): void {
    if (this.token === token) {
      this.token = null;
      this.expiresAt = 0;
    }
  }

  clear(): void {
    this.token = null;
    this.expiresAt = 0;
  }
}
