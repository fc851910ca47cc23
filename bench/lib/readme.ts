/**
 * The project README's performance table, written between two markers from a bench run's results
 * (`npm run bench` on a full run, `npm run bench:report`), so it always says what RESULTS.md says.
 */
import fs from 'fs';
import path from 'path';
import { ROOT } from './procs';
import { runsPerPoint, verdicts, type BenchResults } from './report';

export const README_START = '<!-- bench-summary:start (written by npm run bench / bench:report) -->';
export const README_END = '<!-- bench-summary:end -->';

export function readmeTable(r: BenchResults): string {
  const rows = verdicts(r).map((v) => `| ${v.measure.replace(/^\d+\.\s*/, '')} | ${v.target} | ${v.ours} | ${v.baseline} | ${v.met ? 'met' : 'not met'} |`);
  return [
    `Run of ${r.machine.date.slice(0, 10)} at commit ${r.machine.commit} (${runsPerPoint(r.config)}, load average ${r.machine.loadAverage.start.toFixed(1)} at start):`,
    '',
    '| Measure | Target | This package | Baseline | Target |',
    '|---|---|---|---|---|',
    ...rows,
  ].join('\n');
}

/** Replace the table between the markers; returns false (and changes nothing) when they are missing. */
export function writeReadmeTable(r: BenchResults, file = path.join(ROOT, 'README.md')): boolean {
  const text = fs.readFileSync(file, 'utf8');
  const a = text.indexOf(README_START);
  const b = text.indexOf(README_END);
  if (a < 0 || b < a) return false;
  fs.writeFileSync(file, text.slice(0, a + README_START.length) + '\n' + readmeTable(r) + '\n' + text.slice(b));
  return true;
}
