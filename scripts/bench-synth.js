#!/usr/bin/env node
/**
 * Synthesis cost (`npm run bench -- --only synthesis`): the CPU time of creating N GoServices in a
 * plain projen Project with no sources and synthesizing it, with and without sharing (one module:
 * the services share a Go module build; or each its own module root) and with both CI providers, for
 * N = 50, 200 and 1000, and, as a diagnostic, the module-per-service case without projen's own
 * per-file walk of the construct tree (FileBase → Project.tryFindFile), which the library cannot avoid. Reports the median of --rounds runs per size, the cost per service, and the
 * growth exponent between 200 and 1000 (log(t1000/t200) / log(5): 1 is linear). Needs no lab: it only
 * writes files. Each measurement runs in a child process, so one size's garbage does not slow the next.
 *
 *   node scripts/bench-synth.js [--rounds 5]   (prints the section; bench.js writes it into BENCHMARKS.md)
 *   node scripts/bench-synth.js --one N shared|separate|ci   (one measurement, as JSON)
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
  const shared = !kind.startsWith('separate');
  const { LogLevel, Project } = require(path.join(ROOT, 'node_modules/projen'));
  if (kind.endsWith('-indexed')) {
    // diagnostic: projen checks each new file against every construct of the project (FileBase calls
    // Project.tryFindFile, a walk of the whole tree); here that walk is skipped (no file of this
    // project is created twice), to show what the library's own code costs
    Project.prototype.tryFindFile = () => undefined;
  }
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

/** The projects measured: one Go module, a module per service, and one module with GitHub and GitLab CI. */
const KINDS = {
  'shared': 'one Go module (the services share a Go module build and its `_go-deps` target)',
  'separate': 'a Go module per service (no sharing: a build context, ignore file and module build each)',
  'ci': 'one Go module, with GitHubActions and GitLabCi',
  'separate-indexed': 'a Go module per service, without projen\'s per-file walk of the whole tree (diagnostic: the library\'s own cost)',
};

function measure() {
  const result = {};
  for (const kind of Object.keys(KINDS)) {
    result[kind] = {};
    for (const n of SIZES) {
      const runs = [];
      for (let r = 0; r < ROUNDS; r++) {
        const out = execFileSync(process.execPath, [__filename, '--one', String(n), kind], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
        runs.push(JSON.parse(out));
      }
      result[kind][n] = median(runs.map(x => x.seconds));
      result[kind][`cpu${n}`] = median(runs.map(x => x.cpu));
    }
    result[kind].exponent = Math.log(result[kind][1000] / result[kind][200]) / Math.log(5);
  }
  return result;
}

/** The BENCHMARKS.md section of a measure() result. */
function report(result) {
  const ms = (kind, n) => (result[kind][n] * 1000 / n).toFixed(2);
  const rows = Object.entries(KINDS).map(([kind, what]) =>
    `| ${what} | ${SIZES.map(n => `${result[kind][n].toFixed(2)} s: ${ms(kind, n)} ms/service (CPU ${result[kind][`cpu${n}`].toFixed(2)} s)`).join(' | ')} | ${result[kind].exponent.toFixed(2)} |`);
  return `## Synthesis: time of \`project.synth()\` by number of Go services

A plain projen \`Project\` with a \`MultiArchPipeline\` and N \`GoService\`s and no sources (so no go.mod
is read), in a child process per measurement: the wall time of creating the services and
\`synth()\`, writing every file to ${os.tmpdir()}, median of ${ROUNDS} runs, measured ${new Date().toISOString().slice(0, 16)}Z; in
parentheses the CPU time (user + system, summed over Node's threads, so it can exceed wall time on
several cores). The machine's other work stretches wall time: read the ratios, which are measured in
one run. The exponent is log(t1000 / t200) / log 5 of wall time: 1 is linear. Goal: at most 2 ms per
service at 1000, exponent at most 1.1. What is left above linear is projen's: each new file is
checked against every construct of the project (\`FileBase\` calls \`Project.tryFindFile\`, a walk of
the whole tree). Every service with a Dockerfile of its own writes two files (its Dockerfile and the
Dockerfile's ignore file, \`<Dockerfile>.dockerignore\`, which BuildKit reads instead of the context's
\`.dockerignore\`: one per Dockerfile since the library stopped writing the team's \`.dockerignore\`), so
that walk runs twice per service. ${goal(result)}

| project | ${SIZES.map(n => `N = ${n}`).join(' | ')} | exponent 200→1000 |
| --- | ${SIZES.map(() => '---').join(' | ')} | --- |
${rows.join('\n')}`;
}

/** Which projects meet the goal (at most 2 ms per service at 1000, exponent at most 1.1), in words. */
function goal(result) {
  const met = kind => result[kind][1000] * 1000 / 1000 <= 2 && result[kind].exponent <= 1.1;
  const yes = Object.keys(KINDS).filter(met);
  const no = Object.keys(KINDS).filter(k => !met(k));
  const name = k => KINDS[k].replace(/ \(.*$/, '');
  // why a row misses: its cost per service, its growth, or both
  const why = k => [
    ...(result[k][1000] > 2 ? [`${result[k][1000].toFixed(2)} ms/service`] : []),
    ...(result[k].exponent > 1.1 ? [`exponent ${result[k].exponent.toFixed(2)}`] : []),
  ].join(', ');
  if (!no.length) return 'The goal is met by every row.';
  return `The goal is met by ${yes.length ? yes.map(name).join('; ') : 'no row'}; not by ${no.map(k => `${name(k)} (${why(k)})`).join('; ')}. `
    + 'A row whose exponent misses grows faster than linear through projen\'s walk (compare the last row); a row that misses on ms/service alone grows linearly, and its cost per service is the machine\'s as much as the library\'s (wall time, read the ratios).';
}

module.exports = { measure, report, SIZES };

if (require.main === module) {
  if (!fs.existsSync(path.join(ROOT, 'lib/index.js'))) {
    console.error('lib/ is not built: run npx projen compile');
    process.exit(1);
  }
  const result = measure();
  console.log(JSON.stringify(result, null, 2));
  console.log(report(result));
}
