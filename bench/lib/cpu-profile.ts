/**
 * Reading a V8 `.cpuprofile` (what `node --cpu-prof` writes): self time per function and per place
 * (this package's modules, each dependency, Node internals, GC, idle), so RESULTS.md can say where
 * the time went.
 */
import fs from 'fs';
import path from 'path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileRow {
  name: string;
  ms: number;
  /** Share of the busy time (idle excluded). */
  share: number;
}

export interface ProfileSummary {
  file: string;
  totalMs: number;
  busyMs: number;
  /** Self time grouped by where the code lives. */
  places: ProfileRow[];
  /** Self time of the heaviest functions. */
  functions: ProfileRow[];
  /** Inclusive time of this package's functions (callees counted), heaviest first. */
  ours: ProfileRow[];
}

/** Where a frame's code lives: `ours:<module>`, a dependency's package name, `node`, or a V8 pseudo frame. */
export function placeOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  const u = url.replace(/^file:\/\//, '');
  if (u.startsWith('node:')) return 'node';
  const nm = u.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = u.slice(nm + 'node_modules/'.length).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  const m = /\/nodes\/(?:lib\/)?(.+)\.js$/.exec(u);
  if (m) return `ours:${m[1]}`;
  return path.basename(u);
}

/**
 * `window`: only samples inside it count, in microseconds of the monotonic clock that both V8's
 * profile and `process.hrtime` use (so the bench can cut Node-RED's start-up out of the profile).
 */
export function summarizeProfile(file: string, window?: { fromUs: number; toUs: number }, top = 20): ProfileSummary {
  const prof = JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map<number, ProfileNode>();
  for (const n of prof.nodes) byId.set(n.id, n);
  const parent = new Map<number, number>();
  for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map<number, number>();
  const from = window?.fromUs ?? -Infinity;
  const to = window?.toUs ?? Infinity;
  let t = prof.startTime;
  let totalMs = 0;
  for (let i = 0; i < prof.samples.length; i++) {
    t += prof.timeDeltas[i] ?? 0;
    // A sample stands for the time until the next one.
    const dt = (prof.timeDeltas[i + 1] ?? 0) / 1000;
    if (t < from || t > to) continue;
    totalMs += dt;
    self.set(prof.samples[i], (self.get(prof.samples[i]) ?? 0) + dt);
  }
  const places = new Map<string, number>();
  const fns = new Map<string, number>();
  const ours = new Map<string, number>();
  let idle = 0;
  for (const [id, ms] of self) {
    const n = byId.get(id)!;
    const { functionName, url, lineNumber } = n.callFrame;
    const place = placeOf(url, functionName);
    if (place === '(idle)') idle += ms;
    places.set(place, (places.get(place) ?? 0) + ms);
    const fname = `${functionName || '(anonymous)'} ${place}${url ? ':' + (lineNumber + 1) : ''}`;
    fns.set(fname, (fns.get(fname) ?? 0) + ms);
    // Inclusive time of our frames: walk up once per distinct frame name on the stack.
    const seen = new Set<string>();
    for (let p: number | undefined = id; p !== undefined; p = parent.get(p)) {
      const f = byId.get(p)!.callFrame;
      const pl = placeOf(f.url, f.functionName);
      if (!pl.startsWith('ours:')) continue;
      const key = `${f.functionName || '(anonymous)'} ${pl}:${f.lineNumber + 1}`;
      if (seen.has(key)) continue;
      seen.add(key);
      ours.set(key, (ours.get(key) ?? 0) + ms);
    }
  }
  const busyMs = Math.max(1e-9, totalMs - idle);
  const rows = (m: Map<string, number>, skipIdle: boolean): ProfileRow[] =>
    [...m.entries()]
      .filter(([k]) => !(skipIdle && k.startsWith('(idle)')))
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, ms]) => ({ name, ms: Math.round(ms), share: ms / busyMs }));
  return { file, totalMs: Math.round(totalMs), busyMs: Math.round(busyMs), places: rows(places, true), functions: rows(fns, true), ours: rows(ours, false) };
}

export function profileMarkdown(title: string, s: ProfileSummary, rows = 12, level = '###'): string {
  const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
  const table = (head: string, r: ProfileRow[]) =>
    [`| ${head} | ms | share of busy |`, '|---|---|---|', ...r.slice(0, rows).map((x) => `| ${x.name.replace(/\|/g, '\\|')} | ${x.ms} | ${pct(x.share)} |`)].join('\n');
  return [
    `${level} ${title}`,
    '',
    `${s.totalMs} ms profiled, ${s.busyMs} ms busy (not idle).`,
    '',
    table('Self time by place', s.places),
    '',
    table('Heaviest functions (self time)', s.functions),
    '',
    table("This package's functions (inclusive)", s.ours),
    '',
  ].join('\n');
}
