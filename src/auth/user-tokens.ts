/**
 * Access tokens of a signed-in Genesys Cloud user (Authorization Code grant), renewed with the refresh
 * token:
 * - before they expire (`renewBeforeMs`), and once more after a 401 (`invalidate` drops exactly the
 *   refused token, so a late 401 cannot throw away a fresh one);
 * - single flight: concurrent callers share one refresh; the store's `exclusive` also serializes
 *   refreshes across instances when the store is shared (Redis), and an instance that waited adopts the
 *   access token the other one obtained instead of refreshing again;
 * - a refresh token the platform rotates is written to the store (durably) and handed to `onRotate`
 *   (the runtime's credential store) before the new access token is used;
 * - a refused refresh (revoked, expired, rotated away) puts the account in `refused`: every caller gets
 *   auth_failed (reason sign-in-required) without another request, until `signIn` brings a new token.
 * Tokens never leave this object except as the value for an Authorization header.
 */
import type { Clock } from '../util/clock';
import type { ProviderName } from '../providers/types';
import { signInRequired, type GrantAnswer } from '../providers/genesys-oauth';
import { extendChain, type SignedInUser, type TokenRecord, type TokenStore } from './token-vault';

export interface AccessTokenSource {
  get(): Promise<string>;
  invalidate(token: string): void;
  clear(): void;
}

export type SignInState = 'signed-in' | 'signed-out' | 'refused';

export interface UserTokensOptions {
  refresh: (refreshToken: string) => Promise<GrantAnswer>;
  store: TokenStore;
  /** The refresh token deployed with the account (Node-RED credential), if any. */
  deployed?: string;
  clock: Clock;
  provider: ProviderName;
  renewBeforeMs?: number;
  /** A new refresh token is in force (rotation or sign-in): keep it in the runtime's credentials. */
  onRotate?: (refreshToken: string) => void;
  /** The sign-in state changed (node status). */
  onState?: (state: SignInState) => void;
}

export class UserTokens implements AccessTokenSource {
  private access: { token: string; expiresAt: number } | null = null;
  private inflight: Promise<string> | null = null;
  /** The access token last refused with a 401: never adopted again from a shared record. */
  private rejectedAccess: string | null = null;
  /** The refresh token the platform refused; it is never sent again. */
  private refused: string | null = null;
  private known: SignInState = 'signed-out';
  private lastUser: SignedInUser | undefined;
  private deployed: string | undefined;
  private readonly renewBeforeMs: number;
  private refreshes = 0;

  constructor(private readonly opts: UserTokensOptions) {
    this.deployed = opts.deployed || undefined;
    this.renewBeforeMs = opts.renewBeforeMs ?? 60_000;
    if (this.deployed) this.known = 'signed-in';
  }

  /** Refresh requests made by this instance (tests, status). */
  get refreshCount(): number {
    return this.refreshes;
  }

  get state(): SignInState {
    return this.known;
  }

  get user(): SignedInUser | undefined {
    return this.lastUser;
  }

  /** Read the store once at start: the user's name for the dialog, and whether anyone is signed in. */
  async load(): Promise<void> {
    const rec = await this.current();
    if (rec?.user) this.lastUser = rec.user;
    if (this.known !== 'refused') this.setState(rec || this.deployed ? 'signed-in' : 'signed-out');
  }

  async get(): Promise<string> {
    if (this.access && this.opts.clock.now() < this.access.expiresAt) return this.access.token;
    if (!this.inflight) {
      const stale = this.access?.token;
      this.inflight = this.opts.store
        .exclusive(() => this.renew(stale))
        .finally(() => {
          this.inflight = null;
        });
    }
    return this.inflight;
  }

  invalidate(token: string): void {
    this.rejectedAccess = token;
    if (this.access?.token === token) this.access = null;
  }

  clear(): void {
    this.access = null;
  }

  /**
   * A new sign-in (from the editor, or a pasted token): it replaces the chain, is durable when this
   * resolves, and recovers a refused account at once.
   */
  async signIn(refreshToken: string, user?: SignedInUser): Promise<void> {
    const store = this.opts.store;
    await store.exclusive(async () => {
      const prev = await this.current();
      // The old chain stays known: a credential deployed from it is superseded by this sign-in too.
      const chain = extendChain(prev?.chain ?? [], store.fingerprint(this.deployed ?? ''), store.fingerprint(refreshToken));
      await store.write({ refreshToken, chain, user, updatedAt: this.opts.clock.now() });
    });
    this.access = null;
    this.refused = null;
    if (user) this.lastUser = user;
    this.opts.onRotate?.(refreshToken);
    this.setState('signed-in');
  }

  /** The store's record when it belongs to the deployed credential's chain, else null. */
  private async current(): Promise<TokenRecord | null> {
    const rec = await this.opts.store.read();
    if (!rec) return null;
    const fp = this.opts.store.fingerprint(this.deployed ?? '');
    return rec.chain.includes(fp) ? rec : null;
  }

  private async renew(stale: string | undefined): Promise<string> {
    const now = this.opts.clock.now();
    const rec = await this.current();
    // Another instance (shared store) refreshed while this one waited: use its token.
    if (rec?.accessToken && rec.accessExpiresAt && rec.accessExpiresAt > now && rec.accessToken !== stale && rec.accessToken !== this.rejectedAccess) {
      this.access = { token: rec.accessToken, expiresAt: rec.accessExpiresAt };
      if (rec.user) this.lastUser = rec.user;
      this.refused = null;
      this.setState('signed-in');
      return rec.accessToken;
    }
    const refreshToken = rec?.refreshToken ?? this.deployed;
    if (!refreshToken) {
      this.setState('signed-out');
      throw signInRequired('the account has no signed-in Genesys Cloud user: sign in from the account dialog (or paste a refresh token)', this.opts.provider);
    }
    if (refreshToken === this.refused) {
      this.setState('refused');
      throw signInRequired('Genesys Cloud refused the refresh token: sign in again in the account', this.opts.provider);
    }
    this.refreshes++;
    let grant: GrantAnswer;
    try {
      grant = await this.opts.refresh(refreshToken);
    } catch (err) {
      if ((err as { details?: { reason?: string } }).details?.reason === 'sign-in-required') {
        this.refused = refreshToken;
        this.access = null;
        this.setState('refused');
      }
      throw err;
    }
    const lifetimeMs = Math.max(0, grant.expiresIn * 1000);
    const expiresAt = this.opts.clock.now() + lifetimeMs - Math.min(this.renewBeforeMs, lifetimeMs / 2);
    const next = grant.refreshToken ?? refreshToken;
    const store = this.opts.store;
    const rotated = next !== refreshToken;
    if (rotated || store.shared || !rec) {
      // Durable before the new access token is used: a crash now keeps the token that works.
      const chain = extendChain(rec?.chain ?? [], store.fingerprint(this.deployed ?? ''), store.fingerprint(refreshToken), store.fingerprint(next));
      const record: TokenRecord = { refreshToken: next, chain, user: rec?.user ?? this.lastUser, updatedAt: this.opts.clock.now() };
      if (store.shared) {
        record.accessToken = grant.accessToken;
        record.accessExpiresAt = expiresAt;
      }
      await store.write(record);
      if (rotated) this.opts.onRotate?.(next);
    }
    this.access = { token: grant.accessToken, expiresAt };
    this.refused = null;
    this.setState('signed-in');
    return grant.accessToken;
  }

  private setState(s: SignInState): void {
    if (s === this.known) return;
    this.known = s;
    this.opts.onState?.(s);
  }
}
