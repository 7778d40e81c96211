/**
 * `npm run bench`: every benchmark, with the machine it ran on. Figures go into docs/benchmarks.md.
 * Absolute times are noisy on shared machines; the query benchmark therefore reports ratios
 * against one Prometheus answering the same query in the same run.
 */
import { cpus, totalmem } from 'node:os';
import { benchDedup, printDedupBench } from './dedup.js';
import { benchQuery, formatQueryBench } from './query.js';

const cpu = cpus()[0]?.model ?? 'unknown CPU';
console.log(`# promdedup benchmarks, ${new Date().toISOString()}`);
console.log(`machine: ${cpus().length} × ${cpu}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}\n`);

printDedupBench(await benchDedup());
console.log('\nquery_range through promdedup (2 replicas, dedup on) vs the same query to one replica:');
console.log(formatQueryBench(await benchQuery()));
