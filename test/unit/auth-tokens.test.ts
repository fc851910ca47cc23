/** The signed-in user's token machinery without a runtime: vault encryption, chains, refresh rules, sign-in states. */
import fs from 'fs';
import os from 'os';
import path from 'path';
import should from 'should';
import { FileTokenStore, MemoryTokenStore, TokenCipher, tokenVaultFile, type TokenRecord, type TokenStore } from '../../src/auth/token-vault';
import { UserTokens } from '../../src/auth/user-tokens';
import { SignInSessions } from '../../src/auth/sign-in-sessions';
import { checkRedirectUri, credentialSecretOf, isUsableRefreshToken } from '../../src/auth/sign-in';
import { grantMismatch } from '../../src/auth/grant-rules';
import { signInRequired, type GrantAnswer } from '../../src/providers/genesys-oauth';
import { SmsError } from '../../src/util/errors';

const clock = { now: () => Date.now(), setTimer: (fn: () => void, ms: number) => setTimeout(fn, ms) } as never;

/** A login service that rotates: each refresh token works once. */
function rotatingLogin() {
  const valid = new Set(['R0']);
  let n = 0;
  const calls: string[] = [];
  const refresh = async (rt: string): Promise<GrantAnswer> => {
    calls.push(rt);
    await new Promise((r) => setTimeout(r, 5));
    if (!valid.delete(rt)) throw signInRequired('refused', 'genesys-cloud', 400, 'invalid_grant');
    const next = `R${++n}`;
    valid.add(next);
    return { accessToken: `A${n}`, expiresIn: 3600, refreshToken: next };
  };
  return { refresh, calls, valid };
}

describe('auth: token vault', function () {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agentless-vault-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
  const rec: TokenRecord = { refreshToken: 'refresh-secret-1', chain: ['x'], updatedAt: 1, user: { id: 'u', name: 'Sam' } };

  it('writes an encrypted, private file and reads it back; garbled, foreign-account or foreign-secret files read as nothing', async function () {
    const file = tokenVaultFile(dir, 'acct.1');
    const store = new FileTokenStore(file, new TokenCipher('secret-a', 'acct.1'));
    await store.write({ ...rec, accessToken: 'access-secret', accessExpiresAt: 5 });
    const text = fs.readFileSync(file, 'utf8');
    text.includes('refresh-secret-1').should.be.false();
    text.includes('access-secret').should.be.false();
    (fs.statSync(file).mode & 0o077).should.equal(0);
    const back = (await store.read())!;
    back.refreshToken.should.equal('refresh-secret-1');
    (back.accessToken === undefined).should.be.true('access tokens are not written to disk');
    ((await new FileTokenStore(file, new TokenCipher('secret-a', 'acct.2')).read()) === null).should.be.true();
    ((await new FileTokenStore(file, new TokenCipher('secret-b', 'acct.1')).read()) === null).should.be.true();
    fs.writeFileSync(file, text.slice(0, text.length - 10) + 'AAAAAAAA"}');
    ((await store.read()) === null).should.be.true();
    fs.writeFileSync(file, 'not json');
    ((await store.read()) === null).should.be.true();
  });

  it('makes missing directories private; a failed write rejects and leaves no sealed copy beside the vault', async function () {
    const file = path.join(dir, 'a', 'b', 'auth.vault');
    const store = new FileTokenStore(file, new TokenCipher('secret-a', 'acct.1'));
    await store.write(rec);
    for (const d of [path.join(dir, 'a'), path.join(dir, 'a', 'b')]) (fs.statSync(d).mode & 0o777).should.equal(0o700);
    // The vault's place taken by a directory with something in it: the temporary file is written, the rename fails.
    fs.rmSync(file);
    fs.mkdirSync(path.join(file, 'x'), { recursive: true });
    const err = await store.write({ ...rec, refreshToken: 'refresh-secret-2' }).then(
      () => null,
      (e: NodeJS.ErrnoException) => e,
    );
    should(err).not.be.null();
    fs.readdirSync(path.dirname(file)).should.eql(['auth.vault']);
  });

  it("finds Node-RED's key: credentialSecret, else the generated one, none when encryption is off", function () {
    credentialSecretOf({ get: (k) => ({ credentialSecret: 'user-key' })[k] })!.should.equal('user-key');
    credentialSecretOf({ get: (k) => ({ _credentialSecret: 'system-key' })[k] })!.should.equal('system-key');
    (credentialSecretOf({ get: (k) => ({ credentialSecret: false, _credentialSecret: 'x' })[k] }) === null).should.be.true();
  });
});

