/**
 * Every example flow in examples/ (whatever files are there) deploys on a real Node-RED with this
 * package loaded, runs its inject nodes, and leaves no error or warning in the runtime log. Static
 * rules the Flow Library and newcomers rely on are checked too.
 */
import assert from 'node:assert';
import { loadExamples, packageNodeTypes } from '../helpers/examples';
import { RedProcess, sleep } from '../helpers/red-process';

const examples = loadExamples();
const ours = packageNodeTypes();

describe('example flows', function () {
  this.timeout(120_000);

  it('there are examples, and every non-config node of the package is used in one', function () {
    assert.ok(examples.length > 0, 'no examples');
    const used = new Set(examples.flatMap((e) => e.nodes.map((n) => n.type)));
    const missing = ours.filter((t) => !t.config && !used.has(t.type)).map((t) => t.type);
    assert.deepEqual(missing, [], `not used in any example: ${missing.join(', ')}`);
  });

  for (const ex of examples) {
    describe(ex.name, function () {
      it('is self-contained: one tab, a comment saying what to configure, config nodes inside, no credentials', function () {
        const byId = new Map(ex.nodes.map((n) => [n.id, n]));
        assert.equal(byId.size, ex.nodes.length, 'duplicate ids');
        assert.equal(ex.nodes.filter((n) => n.type === 'tab').length, 1);
        assert.ok(ex.nodes.some((n) => n.type === 'comment' && /configure/i.test(n.name + ' ' + (n.info || ''))), 'a comment node saying what to configure');
        for (const n of ex.nodes) {
          assert.equal(n.credentials, undefined, `${n.id} carries credentials`);
          // Every reference to one of our config nodes must resolve inside the file.
          for (const key of ['account', 'sender']) {
            if (n[key] !== undefined && n.type.startsWith('agentless-')) assert.ok(byId.has(n[key]), `${n.id}.${key} -> ${n[key]} is not in the file`);
          }
          for (const out of n.wires || []) for (const target of out) assert.ok(byId.has(target), `${n.id} wired to missing ${target}`);
          // A name equal to a config node id makes Node-RED report a circular dependency.
          if (n.name) assert.ok(!byId.has(n.name), `${n.id} is named like a node id`);
        }
        // Every output port of our nodes goes somewhere: the examples show what each output is for.
        for (const n of ex.nodes.filter((x) => x.type.startsWith('agentless-') && x.wires)) {
          n.wires.forEach((w: string[], i: number) => assert.ok(w.length > 0, `${n.id} output ${i + 1} is not wired`));
        }
      });

      it('deploys on a real Node-RED and runs its injects without errors or warnings', async function () {
        const red = new RedProcess('agentless-example-');
        try {
          await red.start();
          const before = red.log.length;
          await red.deploy(ex.nodes);
          // Let config nodes start (the sandbox account starts its simulator), then fire every
          // one-shot inject the way the editor's button does.
          await sleep(500);
          for (const n of ex.nodes.filter((x) => x.type === 'inject')) {
            const r = await red.req('POST', `/inject/${n.id}`);
            assert.equal(r.status, 200, `inject ${n.id}: ${r.body}`);
          }
          await sleep(2500);
          const flows = JSON.parse((await red.req('GET', '/flows')).body);
          assert.equal(flows.length, ex.nodes.length);
          const log = red.log.slice(before);
          assert.deepEqual(log.match(/\[(error|warn)\].*/g) ?? [], [], log);
        } finally {
          await red.dispose();
        }
      });
    });
  }
});
