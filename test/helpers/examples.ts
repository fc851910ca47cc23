/** The example flows shipped in examples/, and what the package's editor files say about node types. */
import fs from 'fs';
import path from 'path';
import { ROOT } from './red-process';

export interface Example {
  file: string;
  name: string;
  nodes: Record<string, any>[];
}

export function loadExamples(): Example[] {
  const dir = path.join(ROOT, 'examples');
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => ({ file: path.join(dir, f), name: f.replace(/\.json$/, ''), nodes: JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) }));
}

/** Our node types (from package.json and each editor .html), with whether each is a config node. */
export function packageNodeTypes(): { type: string; config: boolean }[] {
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  const out: { type: string; config: boolean }[] = [];
  for (const js of Object.values(pkg['node-red'].nodes as Record<string, string>)) {
    const html = fs.readFileSync(path.join(ROOT, 'src', 'editor', path.basename(js).replace(/\.js$/, '.html')), 'utf8');
    const re = /registerType\(\s*["']([^"']+)["']\s*,\s*\{[\s\S]*?category:\s*["']([^"']+)["']/g;
    for (let m = re.exec(html); m; m = re.exec(html)) out.push({ type: m[1], config: m[2] === 'config' });
  }
  return out;
}