describe('auth: user tokens', function () {
  function tokens(store: TokenStore, deployed: string | undefined, refresh: (rt: string) => Promise<GrantAnswer>, rotated: string[] = []) {
    return new UserTokens({ refresh, store, deployed, clock, provider: 'genesys-cloud', onRotate: (t) => rotated.push(t) });
  }

  it('single flight: 20 concurrent callers share one refresh; the rotated token is stored before use', async function () {
    const login = rotatingLogin();
    const store = new MemoryTokenStore();
    const rotated: string[] = [];
    const t = tokens(store, 'R0', login.refresh, rotated);
    const got = await Promise.all(Array.from({ length: 20 }, () => t.get()));
    new Set(got).size.should.equal(1);
    login.calls.should.eql(['R0']);
    (await store.read())!.refreshToken.should.equal('R1');
    rotated.should.eql(['R1']);
  });

  it('after a 401 refreshes once with the rotated token; a later run on the same store continues the chain', async function () {
    const login = rotatingLogin();
    const store = new MemoryTokenStore();
    const t = tokens(store, 'R0', login.refresh);
    const a = await t.get();
    t.invalidate(a);
    await t.get();
    login.calls.should.eql(['R0', 'R1']);
    // A restart with the originally deployed credential: the stored chain knows it, so R2 is used.
    const again = tokens(store, 'R0', login.refresh);
    again.clear();
    await again.get();
    login.calls.should.eql(['R0', 'R1', 'R2']);
  });

  it('a credential the chain does not know (pasted) wins over the stored chain', async function () {
    const login = rotatingLogin();
    const store = new MemoryTokenStore();
    await tokens(store, 'R0', login.refresh).get();
    login.valid.add('PASTED');
    await tokens(store, 'PASTED', login.refresh).get();
    login.calls.should.eql(['R0', 'PASTED']);
  });

  it('a refused token: auth_failed sign-in-required, never sent again; signIn recovers', async function () {
    const login = rotatingLogin();
    const t = tokens(new MemoryTokenStore(), 'DEAD', login.refresh);
    const e1 = await t.get().catch((e) => e);
    e1.should.be.instanceOf(SmsError);
    e1.code.should.equal('auth_failed');
    e1.details.reason.should.equal('sign-in-required');
    t.state.should.equal('refused');
    await t.get().catch(() => undefined);
    login.calls.should.eql(['DEAD']);
    await t.signIn('R0', { id: 'u', name: 'Sam' });
    t.state.should.equal('signed-in');
    (await t.get()).should.equal('A1');
    t.user!.name.should.equal('Sam');
  });

  it('never adopts a shared access token that was just refused with a 401', async function () {
    const login = rotatingLogin();
    const shared = new MemoryTokenStore();
    // A shared store (Redis) carries the access token; pretend another instance wrote one that is now revoked.
    Object.defineProperty(shared, 'shared', { value: true });
    const t = tokens(shared, 'R0', login.refresh);
    const first = await t.get();
    t.invalidate(first);
    (await t.get()).should.not.equal(first);
    login.calls.should.eql(['R0', 'R1']);
  });

  it('no refresh token at all: sign-in-required without a request', async function () {
    const login = rotatingLogin();
    const e = await tokens(new MemoryTokenStore(), undefined, login.refresh)
      .get()
      .catch((x) => x);
    e.details.reason.should.equal('sign-in-required');
    login.calls.should.be.empty();
  });
});

describe('auth: sign-in sessions and inputs', function () {
  it('a state is single use, expires, and belongs to the browser that started it', function () {
    let now = 1000;
    const s = new SignInSessions({ now: () => now } as never, 60_000);
    const req = {
      accountId: 'a',
      user: 'admin',
      provider: 'genesys-cloud' as const,
      authBase: 'http://x',
      apiBase: 'http://x',
      clientId: 'c',
      clientSecret: 's',
      redirectUri: 'http://e/agentless-sms/oauth/callback',
    };
    const a = s.start(req);
    s.take(a.state, 'wrong').should.eql({ ok: false, reason: 'browser' });
    s.take(a.state, a.binder).should.eql({ ok: false, reason: 'unknown' });
    const b = s.start(req);
    const ok = s.take(b.state, b.binder);
    ok.ok.should.be.true();
    s.take(b.state, b.binder).ok.should.be.false();
    const c = s.start(req);
    now += 60_001;
    s.take(c.state, c.binder).should.eql({ ok: false, reason: 'expired' });
    s.take('x'.repeat(500), 'y').should.eql({ ok: false, reason: 'unknown' });
  });

  it("accepts only this package's callback as redirect URI, and only plausible refresh tokens", function () {
    for (const good of ['http://127.0.0.1:1880/agentless-sms/oauth/callback', 'https://h/admin/agentless-sms/oauth/callback']) should(checkRedirectUri(good)).equal(good);
    // The URI the platform is given is the parsed one, not the text as sent.
    should(checkRedirectUri('HTTPS://H:443/agentless-sms/oauth/callback')).equal('https://h/agentless-sms/oauth/callback');
    for (const bad of ['https://evil/steal', 'javascript:x//agentless-sms/oauth/callback', 'http://h/agentless-sms/oauth/callback?x=1', 'http://u:p@h/agentless-sms/oauth/callback', 42, '']) {
      (checkRedirectUri(bad) === null).should.be.true(String(bad));
    }
    isUsableRefreshToken('abcdefgh-123').should.be.true();
    for (const bad of ['', '   ', 'short', 'has space inside', 'ctrl\u0007char!', 'x'.repeat(5000), undefined]) isUsableRefreshToken(bad).should.be.false();
  });

  it('knows which sender mode needs which grant', function () {
    grantMismatch('genesys-cloud', 'client-credentials', 'queue')!.code.should.equal('grant_mismatch');
    grantMismatch('sandbox', undefined, 'queue')!.code.should.equal('grant_mismatch');
    grantMismatch('genesys-cloud', 'authorization-code', 'agentless')!.code.should.equal('grant_mismatch');
    (grantMismatch('genesys-cloud', 'authorization-code', 'queue') === null).should.be.true();
    (grantMismatch('genesys-cloud', undefined, 'agentless') === null).should.be.true();
    (grantMismatch('ccai-platform', 'authorization-code', 'agentless') === null).should.be.true();
  });
});
