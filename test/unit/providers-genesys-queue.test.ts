/** Genesys Cloud queue-based flow (sender mode `queue`) over HTTP against the sandbox and a scripted server. */
import { GenesysCloudProvider } from '../../src/providers/genesys-cloud';
import { createProvider, capabilitiesOf } from '../../src/providers/factory';
import { SandboxServer } from '../../src/sandbox/server';
import { RecordingServer } from '../helpers/recording-server';
import { failure, providerDeps } from '../helpers/provider-fixtures';
import { sandboxRefreshToken } from '../helpers/sandbox-sign-in';
import { UserTokens } from '../../src/auth/user-tokens';
import { MemoryTokenStore } from '../../src/auth/token-vault';
import { systemClock } from '../../src/util/clock';

const CREDS = { clientId: 'client-1', clientSecret: 's3cret-value' };
const deps = providerDeps();
const QUEUE = 'a1b23c4d-ab12-1abc-1234-1a23b4c56789';
const MSG = { to: '+12025550123', text: 'Hello from the queue', mode: 'queue' as const, queueId: QUEUE };

describe('Genesys Cloud queue-based flow', function () {
  let server: SandboxServer;
  let url: string;
  let p: GenesysCloudProvider;
  before(async () => {
    server = new SandboxServer({ credentials: CREDS });
    url = await server.start();
  });
  after(() => server.stop());
  // Queue mode acts for a signed-in user: a client-credentials token is refused (see the last tests).
  beforeEach(async () => {
    server.reset();
    const deployed = await sandboxRefreshToken(url, CREDS);
    const userTokens = new UserTokens({ refresh: (rt) => p.oauth.refresh(rt), store: new MemoryTokenStore(), deployed, clock: systemClock, provider: 'genesys-cloud' });
    p = new GenesysCloudProvider({ provider: 'genesys-cloud', region: '', apiBaseUrl: url, authBaseUrl: url, grant: 'authorization-code' }, CREDS, { ...deps, userTokens });
  });
  afterEach(() => p.close());

  it("a client-credentials token on the queue routes gets the platform's user-context 400: grant_mismatch, nothing sent", async function () {
    const cc = new GenesysCloudProvider({ provider: 'genesys-cloud', region: '', apiBaseUrl: url, authBaseUrl: url }, CREDS, deps);
    try {
      const e = await failure(cc.send({ ...MSG, useExistingConversation: false }));
      e.code.should.equal('grant_mismatch');
      e.httpStatus!.should.equal(400);
      e.message.should.match(/requires a user context/);
      e.retryable.should.be.false();
      server.queueConversations.size.should.equal(0);
      server.state.messages.should.be.empty();
    } finally {
      await cc.close();
    }
  });

  it('a user token on the agentless route is refused the same way: grant_mismatch, nothing sent', async function () {
    const e = await failure(p.send({ to: '+12025550123', from: '+12025550100', text: 'agentless as a user' }));
    e.code.should.equal('grant_mismatch');
    server.state.messages.should.be.empty();
  });
  const api = () => server.requests.filter((r) => r.path.startsWith('/api/'));

  it('creates the conversation on the queue, finds the customer communication, sends the text on it', async function () {
    const r = await p.send({ ...MSG, useExistingConversation: false });
    api()
      .map((q) => `${q.method} ${q.path.replace(/[0-9a-f-]{36}/g, ':id')}`)
      .should.eql(['POST /api/v2/conversations/messages', 'GET /api/v2/conversations/messages/:id', 'POST /api/v2/conversations/messages/:id/communications/:id/messages']);
    const conv = [...server.queueConversations.values()][0];
    r.conversationId!.should.equal(conv.id);
    r.communicationId!.should.equal(conv.communicationId);
    const m = server.state.messages[0];
    r.id.should.equal(m.id);
    m.conversationId.should.equal(conv.id);
    m.textBody!.should.equal('Hello from the queue');
    conv.queueId.should.equal(QUEUE);
    r.should.containDeep({ status: 'queued', providerStatus: 'queued' });
    // The status of a queue-mode message is readable like an agentless one.
    (await p.getStatus(r.id)).id.should.equal(r.id);
  });

  it("calls the send's leaving as each of its requests is written, the first before the platform has any", async function () {
    const seen: number[] = [];
    await p.send({ ...MSG, useExistingConversation: false }, { leaving: () => seen.push(api().length) });
    // Create, find the communication, send: the dispatcher counts the first as the departure.
    seen.should.eql([0, 1, 2]);
  });

  it('answers conversation_active for an active conversation (rule ...97) unless useExistingConversation', async function () {
    const e = await failure(p.send({ ...MSG, to: '+12025550197' }));
    e.code.should.equal('conversation_active');
    e.retryable.should.be.false();
    e.httpStatus!.should.equal(400);
    server.state.messages.should.be.empty();
    const r = await p.send({ ...MSG, to: '+12025550197', useExistingConversation: true });
    r.conversationId!.should.be.a.String();
  });

  it('refuses a second conversation to the same number unless useExistingConversation, then reuses it', async function () {
    const first = await p.send(MSG);
    (await failure(p.send(MSG))).code.should.equal('conversation_active');
    const again = await p.send({ ...MSG, useExistingConversation: true });
    again.conversationId!.should.equal(first.conversationId!);
    again.id.should.not.equal(first.id);
  });

  it('continues on the created conversation when the text step failed (no duplicate conversation on retry)', async function () {
    server.control({ faults: [{ status: 503, count: 1, path: '/communications/' }] });
    const e = await failure(p.send(MSG));
    e.code.should.equal('provider_unavailable');
    e.retryable.should.be.true();
    const r = await p.send(MSG);
    server.queueConversations.size.should.equal(1);
    r.conversationId!.should.equal([...server.queueConversations.keys()][0]);
    api()
      .filter((q) => q.method === 'POST' && q.path === '/api/v2/conversations/messages')
      .should.have.length(1);
  });

  it('maps 429 on the create step to rate_limited', async function () {
    server.control({ faults: [{ status: 429, count: 1, retryAfter: 4, path: '^/api/v2/conversations/messages$' }] });
    const e = await failure(p.send(MSG));
    e.code.should.equal('rate_limited');
    e.retryAfterMs!.should.equal(4000);
  });

  it('needs a queue id and a text, before any request', async function () {
    (await failure(p.send({ ...MSG, queueId: undefined }))).code.should.equal('config_missing');
    (await failure(p.send({ ...MSG, text: undefined }))).code.should.equal('empty_text');
    api().should.be.empty();
  });

  it('the sandbox validates the text on the communication like the platform (765 characters)', async function () {
    const e = await failure(p.send({ ...MSG, text: 'x'.repeat(766) }));
    e.code.should.equal('provider_rejected');
    e.message.should.match(/765/);
  });

  describe('request shape', function () {
    let rec: RecordingServer;
    before(async () => {
      rec = new RecordingServer();
      await rec.start();
    });
    after(() => rec.stop());

    it('sends the documented bodies and waits for the customer peer to appear', async function () {
      let gets = 0;
      rec.answer = (q) => {
        if (q.path === '/oauth/token') return { status: 200, body: { access_token: 'tok', expires_in: 3600 } };
        if (q.method === 'POST' && q.path === '/api/v2/conversations/messages') return { status: 200, body: { id: 'conv-1', selfUri: '/x', extra: true } };
        if (q.method === 'GET') {
          gets++;
          const participants =
            gets === 1
              ? [{ purpose: 'agent' }]
              : [
                  { purpose: 'agent', messages: [] },
                  { purpose: 'customer', peer: 'comm-9' },
                ];
          return { status: 200, body: { id: 'conv-1', participants } };
        }
        return { status: 202, body: { id: 'msg-5', status: 'sent', unknown: 1 } };
      };
      const g = new GenesysCloudProvider({ provider: 'genesys-cloud', region: '', apiBaseUrl: rec.url, authBaseUrl: rec.url }, CREDS, deps);
      const r = await g.send({ ...MSG, useExistingConversation: true, externalContactId: 'ext-1' });
      await g.close();
      r.should.containDeep({ id: 'msg-5', conversationId: 'conv-1', communicationId: 'comm-9', status: 'sent', providerStatus: 'sent' });
      const posts = rec.requests.filter((q) => q.method === 'POST' && q.path.startsWith('/api/'));
      JSON.parse(posts[0].body).should.eql({ queueId: QUEUE, toAddress: '+12025550123', toAddressMessengerType: 'sms', useExistingConversation: true, externalContactId: 'ext-1' });
      posts[1].path.should.equal('/api/v2/conversations/messages/conv-1/communications/comm-9/messages');
      JSON.parse(posts[1].body).should.eql({ textBody: 'Hello from the queue' });
      posts[1].headers.authorization!.should.equal('Bearer tok');
      gets.should.equal(2);
    });
  });
});

describe('provider factory', function () {
  it('creates every platform and knows its capabilities before creating it', async function () {
    const settings = { region: '', apiBaseUrl: 'http://127.0.0.1:9' };
    for (const name of ['genesys-cloud', 'ccai-platform', 'avaamo'] as const) {
      const h = await createProvider({ ...settings, provider: name }, {}, deps);
      h.provider.name.should.equal(name);
      h.provider.capabilities.should.eql(capabilitiesOf(name));
      await h.provider.close();
    }
    capabilitiesOf('ccai-platform').defaultRequestsPerMinute.should.equal(600);
    capabilitiesOf('avaamo').textRequired.should.be.false();
  });

  it('refuses a CCAI account without its tenant URL', async function () {
    const e = await failure(createProvider({ provider: 'ccai-platform', region: '' }, {}, deps));
    e.code.should.equal('config_missing');
  });
});
