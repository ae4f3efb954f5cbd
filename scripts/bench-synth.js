#!/usr/bin/env node
/**
 * Synthesis cost (`npm run bench -- --only synthesis`): how long `project.synth()` takes for a plain
 * projen Project with N GoServices and no sources, with and without sharing (one module: the
 * services share a Go module build; or each its own module root), for N = 50, 200 and 1000. Reports
 * the median of --rounds runs per size, the cost per service, and the growth exponent between 200 and
 * 1000 (log(t1000/t200) / log(5): 1 is linear). Needs no lab: it only writes files. Run in a child
 * process per measurement, so one size's garbage does not slow the next.
 *
 *   node scripts/bench-synth.js [--rounds 5]   (prints a JSON summary; bench.js writes BENCHMARKS.md)
 */
'use strict';
const { execFileSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const ROOT = path.resolve(__dirname, '..');
const SIZES = [50, 200, 1000];

if (process.argv[2] === '--one') {
  // a child: one synthesis, timed, printed as seconds
  const [n, kind] = [Number(process.argv[3]), process.argv[4]];
  const shared = kind !== 'separate';
  const { LogLevel, Project } = require(path.join(ROOT, 'node_modules/projen'));
  const { GitHubActions, GitLabCi, GoService, MultiArchPipeline } = require(path.join(ROOT, 'lib'));
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-synth-'));
  const start = process.hrtime.bigint();
  const cpu = process.cpuUsage();
  // no sources: every service would warn that its main package does not exist yet
  const project = new Project({ name: 'fleet', outdir, logging: { level: LogLevel.ERROR } });
  const ciProviders = kind === 'ci' ? [new GitHubActions(), new GitLabCi()] : [];
  new MultiArchPipeline(project, { registry: 'ghcr.io/acme', ciProviders });
  for (let i = 0; i < n; i++) {
    new GoService(project, `svc-${i}`, shared ? {} : { moduleRoot: `mod-${i}` });
  }
  project.synth();
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const used = process.cpuUsage(cpu);
  fs.rmSync(outdir, { recursive: true, force: true });
  process.stdout.write(JSON.stringify({ seconds, cpu: (used.user + used.system) / 1e6 }));
  process.exit(0);
}

const roundsArg = process.argv.indexOf('--rounds');
const ROUNDS = roundsArg > 0 ? Number(process.argv[roundsArg + 1]) : 5;
const median = xs => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function measure() {
  const result = {};
  for (const shared of [true, false]) {
    const kind = shared ? 'shared' : 'separate';
    result[kind] = {};
    for (const n of SIZES) {
      const runs = [];
      for (let r = 0; r < ROUNDS; r++) {
        const out = execFileSync(process.execPath, [__filename, '--one', String(n), kind], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
        runs.push(JSON.parse(out).seconds);
      }
      result[kind][n] = median(runs);
    }
    result[kind].exponent = Math.log(result[kind][1000] / result[kind][200]) / Math.log(5);
  }
  return result;
}

module.exports = { measure, SIZES };

if (require.main === module) {
  if (!fs.existsSync(path.join(ROOT, 'lib/index.js'))) {
    console.error('lib/ is not built: run npx projen compile');
    process.exit(1);
  }
  console.log(JSON.stringify(measure(), null, 2));
}
