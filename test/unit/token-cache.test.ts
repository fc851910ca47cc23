import should from 'should';
import { TokenCache, TokenGrant } from '../../src/auth/token-cache';
import { ManualClock } from '../../src/util/clock';

describe('auth/token-cache', function () {
  function setup(expiresIn = 3600) {
    const clock = new ManualClock();
    let n = 0;
    const pending: ((g: TokenGrant) => void)[] = [];
    const cache = new TokenCache(
      () =>
        new Promise<TokenGrant>((resolve) => {
          n++;
          pending.push(resolve);
        }),
      { clock },
    );
    const grant = () => pending.shift()!({ accessToken: `t${n}`, expiresIn });
    return { clock, cache, grant, calls: () => n };
  }

  it('makes one token request for many concurrent callers', async function () {
    const { cache, grant, calls } = setup();
    const all = Promise.all(Array.from({ length: 20 }, () => cache.get()));
    calls().should.equal(1);
    grant();
    (await all).should.eql(Array(20).fill('t1'));
    calls().should.equal(1);
  });

  it('reuses the token until shortly before it expires, then renews', async function () {
    const { cache, grant, calls, clock } = setup(3600);
    const first = cache.get();
    grant();
    await first;
    clock.advance(3600_000 - 61_000);
    (await cache.get()).should.equal('t1');
    calls().should.equal(1);
    clock.advance(2_000); // now inside the 60 s renewal margin
    const renewed = cache.get();
    calls().should.equal(2);
    grant();
    (await renewed).should.equal('t2');
  });

  it('renews short-lived tokens at half their lifetime, never after expiry', async function () {
    const { cache, grant, calls, clock } = setup(10);
    const p = cache.get();
    grant();
    await p;
    clock.advance(4_999);
    await cache.get();
    calls().should.equal(1);
    clock.advance(2);
    void cache.get();
    calls().should.equal(2);
  });

  it('drops only the refused token on invalidate (a stale 401 cannot evict a fresh token)', async function () {
    const { cache, grant, calls } = setup();
    const p = cache.get();
    grant();
    const t1 = await p;
    cache.invalidate(t1);
    const p2 = cache.get();
    calls().should.equal(2);
    grant();
    const t2 = await p2;
    t2.should.equal('t2');
    cache.invalidate(t1); // late 401 of a request made with the old token
    (await cache.get()).should.equal('t2');
    calls().should.equal(2);
  });

  it('lets the next caller try again after a failed login', async function () {
    const clock = new ManualClock();
    let n = 0;
    const cache = new TokenCache(
      async () => {
        n++;
        if (n === 1) throw new Error('login refused');
        return { accessToken: 'ok', expiresIn: 60 };
      },
      { clock },
    );
    await cache.get().then(
      () => should.fail('resolved', 'rejected'),
      (e: Error) => e.message.should.equal('login refused'),
    );
    (await cache.get()).should.equal('ok');
    cache.loginCount.should.equal(2);
  });
});
