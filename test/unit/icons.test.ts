/**
 * One icon family: every icon is a white glyph on the node colour, drawn in Node-RED's 40x60 box,
 * named uniquely (icon names are global across every installed package), and every icon an editor
 * file names exists.
 */
import assert from 'node:assert';
import fs from 'fs';
import path from 'path';

const root = path.resolve(__dirname, '..', '..');
const icons = fs.readdirSync(path.join(root, 'icons')).filter((f) => f.endsWith('.svg'));

describe('icon family', function () {
  it('has agentless- prefixed, 40x60, white-only SVG glyphs', function () {
    assert.ok(icons.length >= 3);
    for (const f of icons) {
      assert.match(f, /^agentless-[a-z-]+\.svg$/);
      const svg = fs.readFileSync(path.join(root, 'icons', f), 'utf8');
      assert.match(svg, /viewBox="0 0 40 60"/, f);
      const colours = [...svg.matchAll(/(?:fill|stroke)="([^"]+)"/g)].map((m) => m[1].toLowerCase());
      assert.ok(colours.length > 0, `${f} sets no colour`);
      for (const c of colours) assert.ok(['#fff', '#ffffff', 'white', 'none'].includes(c), `${f} uses ${c}`);
      assert.doesNotMatch(svg, /<(script|image|foreignObject)\b/i, f);
    }
  });

  it('covers every icon the editor files use', function () {
    const dir = path.join(root, 'src', 'editor');
    for (const f of fs.readdirSync(dir).filter((x) => x.endsWith('.html'))) {
      const html = fs.readFileSync(path.join(dir, f), 'utf8');
      for (const m of html.matchAll(/icon:\s*"([^"]+\.svg)"/g)) assert.ok(icons.includes(m[1]), `${f} uses missing icon ${m[1]}`);
    }
  });
});
