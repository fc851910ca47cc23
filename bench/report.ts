/** `npm run bench:report`: rewrite RESULTS.md, the charts and README's performance table from bench/results.json (no new measurements). */
import fs from 'fs';
import path from 'path';
import { BENCH_DIR } from './lib/procs';
import { resultsMarkdown, writeCharts, type BenchResults } from './lib/report';
import { writeReadmeTable } from './lib/readme';

const dir = path.resolve(process.argv[2] ?? BENCH_DIR);
const results = JSON.parse(fs.readFileSync(path.join(dir, 'results.json'), 'utf8')) as BenchResults;
writeCharts(results, path.join(dir, 'charts'));
fs.writeFileSync(path.join(dir, 'RESULTS.md'), resultsMarkdown(results));
console.log(`wrote ${path.join(dir, 'RESULTS.md')}`);
if (dir === BENCH_DIR && writeReadmeTable(results)) console.log('wrote the performance table in README.md');
