/**
 * The message catalogs and help are complete in every shipped language: each en-US catalog has a de
 * twin with exactly the same keys and the same __placeholders__ per key, each en-US help page has a de
 * page for the same node, every key the editor files name literally exists, every node's help has the
 * Node-RED sections, and every public error code is explained in some help page.
 */
import assert from 'node:assert';
import fs from 'fs';
import path from 'path';
import { ERROR_CODES } from '../../src/util/errors';

const root = path.resolve(__dirname, '..', '..');
const locales = path.join(root, 'src', 'locales');
const editorDir = path.join(root, 'src', 'editor');
const LANGS = ['de'];

type Catalog = { [k: string]: string | Catalog };

/** Flattens a catalog to "a.b.c" -> text. */
export function flatten(c: Catalog, prefix = '', out: Record<string, string> = {}): Record<string, string> {
  for (const [k, v] of Object.entries(c)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (typeof v === 'string') out[key] = v;
    else flatten(v, key, out);
  }
  return out;
}

/** The __name__ placeholders of a message, sorted. */
export function placeholders(text: string): string[] {
  return [...text.matchAll(/__([A-Za-z0-9_]+?)__/g)].map((m) => m[1]).sort();
}

function files(lang: string, ext: string): string[] {
  return fs
    .readdirSync(path.join(locales, lang))
    .filter((f) => f.endsWith(ext))
    .sort();
}
function catalog(lang: string, file: string): Record<string, string> {
  return flatten(JSON.parse(fs.readFileSync(path.join(locales, lang, file), 'utf8')));
}
function helpNames(html: string): string[] {
  return [...html.matchAll(/data-help-name="([^"]+)"/g)].map((m) => m[1]).sort();
}

describe('locales', function () {
  it('flatten and placeholders read nested keys and __names__', function () {
    assert.deepEqual(flatten({ a: { b: 'x', c: { d: 'y' } }, e: 'z' }), { 'a.b': 'x', 'a.c.d': 'y', e: 'z' });
    assert.deepEqual(placeholders('sent __sent__, failed __failed__'), ['failed', 'sent']);
    assert.deepEqual(placeholders('no placeholder'), []);
  });

  for (const lang of LANGS) {
    describe(lang, function () {
      it('has a catalog for every en-US catalog and no extra one', function () {
        assert.deepEqual(files(lang, '.json'), files('en-US', '.json'));
      });

      for (const file of files('en-US', '.json')) {
        it(`${file}: same keys and placeholders as en-US`, function () {
          const en = catalog('en-US', file);
          const other = catalog(lang, file);
          const missing = Object.keys(en).filter((k) => !(k in other));
          const extra = Object.keys(other).filter((k) => !(k in en));
          assert.deepEqual(missing, [], `missing in ${lang}/${file}`);
          assert.deepEqual(extra, [], `only in ${lang}/${file}`);
          for (const k of Object.keys(en)) {
            assert.deepEqual(placeholders(other[k]), placeholders(en[k]), `${file} ${k}: placeholders differ`);
            assert.ok(other[k].trim() !== '' || en[k].trim() === '', `${file} ${k}: empty in ${lang}`);
          }
        });
      }

      it('has a help page for every en-US help page, for the same node', function () {
        assert.deepEqual(files(lang, '.html'), files('en-US', '.html'));
        for (const file of files('en-US', '.html')) {
          const en = fs.readFileSync(path.join(locales, 'en-US', file), 'utf8');
          const other = fs.readFileSync(path.join(locales, lang, file), 'utf8');
          assert.deepEqual(helpNames(other), helpNames(en), file);
          // The same error codes are explained in both languages.
          const codes = (s: string) => ERROR_CODES.filter((c) => s.includes(`<code>${c}</code>`));
          assert.deepEqual(codes(other), codes(en), `${file}: error codes differ`);
        }
      });
    });
  }

  it('every literal i18n key in the editor files exists in the en-US catalog', function () {
    const all: Record<string, string> = {};
    for (const f of files('en-US', '.json')) Object.assign(all, catalog('en-US', f));
    const missing: string[] = [];
    for (const f of fs.readdirSync(editorDir).filter((n) => n.endsWith('.html'))) {
      const s = fs.readFileSync(path.join(editorDir, f), 'utf8');
      const keys = [...[...s.matchAll(/data-i18n="(?:\[[a-z]+\])?([\w.-]+)"/g)].map((m) => m[1]), ...[...s.matchAll(/_\("([a-z-]+\.[\w.-]*\w)"/g)].map((m) => m[1])];
      for (const k of keys) if (!(k in all)) missing.push(`${f}: ${k}`);
    }
    assert.deepEqual(missing, []);
  });

  it('gives every node Node-RED style help: summary, Inputs, Outputs, Details, References', function () {
    const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
    for (const type of Object.keys(pkg['node-red'].nodes)) {
      const html = fs.readFileSync(path.join(locales, 'en-US', `${type}.html`), 'utf8');
      const editor = fs.readFileSync(path.join(editorDir, `${type}.html`), 'utf8');
      assert.match(html, new RegExp(`data-help-name="${type}"\\s*>\\s*<p>`), `${type}: no summary paragraph first`);
      for (const h of ['Details', 'References']) assert.ok(html.includes(`<h3>${h}</h3>`), `${type}: no ${h}`);
      const isConfig = /category:\s*"config"/.test(editor);
      if (isConfig) continue;
      const inputs = Number((/inputs:\s*(\d)/.exec(editor) || [])[1] || 0);
      const outputs = Number((/outputs:\s*(\d)/.exec(editor) || [])[1] || 0);
      if (inputs > 0) assert.ok(html.includes('<h3>Inputs</h3>'), `${type}: no Inputs`);
      assert.ok(html.includes('<h3>Outputs</h3>'), `${type}: no Outputs`);
      // One explained port per output.
      const ports = /<ol class="node-ports">([\s\S]*?)<\/ol>/.exec(html);
      assert.ok(ports, `${type}: outputs not listed as node-ports`);
      assert.equal((ports![1].match(/<li>/g) || []).length, outputs, `${type}: ports explained`);
      assert.match(editor, /outputLabels:/, `${type}: no output labels`);
    }
  });

  it('explains every public error code in the help', function () {
    const help = files('en-US', '.html')
      .map((f) => fs.readFileSync(path.join(locales, 'en-US', f), 'utf8'))
      .join('\n');
    const unexplained = ERROR_CODES.filter((c) => !help.includes(`<code>${c}</code>`));
    assert.deepEqual(unexplained, []);
  });
});
