#!/usr/bin/env node
/**
 * npm run bench: how long the generated Go build takes per target platform, in the local lab.
 *
 * Builds examples/nephoran's llm-processor with its generated Makefile, once per platform per round,
 * alternating amd64 and arm64, each time cold: --no-cache and the BuildKit cache mounts cleared, so
 * the Go standard library is compiled every time. Reports medians of the `go build` step and of the
 * whole `make` call, and the arm64/amd64 ratio, all measured in this one run, and writes
 * BENCHMARKS.md. Needs the lab (scripts/lab.sh up) and a synthesized example (npm run example).
 *
 *   node scripts/bench.js [--rounds 3]
 */
'use strict';
const { execFileSync, spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const ROOT = path.resolve(__dirname, '..');
const EXAMPLE = path.join(ROOT, 'examples/nephoran');
const roundsArg = process.argv.indexOf('--rounds');
const ROUNDS = roundsArg > 0 ? Number(process.argv[roundsArg + 1]) : 3;
const PLATFORMS = ['linux/amd64', 'linux/arm64'];

const env = { ...process.env, BUILDKIT_PROGRESS: 'plain' };
for (const line of execFileSync('bash', [path.join(ROOT, 'scripts/lab.sh'), 'env'], { encoding: 'utf8' }).split('\n')) {
  const m = /^export ([A-Z_]+)=(.*)$/.exec(line.trim());
  if (m) env[m[1]] = m[2].replace(/^["']|["']$/g, '');
}
if (spawnSync('bash', [path.join(ROOT, 'scripts/lab.sh'), 'status'], { stdio: 'ignore' }).status !== 0) {
  console.error('the lab is not up: run scripts/lab.sh up');
  process.exit(1);
}
if (!fs.existsSync(path.join(EXAMPLE, 'Makefile'))) {
  console.error('examples/nephoran is not synthesized: run npm run example');
  process.exit(1);
}

const samples = { 'linux/amd64': [], 'linux/arm64': [] };
for (let round = 1; round <= ROUNDS; round++) {
  for (const platform of PLATFORMS) {
    // cold: no build cache, no Go module/build cache mounts
    spawnSync('docker', ['builder', 'prune', '-af', '--filter', 'type=exec.cachemount'], { env, stdio: 'ignore' });
    const start = process.hrtime.bigint();
    const r = spawnSync('make', ['build-llm-processor', 'BUILDX_DRIVER=docker', 'PUSH=false', `PLATFORMS=${platform}`,
      'CACHE_REGISTRY=', 'BAKE_FLAGS=--no-cache', `VERSION=bench-${round}`, 'REGISTRY=127.0.0.1:5000/bench'], { cwd: EXAMPLE, env, encoding: 'utf8' });
    const wall = Number(process.hrtime.bigint() - start) / 1e9;
    if (r.status !== 0) {
      console.error(r.stdout + r.stderr);
      process.exit(1);
    }
    const log = r.stdout + r.stderr;
    const goBuild = stepSeconds(log, /RUN .*go build/);
    const where = (/building on (\S+) \((\S+)\) for (\S+)/.exec(log) || []).slice(1).join(' ');
    samples[platform].push({ wall, goBuild, where });
    console.log(`round ${round} ${platform}: make ${wall.toFixed(1)}s, go build step ${goBuild.toFixed(1)}s (built on ${where})`);
  }
}

const median = xs => { const s = [...xs].sort((a, b) => a - b); const m = Math.floor(s.length / 2); return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const med = (p, k) => median(samples[p].map(x => x[k]));
const rows = PLATFORMS.map(p => `| ${p} | ${med(p, 'goBuild').toFixed(1)} s | ${med(p, 'wall').toFixed(1)} s | ${samples[p][0].where} |`);
const ratioBuild = med('linux/arm64', 'goBuild') / med('linux/amd64', 'goBuild');
const ratioWall = med('linux/arm64', 'wall') / med('linux/amd64', 'wall');
const report = `# Benchmarks

Measured by \`npm run bench\` (scripts/bench.js) on ${new Date().toISOString().slice(0, 10)}: ${os.cpus().length} cores,
${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ${os.platform()}/${os.arch()}, the local lab (dockerd 26, buildx 0.13, docker driver,
containerd image store). Regenerate with \`scripts/lab.sh up && npm run example && npm run bench\`.

## The generated Go Dockerfile cross-compiles: arm64 costs what amd64 costs

\`make build-llm-processor PLATFORMS=<platform>\` from examples/nephoran, cold each time (\`--no-cache\`,
BuildKit cache mounts cleared, so the Go standard library is compiled every run), UPX on (it runs on
amd64 only), ${ROUNDS} rounds alternating the platforms. Medians:

| target platform | \`go build\` step | whole \`make\` call | builder ran on |
| --- | --- | --- | --- |
${rows.join('\n')}

arm64 / amd64, measured in this run: **${ratioBuild.toFixed(2)}x** for the \`go build\` step, **${ratioWall.toFixed(2)}x** for the whole build.
The arm64 builder stage runs on the build machine's amd64 (the step prints \`uname -m\`), so the
compiler is never emulated. The field's figure for Go compiled under QEMU is 5-20x slower; no emulated
baseline was measured here, since that needs an arm64 Go toolchain image, which the lab does not build.
The amd64 build includes \`upx --best --lzma\`, which arm64 skips.
`;
fs.writeFileSync(path.join(ROOT, 'BENCHMARKS.md'), report);
console.log(`\n${report}`);

function stepSeconds(log, pattern) {
  let total = 0;
  for (const m of log.matchAll(/^#(\d+) \[[^\]]*\] (.*)$/gm)) {
    if (!pattern.test(m[2])) continue;
    const done = new RegExp(`^#${m[1]} DONE ([0-9.]+)s`, 'm').exec(log);
    if (done) total += Number(done[1]);
  }
  return total;
}
