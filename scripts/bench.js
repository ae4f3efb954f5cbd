#!/usr/bin/env node
/**
 * npm run bench: how long the generated Go build takes per target platform, in the local lab.
 *
 * Builds examples/nephoran's llm-processor with its generated Makefile, once per platform per round,
 * alternating amd64 and arm64, each time cold: --no-cache and the BuildKit cache mounts cleared, so
 * the Go standard library is compiled every time. Reports medians of the `go build` step and of the
 * whole `make` call, and the arm64/amd64 ratio, all measured in this one run. Then checks that builds
 * are reproducible (repro): cold builds of one commit give identical per-platform digests, and so do
 * a warm rebuild after a new commit and a cold build of that commit. Writes BENCHMARKS.md, one block
 * per section; `--only repro` (comma-separated) re-measures some sections and keeps the others.
 * The peers section (`--only peers`) builds the same repositories with the generated build and with
 * the Dockerfiles users write by hand (scripts/bench-peers), side by side.
 * Needs the lab (scripts/lab.sh up) and a synthesized example (npm run example).
 *
 *   node scripts/bench.js [--rounds 3] [--cgo-rounds 1] [--only cross,rebuild,python,repro,peers,cacheloss] [--cycles 24]
 *                         [--peers-minutes N] [--peers-repos python,nephoran,fleet] [--peers-<repo> none|docker-init,…]
 *                         [--peers-results FILE [--peers-split]]
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

const cgoRoundsArg = process.argv.indexOf('--cgo-rounds');
const CGO_ROUNDS = cgoRoundsArg > 0 ? Number(process.argv[cgoRoundsArg + 1]) : 1;
const onlyArg = process.argv.indexOf('--only');
const ALL_SECTIONS = ['synthesis', 'cross', 'rebuild', 'python', 'repro', 'peers', 'cacheloss'];
const SECTIONS = onlyArg > 0 ? process.argv[onlyArg + 1].split(',') : ALL_SECTIONS;
const cyclesArg = process.argv.indexOf('--cycles');
const CYCLES = cyclesArg > 0 ? Number(process.argv[cyclesArg + 1]) : 24;
const run = name => SECTIONS.includes(name);

const env = { ...process.env, BUILDKIT_PROGRESS: 'plain' };
// every section but synthesis builds in the lab
if (SECTIONS.some(name => name !== 'synthesis')) {
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
}

/** A 500 from the lab's registry: the round is measured again. */
class RegistryFlake extends Error {}

/** Builds llm-processor in `dir` for one platform, cold; returns the timings and where it compiled. */
function coldBuild(dir, platform, version) {
  spawnSync('docker', ['builder', 'prune', '-af', '--filter', 'type=exec.cachemount'], { env, stdio: 'ignore' });
  const start = process.hrtime.bigint();
  const r = spawnSync('make', ['build-llm-processor', 'BUILDX_DRIVER=docker', 'PUSH=true', `PLATFORMS=${platform}`,
    'CACHE_REGISTRY=', 'BAKE_FLAGS=--no-cache', `VERSION=${version}`, 'REGISTRY=127.0.0.1:5000/bench'], { cwd: dir, env, encoding: 'utf8' });
  const wall = Number(process.hrtime.bigint() - start) / 1e9;
  if (r.status !== 0) {
    console.error(r.stdout + r.stderr);
    process.exit(1);
  }
  const log = r.stdout + r.stderr;
  const goBuild = stepSeconds(log, /RUN .*go build/);
  const where = (/building on (\S+) \((\S+)\) for (\S+)/.exec(log) || []).slice(1).join(' ');
  return { wall, goBuild, where };
}

/** Runs the pushed image for a platform and checks it reports that platform (a cgo build must be correct too). */
function checkRuns(version, platform) {
  const ref = `127.0.0.1:5000/bench/llm-processor:${version}`;
  const r = spawnSync('docker', ['run', '--rm', '--pull', 'always', '--platform', platform, ref], { env, encoding: 'utf8' });
  const want = `llm-processor version=${version} platform=${platform}`;
  if (r.status !== 0 || r.stdout.trim() !== want) {
    console.error(`${ref} (${platform}) printed "${r.stdout.trim()}" (exit ${r.status}), expected "${want}"\n${r.stderr}`);
    process.exit(1);
  }
}

const samples = { 'linux/amd64': [], 'linux/arm64': [] };
// without UPX, which would run on amd64 only and in the compile step
const crossDir = run('cross') ? llmConsumer('bench-cross', { builderImage: env.LAB_GOLANG_IMAGE, runtimeImage: env.LAB_DISTROLESS_IMAGE }) : undefined;
for (let round = 1; round <= (run('cross') ? ROUNDS : 0); round++) {
  for (const platform of PLATFORMS) {
    const sample = coldBuild(crossDir, platform, `bench-${round}`);
    checkRuns(`bench-${round}`, platform);
    samples[platform].push(sample);
    console.log(`round ${round} ${platform}: make ${sample.wall.toFixed(1)}s, go build step ${sample.goBuild.toFixed(1)}s (built on ${sample.where})`);
  }
}

// Baseline: the same service with `cgo: true`, whose builder runs on the target platform (emulated
// for arm64). Needs the optional lab image (scripts/lab.sh cgo).
const cgoImage = env.LAB_GOLANG_CGO_IMAGE;
const cgoSamples = { 'linux/amd64': [], 'linux/arm64': [] };
const haveCgo = run('cross') && cgoImage && spawnSync('docker', ['buildx', 'imagetools', 'inspect', cgoImage], { env, stdio: 'ignore' }).status === 0;
if (haveCgo) {
  const dir = llmConsumer('bench-cgo', { cgo: true, builderImage: cgoImage, runtimeImage: cgoImage });
  for (let round = 1; round <= CGO_ROUNDS; round++) {
    for (const platform of PLATFORMS) {
      const sample = coldBuild(dir, platform, `bench-cgo-${round}`);
      checkRuns(`bench-cgo-${round}`, platform);
      cgoSamples[platform].push(sample);
      console.log(`cgo round ${round} ${platform}: make ${sample.wall.toFixed(1)}s, go build step ${sample.goBuild.toFixed(1)}s (built on ${sample.where})`);
    }
  }
} else if (run('cross')) {
  console.log('cgo baseline skipped: run scripts/lab.sh cgo to build its toolchain image');
}

/** A throwaway consumer: the example's Go sources and one GoService, llm-processor, synthesized by the built library. */
function llmConsumer(name, options) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `${name}-`));
  for (const f of ['go.mod', 'cmd', 'internal']) fs.cpSync(path.join(EXAMPLE, f), path.join(dir, f), { recursive: true });
  for (const f of fs.readdirSync(path.join(dir, 'cmd'), { recursive: true })) if (String(f).endsWith('Dockerfile')) fs.rmSync(path.join(dir, 'cmd', String(f)));
  const { Project } = require(path.join(ROOT, 'node_modules/projen'));
  const { GoService, MultiArchPipeline } = require(path.join(ROOT, 'lib'));
  const project = new Project({ name, outdir: dir });
  new MultiArchPipeline(project, { dockerfileSyntax: '' });
  new GoService(project, 'llm-processor', options);
  process.env.PROJEN_DISABLE_POST = 'true';
  project.synth();
  return dir;
}

const median = xs => { const s = [...xs].sort((a, b) => a - b); const m = Math.floor(s.length / 2); return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const today = new Date().toISOString().slice(0, 10);
const blocks = {};
if (run('synthesis')) blocks.synthesis = synthesisReport();
if (run('cross')) blocks.cross = crossReport();
if (run('rebuild')) blocks.rebuild = rebuildReport();
if (run('python')) blocks.python = pythonReport();
if (run('repro')) blocks.repro = reproReport();
if (run('peers')) blocks.peers = peersReport();
if (run('cacheloss')) blocks.cacheloss = cacheLossReport();
writeReport(blocks);

function crossReport() {
  const med = (p, k) => median(samples[p].map(x => x[k]));
  const rows = PLATFORMS.map(p => `| default (cross-compile) | ${p} | ${med(p, 'goBuild').toFixed(1)} s | ${med(p, 'wall').toFixed(1)} s | ${samples[p][0].where} |`);
  const cgoMed = (p, k) => median(cgoSamples[p].map(x => x[k]));
  if (haveCgo) rows.push(...PLATFORMS.map(p => `| \`cgo: true\` (compiler on the target) | ${p} | ${cgoMed(p, 'goBuild').toFixed(1)} s | ${cgoMed(p, 'wall').toFixed(1)} s | ${cgoSamples[p][0].where} |`));
  const ratioBuild = med('linux/arm64', 'goBuild') / med('linux/amd64', 'goBuild');
  const ratioWall = med('linux/arm64', 'wall') / med('linux/amd64', 'wall');
  return `## The generated Go Dockerfile cross-compiles: arm64 costs what amd64 costs

Measured on ${today}. \`make build-llm-processor PLATFORMS=<platform>\` for examples/nephoran's llm-processor
(its sources and the lab's images; UPX off: it would run on amd64 only, in the compile step), cold
each time (\`--no-cache\`, BuildKit cache mounts cleared, so the Go standard library is compiled every
run), ${ROUNDS} rounds alternating the platforms. Medians:

| build | target platform | \`go build\` steps (dependencies + service) | whole \`make\` call | builder ran on (BUILDPLATFORM, uname -m, TARGETPLATFORM) |
| --- | --- | --- | --- | --- |
${rows.join('\n')}

arm64 / amd64, measured in this run: **${ratioBuild.toFixed(2)}x** for the \`go build\` steps, **${ratioWall.toFixed(2)}x** for the whole build.
The default build stages run on the build machine's amd64 for both targets (the compile step
prints \`uname -m\`), so the compiler is never emulated. Every image built here was run on its
platform and printed it.
${haveCgo ? `
The emulated baseline is the same service with \`cgo: true\`, whose compiler must run on the target
platform (QEMU for arm64), ${CGO_ROUNDS} round(s): arm64 / amd64 **${(cgoMed('linux/arm64', 'goBuild') / cgoMed('linux/amd64', 'goBuild')).toFixed(1)}x**
for the \`go build\` steps; the emulated arm64 compile takes **${(cgoMed('linux/arm64', 'goBuild') / med('linux/arm64', 'goBuild')).toFixed(1)}x** as long as
the cross-compiled one.` : `
No emulated baseline in this run (\`scripts/lab.sh cgo\` builds the toolchain image it needs).`}`;
}

/**
 * CPU time, in seconds, of the lab's engine while `fn` runs: BuildKit itself (the dockerd process:
 * layer compression, content checksums, cache import and export), the commands it ran and reaped
 * (the build steps: go, UPX), containerd (image store and snapshots), and the whole machine.
 */
function cpuDuring(fn) {
  const tck = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
  const dockerd = fs.readFileSync(path.join(env.LAB_DIR, 'dockerd.pid'), 'utf8').trim();
  const containerd = (spawnSync('pgrep', ['-P', dockerd, '-x', 'containerd'], { encoding: 'utf8' }).stdout || '').trim().split('\n')[0];
  // /proc/<pid>/stat fields after "(comm) ": [11] utime, [12] stime, [13] cutime, [14] cstime
  const stat = pid => { const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8'); return f.slice(f.lastIndexOf(')') + 2).split(' ').map(Number); };
  const busy = () => { const c = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number); return c[0] + c[1] + c[2] + c[5] + c[6] + c[7]; };
  const take = () => { const d = stat(dockerd); const c = containerd ? stat(containerd) : null; return { buildkit: d[11] + d[12], steps: d[13] + d[14], containerd: c ? c[11] + c[12] : NaN, machine: busy() }; };
  const before = take();
  const result = fn();
  const after = take();
  const cpu = {};
  for (const k of Object.keys(before)) cpu[k] = (after[k] - before[k]) / tck;
  return { result, cpu };
}

/**
 * Whether a build's plain progress output shows the `deps` stage's compile running rather than coming
 * from a cache: a cache hit prints CACHED, or pulls the layer in well under a second.
 */
function depsCompiled(output) {
  const ids = new Set([...output.matchAll(/^#(\d+) \[[^\]]* deps \d+\/\d+\] RUN /gm)].map(m => m[1]));
  return [...output.matchAll(/^#(\d+) DONE (\d+(?:\.\d+)?)s$/gm)].some(m => ids.has(m[1]) && Number(m[2]) >= 5);
}

/**
 * How often a fresh runner misses the registry cache of the shared Go dependencies: examples/nephoran's
 * three Go services, CYCLES one-line changes in a row, each built (`make build-multiarch PUSH=true`,
 * both platforms in one job) on an emptied builder from the registry caches the build before it
 * wrote, as a chain of CI runners does; after every second one, a pull-request build (`make
 * ci-build`, read-only) of another change on an emptied builder. Counts the builds that compiled the
 * `deps` stage again. A rare loss needs many builds to show: the rebuild and peers sections have too
 * few rounds to measure its rate.
 */
function cacheLossReport() {
  const dir = nephoranGoConsumer();
  const file = path.join(dir, 'internal/service/service.go');
  const original = fs.readFileSync(file, 'utf8');
  const edit = n => fs.writeFileSync(file, original.replace('version=%s platform', `version=%s${' '.repeat(n)} platform`));
  const prune = () => spawnSync('docker', ['builder', 'prune', '-af'], { env, stdio: 'ignore' });
  const cache = `CACHE_REGISTRY=127.0.0.1:5000/bench-cacheloss-${Date.now().toString(36)}`;
  let pushes = 0;
  const build = (label, target) => {
    for (let attempt = 1; ; attempt++) {
      const start = process.hrtime.bigint();
      const r = spawnSync('make', [...target, 'BUILDX_DRIVER=docker', 'VERSION=bench-cacheloss', `REGISTRY=127.0.0.1:5000/bench-cacheloss-${Date.now()}-${pushes++}`, cache], { cwd: dir, env, encoding: 'utf8' });
      const log = r.stdout + r.stderr;
      // the lab's registry (distribution 2.8) sometimes answers a HEAD racing a tag write with a 500
      if (r.status !== 0 && /500 Internal Server Error/.test(log) && attempt < 3) continue;
      if (r.status !== 0) { console.error(log); process.exit(1); }
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      const missed = depsCompiled(log);
      console.log(`cacheloss ${label}: ${seconds.toFixed(1)}s${missed ? ' (compiled the deps stage)' : ''}`);
      return { seconds, missed };
    }
  };
  const fresh = [];
  const pr = [];
  prune();
  edit(0);
  build('filling the registry cache', ['build-multiarch', 'PUSH=true']);
  for (let n = 1; n <= CYCLES; n++) {
    edit(n);
    prune();
    fresh.push(build(`${n}: fresh runner, one-line change`, ['build-multiarch', 'PUSH=true']));
    if (n % 2 === 0) {
      edit(CYCLES + n);
      prune();
      pr.push(build(`${n}: fresh runner, pull-request build`, ['ci-build']));
    }
  }
  fs.writeFileSync(file, original);
  const lost = xs => xs.filter(x => x.missed).length;
  const secs = xs => `median ${median(xs.map(x => x.seconds)).toFixed(1)} s`;
  return `## Fresh runners find the shared Go dependencies in the registry cache

Measured on ${today} (${engineVersions()}, docker driver): examples/nephoran's three Go services,
${CYCLES} one-line changes in a row, each built for linux/amd64 and linux/arm64 in one job
(\`make build-multiarch PUSH=true\`) on an emptied builder (\`docker builder prune -af\`) from the
registry caches the build before it wrote, as a chain of CI runners does; after every second one, a
pull-request build (\`make ci-build\`, cache read-only) of another change, also on an emptied builder.
A build that compiled the \`deps\` stage again (its step ran for 5 s or more) counts as a loss.

| build | builds | compiled \`deps\` again | time |
| --- | --- | --- | --- |
| fresh runner, one-line change | ${fresh.length} | **${lost(fresh)}** | ${secs(fresh)} |
| pull-request build, one-line change | ${pr.length} | **${lost(pr)}** | ${secs(pr)} |

Each service's target reads the \`_go-deps\` registry cache after its own: BuildKit looks a step that
several builds of one bake share up in the caches of the build that reaches it first, often a
service's (docker/buildx#2265, moby/buildkit#4674). Before the services read it (library commit
9ee8d98), the same loop, run by hand on the same engine, lost 1 of 16 fresh-runner builds (0 of 8
pull-request builds; after: 0 of 24 and 0 of 12), and the peers section lost one platform's \`deps\` in both of its fresh-runner rounds on
2026-12-06 (docs/troubleshooting.md). What this does not prove: the lab's "fresh runner" is the
engine of every earlier build with its build cache emptied; its image store keeps the images they
pushed. A CI runner starts with neither.`;
}

/**
 * Rebuilds of two three-Go-service repositories, both platforms, one `make build-multiarch`, as a
 * developer and CI see them: cold; warm with no change; warm after a one-line change; and on a fresh
 * CI runner whose only state is the registry cache (builder cache pruned) after a one-line change.
 * Every build after the cold one exports to and imports from the same registry cache (mode=max), as
 * CI does. The repositories: examples/nephoran's Go services (standard library only, UPX on one), and
 * a fleet with real third-party dependencies (scripts/bench-fleet).
 */
function rebuildReport() {
  const ROUNDS_REBUILD = 3;
  // the quickest first, so that a run cut short by --peers-minutes has the most repositories
  const repos = [
    { name: 'python', edit: ['pkg/rag/app/__main__.py', 'platform.machine()', n => `platform.machine()${' '.repeat(n)}`], variants: peerPythonVariants() },
    { name: 'nephoran', dir: nephoranGoConsumer(), file: 'internal/service/service.go', line: ['version=%s platform', n => `version=%s${' '.repeat(n)} platform`] },
    { name: 'fleet', dir: fleetConsumer(), file: 'internal/version/version.go', line: ['version=%s platform', n => `version=%s${' '.repeat(n)} platform`] },
  ];
  let pushes = 0;
  const build = (repo, label, extra, target = ['build-multiarch', 'PUSH=true']) => {
    const start = process.hrtime.bigint();
    // one repository per build: the lab's registry (distribution 2.8) can fail on a tag re-pushed at once
    const registry = `REGISTRY=127.0.0.1:5000/bench-rebuild-${Date.now()}-${pushes++}`;
    const r = spawnSync('make', [...target, 'BUILDX_DRIVER=docker', 'VERSION=bench-rebuild', registry, ...extra], { cwd: repo.dir, env, encoding: 'utf8' });
    if (r.status !== 0) {
      // the lab's registry (distribution 2.8, filesystem storage) sometimes answers a HEAD racing a tag write with a 500
      if (/500 Internal Server Error/.test(r.stdout + r.stderr)) throw new RegistryFlake(`${repo.name} ${label}`);
      console.error(r.stdout + r.stderr);
      process.exit(1);
    }
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    repo.depsCompiled = depsCompiled(r.stdout + r.stderr);
    console.log(`rebuild ${repo.name} ${label}: ${seconds.toFixed(1)}s${repo.depsCompiled ? ' (compiled the deps stage)' : ''}`);
    return seconds;
  };
  const prune = () => spawnSync('docker', ['builder', 'prune', '-af'], { env, stdio: 'ignore' });
  for (const repo of repos) {
    const file = path.join(repo.dir, repo.file);
    const original = fs.readFileSync(file, 'utf8');
    if (!original.includes(repo.line[0])) throw new Error(`${repo.file} has no "${repo.line[0]}" to change`);
    const edit = n => fs.writeFileSync(file, original.replace(repo.line[0], repo.line[1](n)));
    repo.samples = { cold: [], warm: [], oneLine: [], fresh: [], freshPr: [], cpu: [], missed: [] };
    const round = () => {
      const cache = `CACHE_REGISTRY=127.0.0.1:5000/bench-rebuild-cache-${Date.now()}`;
      edit(0);
      prune();
      const cold = build(repo, 'cold', ['CACHE_REGISTRY=', 'BAKE_FLAGS=--no-cache']);
      build(repo, 'cold, filling the registry cache', [cache]);
      const warm = build(repo, 'warm, no change', [cache]);
      edit(1);
      const oneLine = build(repo, 'warm, one-line change', [cache]);
      prune();
      edit(2);
      const { result: fresh, cpu } = cpuDuring(() => build(repo, 'fresh runner (registry cache only), one-line change', [cache]));
      prune();
      edit(3);
      const freshMissed = repo.depsCompiled;
      const freshPr = build(repo, 'fresh runner, pull-request build (make ci-build), one-line change', [cache], ['ci-build']);
      return { cold, warm, oneLine, fresh, freshPr, cpu, missed: [freshMissed, repo.depsCompiled] };
    };
    for (let n = 1, flakes = 0; n <= ROUNDS_REBUILD; n++) {
      try {
        for (const [kind, seconds] of Object.entries(round())) repo.samples[kind].push(seconds);
      } catch (e) {
        // a flake of the lab's registry, not of the build: the round runs again, and the report says how often
        if (!(e instanceof RegistryFlake) || ++flakes > 6) throw e;
        repo.flakes = flakes;
        console.log(`rebuild ${repo.name}: the lab registry answered 500 during "${e.message}"; round ${n} again`);
        n--;
      }
    }
    edit(0);
  }
  const ratio = (repo, kind) => median(repo.samples[kind]) / median(repo.samples.cold);
  const cell = (repo, kind) => `${median(repo.samples[kind]).toFixed(1)} s | ${(median(repo.samples[kind]) / median(repo.samples.cold)).toFixed(2)}`;
  const row = (what, kind) => `| ${what} | ${repos.map(r => cell(r, kind)).join(' | ')} |`;
  const cpu = (r, k) => { const m = median(r.samples.cpu.map(c => c[k])); return Number.isNaN(m) ? 'not measured (no containerd child of dockerd)' : m.toFixed(1); };
  const both = f => repos.map(f).join(' / ');
  // the wall time of a fresh-runner rebuild if its CPU time were spread perfectly over the cores
  const floor = r => median(r.samples.cpu.map(c => c.machine)) / os.cpus().length;
  const rounds = (r, kind, i) => r.samples[kind].map((t, n) => `${t.toFixed(1)}${r.samples.missed[n][i] ? '*' : ''}`).join(', ');
  const missed = repos.reduce((n, r) => n + r.samples.missed.flat().filter(Boolean).length, 0);
  const names = rs => rs.map(r => r.name).join(' and ');
  // a repository above the goal: what its one-line change costs even on a warm machine (no cache removes that)
  const warmToo = rs => rs.map(r => `${ratio(r, 'oneLine').toFixed(2)} (${r.name})`).join(' and ');
  const goal = (within, others) => !others.length ? 'within the 0.25 goal'
    : `${within.length ? `within the 0.25 goal for ${names(within)}, not for ${names(others)}` : 'not within the 0.25 goal'}, whose one-line change costs ${warmToo(others)} of the cold build even on a warm machine`;
  return `## Rebuilds: a one-line change on a fresh CI runner costs a fraction of a cold build

Measured on ${today}. Two repositories of three Go services, \`make build-multiarch PUSH=true\` for
linux/amd64 and linux/arm64, ${ROUNDS_REBUILD} rounds each:
- **nephoran**: examples/nephoran's Go services (llm-processor with UPX; nephio-bridge and oran-adaptor
  on the shared Dockerfile). They use the standard library only; the change is in
  \`internal/service/service.go\`, which every service compiles.
- **fleet** (scripts/bench-fleet): services with real third-party dependencies, vendored
  (github.com/google/pprof, golang.org/x/tools, x/mod, x/sync, x/telemetry: the dependencies of the Go
  distribution's own commands, since this machine has no module proxy); no UPX. The change is in
  \`internal/version/version.go\`, which every service compiles.

Every build after the cold one exports to and imports from one registry cache (\`CACHE_REGISTRY\`,
\`mode=max\`), as CI does; the fresh runner has an empty builder cache (\`docker builder prune -af\`)
and only that registry cache. Medians:

| build | nephoran | / cold | fleet | / cold |
| --- | --- | --- | --- | --- |
${row('cold (empty builder cache, `--no-cache`, no registry cache)', 'cold')}
${row('warm, no change', 'warm')}
${row('warm, one-line change', 'oneLine')}
${row('fresh runner, registry cache only, one-line change', 'fresh')}
${row('fresh runner, pull-request build (`make ci-build`: cache read-only, no push), one-line change', 'freshPr')}

${repos.some(r => r.flakes) ? `Rounds run again because the lab's registry (distribution 2.8) answered a push with a 500 (a HEAD racing a tag write): ${repos.map(r => `${r.name} ${r.flakes ?? 0}`).join(', ')}.
` : ''}Every fresh-runner round, in seconds: ${repos.map(r => `${r.name} ${rounds(r, 'fresh', 0)} (pull-request builds ${rounds(r, 'freshPr', 1)})`).join('; ')}.
${missed ? `In the ${missed} round(s) marked *, BuildKit compiled the shared \`deps\` stage again (its step ran instead of coming from the registry cache, which held it; see docs/troubleshooting.md). The medians above include them.` : 'In every round the shared `deps` stage came from the registry cache.'}

Where the CPU goes in a fresh-runner rebuild (medians, ${both(r => r.name)}): BuildKit itself (the dockerd
process: layer compression, content checksums, cache import and export) ${both(r => cpu(r, 'buildkit'))} CPU-s; the build
steps' commands (go, UPX) ${both(r => cpu(r, 'steps'))}; containerd (image store, snapshots) ${both(r => cpu(r, 'containerd'))}; the whole
machine ${both(r => cpu(r, 'machine'))} CPU-s, on ${os.cpus().length} cores, for ${both(r => median(r.samples.fresh).toFixed(1))} s of wall time.
That CPU time alone, spread perfectly over the ${os.cpus().length} cores, would take ${both(r => floor(r).toFixed(1))} s, ${both(r => `${Math.round(100 * floor(r) / median(r.samples.fresh))}%`)} of
the wall time${repos.every(r => floor(r) >= 0.75 * median(r.samples.fresh)) ? ': no schedule of this work is much faster on this machine' : ''} (0.25 of the cold build is ${both(r => (0.25 * median(r.samples.cold)).toFixed(1))} s).

On the fresh runner the module download (or vendor tree), the standard library and the dependencies
come from the registry cache as layers (the \`modules\` and \`deps\` stages, one per platform that
all services of a module share: the bake target \`_go-deps\`, which the services name as their \`deps\`
context, so bake builds it once), so only the services' own packages are compiled: a one-line change
costs a fresh runner ${repos.map(r => `${(median(r.samples.fresh) / median(r.samples.oneLine)).toFixed(2)}× (${r.name})`).join(' and ')} what it costs a warm
machine. Each service's compile, UPX and file times are one step (the UPX tool is in the shared
stages), so the cache it exports and imports per service and platform is one small layer. What is left
is what a one-line change costs even on a warm machine, and no cache removes: compiling the changed
packages and linking every binary again (three services, two platforms, on 2 cores), exporting and
pushing the images and the cache, and in nephoran UPX (\`--best --lzma\`, a few seconds), which packs
llm-processor again after every change of the binary. That floor grows with the size of the binaries,
not with the time the dependencies take to compile, so the share is smaller in a repository that
compiles more (fleet against nephoran); in these small offline repositories (a cold build
of under a minute) the fresh-runner rebuild is ${repos.map(r => `${ratio(r, 'fresh').toFixed(2)} (${r.name})`).join(' and ')} of the cold build,
${goal(repos.filter(r => ratio(r, 'fresh') <= 0.25), repos.filter(r => ratio(r, 'fresh') > 0.25))}${repos.some(r => ratio(r, 'freshPr') <= 0.25) ? `; a pull-request build, which neither pushes nor exports the cache, is ${repos.map(r => `${ratio(r, 'freshPr').toFixed(2)} (${r.name})`).join(' and ')}` : ''}.`;
}

/**
 * Python install strategies: one service installing the same requirements (the e2e wheelhouse's,
 * scripts/wheelhouse.sh, in PyPI's tag shapes: Jinja2 pure, MarkupSafe manylinux_2_17/manylinux2014,
 * msgpack manylinux_2_28, psutil abi3, a wheel per architecture for each native one) with TARGET (pip on the
 * target platform: QEMU for arm64) and with CROSS_WHEELS (pip on the build platform), each built
 * cold for one platform at a time, alternating. Reports the medians and the arm64/amd64 ratios.
 */
function pythonReport() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-python-'));
  const app = 'import jinja2, markupsafe._speedups, msgpack._cmsgpack, psutil, platform\nprint(jinja2.Template("{{ m }}").render(m=platform.machine()))\n';
  for (const d of ['target', 'cross']) {
    fs.mkdirSync(path.join(dir, d, 'app'), { recursive: true });
    fs.writeFileSync(path.join(dir, d, 'app', '__main__.py'), app);
    fs.writeFileSync(path.join(dir, d, 'requirements.txt'), 'Jinja2\nMarkupSafe\nmsgpack\npsutil\n');
    execFileSync('bash', [path.join(ROOT, 'scripts/wheelhouse.sh'), path.join(dir, d, 'wheels')], { env, stdio: 'ignore' });
  }
  const { Project } = require(path.join(ROOT, 'node_modules/projen'));
  const { MultiArchPipeline, PythonService, PythonInstallStrategy } = require(path.join(ROOT, 'lib'));
  const project = new Project({ name: 'bench-python', outdir: dir });
  new MultiArchPipeline(project, { dockerfileSyntax: '' });
  const common = { baseImage: env.LAB_PYTHON_IMAGE, localPackages: ['wheels'], pipInstallArgs: ['--no-index', '--find-links=wheels'], command: ['python', '-m', 'app'] };
  new PythonService(project, 'target', { ...common, directory: 'target' });
  new PythonService(project, 'cross', { ...common, directory: 'cross', installStrategy: PythonInstallStrategy.CROSS_WHEELS, glibcVersion: '2.36' });
  process.env.PROJEN_DISABLE_POST = 'true';
  project.synth();
  const samples = { target: { 'linux/amd64': [], 'linux/arm64': [] }, cross: { 'linux/amd64': [], 'linux/arm64': [] } };
  for (let round = 1; round <= ROUNDS; round++) {
    for (const svc of ['target', 'cross']) {
      for (const platform of PLATFORMS) {
        spawnSync('docker', ['builder', 'prune', '-af', '--filter', 'type=exec.cachemount'], { env, stdio: 'ignore' });
        const start = process.hrtime.bigint();
        const r = spawnSync('make', [`build-${svc}`, 'BUILDX_DRIVER=docker', 'PUSH=true', `PLATFORMS=${platform}`, 'CACHE_REGISTRY=', 'BAKE_FLAGS=--no-cache',
          'VERSION=bench-python', `REGISTRY=127.0.0.1:5000/bench-python-${Date.now()}`], { cwd: dir, env, encoding: 'utf8' });
        if (r.status !== 0) {
          console.error(r.stdout + r.stderr);
          process.exit(1);
        }
        const wall = Number(process.hrtime.bigint() - start) / 1e9;
        const install = stepSeconds(r.stdout + r.stderr, /RUN .*echo "installing/);
        samples[svc][platform].push({ wall, install });
        console.log(`python ${svc} ${platform} round ${round}: make ${wall.toFixed(1)}s, install step ${install.toFixed(1)}s`);
      }
    }
  }
  const med = (svc, p, k) => median(samples[svc][p].map(x => x[k]));
  const ratio = (svc, k) => med(svc, 'linux/arm64', k) / med(svc, 'linux/amd64', k);
  const names = { target: '`TARGET` (pip on the target platform)', cross: '`CROSS_WHEELS` (pip on the build platform)' };
  const rows = ['target', 'cross'].map(svc => `| ${names[svc]} | ${PLATFORMS.map(p => `${med(svc, p, 'wall').toFixed(1)} s`).join(' | ')} | **${ratio(svc, 'wall').toFixed(2)}** | ${PLATFORMS.map(p => `${med(svc, p, 'install').toFixed(1)} s`).join(' | ')} | ${ratio(svc, 'install').toFixed(2)} |`);
  return `## Python: CROSS_WHEELS builds arm64 as fast as amd64

Measured on ${today}. One Python service, the same requirements (Jinja2, and MarkupSafe, msgpack and
psutil with their C extensions: real wheels in PyPI's tag shapes, manylinux_2_17 + manylinux2014,
manylinux_2_28 and abi3, one per architecture, from scripts/wheelhouse.sh) installed from a local
wheelhouse (\`--no-index --find-links=wheels\`) with each install strategy. \`make build-<service>\` for one
platform at a time, cold (\`--no-cache\`, pip's cache mount cleared), ${ROUNDS} rounds. Medians:

| strategy | make, linux/amd64 | make, linux/arm64 | arm64 / amd64 | install step, amd64 | install step, arm64 | arm64 / amd64 |
| --- | --- | --- | --- | --- | --- | --- |
${rows.join('\n')}

With TARGET, pip runs in an arm64 container under QEMU on this amd64 machine: the emulation cost is
the arm64/amd64 ratio of its install step. With CROSS_WHEELS the install runs natively for both
platforms and the arm64 image holds the arm64 wheels (the e2e tier runs both images and checks the
architecture of every native module it loaded). TARGET stays the choice for dependencies that must be built
from source (\`buildPackages\`); see README, "Python services".`;
}

/** A throwaway repository with examples/nephoran's Go sources and its three Go services, synthesized by the built library. */
function nephoranGoConsumer(images) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-go-'));
  for (const f of ['go.mod', 'cmd', 'internal']) fs.cpSync(path.join(EXAMPLE, f), path.join(dir, f), { recursive: true });
  for (const f of fs.readdirSync(path.join(dir, 'cmd'), { recursive: true })) if (String(f).endsWith('Dockerfile')) fs.rmSync(path.join(dir, 'cmd', String(f)));
  synthGoConsumer(dir, [['llm-processor', { upx: true, port: 8080 }], ['nephio-bridge', { sharedDockerfile: true, port: 8081 }], ['oran-adaptor', { sharedDockerfile: true, port: 8082 }]], images);
  return dir;
}

/**
 * A throwaway repository with real dependencies: scripts/bench-fleet's sources, with the go.mod and
 * vendor tree of the Go distribution's own commands, copied out of the lab's Go image.
 */
function fleetConsumer(images) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-fleet-'));
  fs.cpSync(path.join(ROOT, 'scripts/bench-fleet'), dir, { recursive: true, filter: f => !f.endsWith('README.md') });
  const script = 'cp -r "$(go env GOROOT)/src/cmd/vendor" /out/vendor && sed "s|^module cmd$|module example.com/fleet|" "$(go env GOROOT)/src/cmd/go.mod" > /out/go.mod && chown -R "$OWNER" /out/vendor /out/go.mod';
  execFileSync('docker', ['run', '--rm', '-e', `OWNER=${process.getuid()}:${process.getgid()}`, '-v', `${dir}:/out`, env.LAB_GOLANG_IMAGE, 'sh', '-c', script], { env, stdio: 'inherit' });
  synthGoConsumer(dir, [['api', {}], ['vet', { sharedDockerfile: true }], ['tools', { sharedDockerfile: true }]], images);
  return dir;
}

/** Synthesizes GoServices into `dir`; `images` (builderImage, runtimeImage) defaults to the lab's. */
function synthGoConsumer(dir, services, images = { builderImage: env.LAB_GOLANG_IMAGE, runtimeImage: env.LAB_DISTROLESS_IMAGE }) {
  const { Project } = require(path.join(ROOT, 'node_modules/projen'));
  const { GoService, MultiArchPipeline } = require(path.join(ROOT, 'lib'));
  const project = new Project({ name: 'bench-go', outdir: dir });
  new MultiArchPipeline(project, { dockerfileSyntax: '' });
  for (const [name, options] of services) new GoService(project, name, { ...images, ...options });
  process.env.PROJEN_DISABLE_POST = 'true';
  project.synth();
}

/**
 * Reproducibility: for a Go service with UPX and the Python service, both platforms at once:
 * A cold at commit time T1; B cold again at T1 with every source file touched; C a warm rebuild at
 * T2 (a later commit that does not change the service); D cold at T2. A must equal B and C must
 * equal D, per platform. Each build pushes to its own repository, so the registry name differs too.
 */
function reproReport() {
  const T1 = '1767225600'; // 2026-01-01T00:00:00Z
  const T2 = '1767312000'; // 2026-01-02T00:00:00Z
  const rows = [];
  for (const svc of ['llm-processor', 'rag-api']) {
    const build = (label, epoch, cold) => {
      if (cold) spawnSync('docker', ['builder', 'prune', '-af'], { env, stdio: 'ignore' });
      const start = process.hrtime.bigint();
      const r = spawnSync('make', [`build-${svc}`, 'BUILDX_DRIVER=docker', 'PUSH=true', 'CACHE_REGISTRY=', `SOURCE_DATE_EPOCH=${epoch}`,
        'VERSION=bench-repro', `REGISTRY=127.0.0.1:5000/bench-repro-${label}`, ...(cold ? ['BAKE_FLAGS=--no-cache'] : [])], { cwd: EXAMPLE, env, encoding: 'utf8' });
      if (r.status !== 0) {
        console.error(r.stdout + r.stderr);
        process.exit(1);
      }
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      console.log(`repro ${svc} ${label}: ${seconds.toFixed(1)}s`);
      return { seconds, digests: platformDigests(`127.0.0.1:5000/bench-repro-${label}/${svc}:bench-repro`) };
    };
    const a = build('a', T1, true);
    spawnSync('bash', ['-c', 'sleep 1; find . -name node_modules -prune -o -type f -exec touch {} +'], { cwd: EXAMPLE });
    const b = build('b', T1, true);
    const c = build('c', T2, false);
    const d = build('d', T2, true);
    for (const p of PLATFORMS) {
      const same = (x, y) => (x.digests[p] === y.digests[p] ? 'identical' : '**different**');
      rows.push(`| ${svc} | ${p} | \`${a.digests[p].slice(7, 19)}\` | ${same(a, b)} | \`${c.digests[p].slice(7, 19)}\` | ${same(c, d)} |`);
    }
    rows.push(`| ${svc} | build time (both platforms) | ${a.seconds.toFixed(0)} s | ${b.seconds.toFixed(0)} s | ${c.seconds.toFixed(0)} s | ${d.seconds.toFixed(0)} s |`);
  }
  return `## The same commit builds the same image

Measured on ${today}. \`make build-<service>\` from examples/nephoran for linux/amd64 and linux/arm64,
each build pushed to its own repository. A: cold (empty builder cache, \`--no-cache\`) at
SOURCE_DATE_EPOCH T1. B: cold again at T1, after every source file's time was changed. C: a warm
rebuild at T2, as after a commit that does not change the service. D: cold at T2. Per-platform
manifest digests (the index digests differ: provenance attestations carry timestamps):

| service | platform | A (cold, T1) | B (cold, T1, sources touched) vs A | C (warm, T2) | D (cold, T2) vs C |
| --- | --- | --- | --- | --- | --- |
${rows.join('\n')}

A = B shows that neither the clock, the clone's file times nor the registry name reaches the image.
C = D shows that a warm builder gives what a fresh one gives: file times in the layers are a
constant, and only the config's dates follow SOURCE_DATE_EPOCH. The e2e tier checks A = B for
every service of the three examples on every run (\`npm run test:e2e\`).`;
}

/** platform -> manifest digest of a pushed index (attestation manifests skipped). */
function platformDigests(ref) {
  const index = JSON.parse(execFileSync('docker', ['buildx', 'imagetools', 'inspect', ref, '--raw'], { env, encoding: 'utf8' }));
  const out = {};
  for (const m of index.manifests || []) {
    if (m.platform && m.platform.os !== 'unknown') out[`${m.platform.os}/${m.platform.architecture}`] = m.digest;
  }
  return out;
}

/** The synthesis section (scripts/bench-synth.js): CPU time by number of Go services, no lab. */
function synthesisReport() {
  if (!fs.existsSync(path.join(ROOT, 'lib/index.js'))) {
    console.error('lib/ is not built: run npx projen compile');
    process.exit(1);
  }
  const synth = require('./bench-synth');
  return synth.report(synth.measure());
}

/** Writes BENCHMARKS.md: the sections measured now, and the others as they were. */
function writeReport(fresh) {
  const file = path.join(ROOT, 'BENCHMARKS.md');
  const old = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
  const section = name => fresh[name] ?? (new RegExp(`<!-- bench:${name} -->\\n([\\s\\S]*?)\\n<!-- /bench:${name} -->`).exec(old) || [])[1];
  const body = ALL_SECTIONS.map(name => section(name) && `<!-- bench:${name} -->\n${section(name)}\n<!-- /bench:${name} -->`).filter(x => x);
  const report = `# Benchmarks

Measured by \`npm run bench\` (scripts/bench.js): ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ${os.platform()}/${os.arch()}, the local lab
(docker driver, containerd image store; dockerd 26 and buildx 0.13 unless a section names other
versions; the synthesis section needs no engine). Every ratio is measured within one run. Regenerate with \`scripts/lab.sh up && npm run example && npm run bench\` (\`-- --only repro\` for
one section).

${body.join('\n\n')}
`;
  fs.writeFileSync(file, report);
  console.log(`\n${report}`);
}

function stepSeconds(log, pattern) {
  // a plain-progress log repeats a step's header each time its output resumes: count each step once
  const steps = new Set([...log.matchAll(/^#(\d+) \[[^\]]*\] (.*)$/gm)].filter(m => pattern.test(m[2])).map(m => m[1]));
  let total = 0;
  for (const id of steps) {
    const done = new RegExp(`^#${id} DONE ([0-9.]+)s`, 'm').exec(log);
    if (done) total += Number(done[1]);
  }
  return total;
}

/**
 * Peers: the generated build against the Dockerfiles users write by hand (scripts/bench-peers), on the
 * same repositories, in one run, with the same stand-in images and cache rules. Per repository and
 * build, each round: cold; warm with no change; warm after a one-line change; a fresh runner (its
 * builder cache holds nothing of this round) with only the registry cache after a one-line change;
 * the same as a pull-request build (cache read-only, no push); image sizes; and cold single-platform
 * builds for the arm64/amd64 ratio. Then the generated CI's split: one job per platform, each a fresh
 * runner with its own registry cache, and the merge, against the one job that builds both platforms.
 * Rounds: --rounds if given, else 1 (a round takes about an hour on 2 cores shared with other builds);
 * --peers-minutes N starts no repository after N minutes.
 */
function peersReport() {
  // --peers-results FILE: write the section from the measurements a previous run saved (no builds)
  const resultsArg = process.argv.indexOf('--peers-results');
  if (resultsArg > 0) {
    const file = process.argv[resultsArg + 1];
    const saved = JSON.parse(fs.readFileSync(file, 'utf8'));
    // with --peers-split: measure the split-CI part again (a round of it per repository), keep the rest
    if (process.argv.includes('--peers-split')) {
      const stand = peerStandins();
      const repos = peerRepos(stand);
      const marks = peerRoundImages(stand, `${Date.now().toString(36)}-split`);
      for (const repo of repos) {
        const old = saved.repos.find(r => r.name === repo.name);
        if (!old || old.skipped) continue;
        delete old.splitError;
        old.split = [peerSplitCi(repo, repo.variants[0], marks)];
        old.splitSeparately = true;
      }
      fs.writeFileSync(file, JSON.stringify(saved, null, 1));
    }
    return peersMarkdown(saved.repos, saved.rounds, saved.engine);
  }
  const rounds = roundsArg > 0 ? ROUNDS : 1;
  const run = `${Date.now().toString(36)}`;
  // --peers-minutes: no repository starts after that (default: no limit)
  const budgetArg = process.argv.indexOf('--peers-minutes');
  const budget = budgetArg > 0 ? Number(process.argv[budgetArg + 1]) : Infinity;
  const started = Date.now();
  const stand = peerStandins();
  const repos = peerRepos(stand);
  for (let round = 1; round <= rounds; round++) {
    const marks = peerRoundImages(stand, `${run}-r${round}`);
    for (const repo of repos) {
      if ((Date.now() - started) / 60000 > budget) {
        console.log(`peers ${repo.name}: skipped, the run's time budget (--peers-minutes ${budget}) is spent`);
        repo.skipped = budget;
        continue;
      }
      peerRound(repo, marks);
      if (!repo.variants[0].error) {
        try {
          repo.split.push(peerSplitCi(repo, repo.variants[0], marks));
        } catch (e) {
          console.log(`peers ${repo.name} split CI: ${e.message}`);
          repo.splitError = e.message;
        }
      }
    }
  }
  const engine = engineVersions();
  const file = path.join(os.tmpdir(), `bench-peers-${run}.json`);
  fs.writeFileSync(file, JSON.stringify({ rounds, engine, repos: repos.map(r => ({ ...r, edit: undefined, variants: r.variants.map(v => ({ ...v, dir: undefined, original: undefined, lastLog: undefined, lastMake: undefined, clone: undefined })) })) }, null, 1));
  console.log(`peers: measurements saved in ${file} (node scripts/bench.js --only peers --peers-results ${file} writes the section again)`);
  return peersMarkdown(repos, rounds, engine);
}

/**
 * The stand-in images (scripts/bench-peers/standins) in the lab registry, built when missing; their
 * tag is a hash of their inputs. Returns the map from the names the fixtures use to the built images.
 */
function peerStandins() {
  const crypto = require('crypto');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-peers-standins-'));
  fs.cpSync(path.join(ROOT, 'scripts/bench-peers/standins'), dir, { recursive: true });
  execFileSync('bash', [path.join(ROOT, 'scripts/wheelhouse.sh'), path.join(dir, 'wheels')], { env, stdio: 'ignore' });
  const hash = crypto.createHash('sha256');
  for (const f of fs.readdirSync(dir, { recursive: true }).map(String).sort()) {
    const p = path.join(dir, f);
    if (fs.statSync(p).isFile()) hash.update(f).update(fs.readFileSync(p));
  }
  for (const image of [env.LAB_GOLANG_IMAGE, env.LAB_PYTHON_IMAGE]) hash.update(imageDigest(image));
  const tag = hash.digest('hex').slice(0, 12);
  const built = {};
  for (const [target, platforms] of [['golang', 'linux/amd64'], ['alpine', 'linux/amd64,linux/arm64'], ['python', 'linux/amd64,linux/arm64']]) {
    const ref = `127.0.0.1:5000/bench-peers/${target}:${tag}`;
    built[target] = ref;
    if (spawnSync('docker', ['buildx', 'imagetools', 'inspect', ref], { env, stdio: 'ignore' }).status === 0) continue;
    console.log(`peers: building the stand-in ${ref} (${platforms}; arm64 under QEMU, once)`);
    const r = spawnSync('docker', ['buildx', 'build', '--build-arg', `LAB_GOLANG_IMAGE=${env.LAB_GOLANG_IMAGE}`, '--build-arg', `LAB_PYTHON_IMAGE=${env.LAB_PYTHON_IMAGE}`,
      '--target', target, '--platform', platforms, '--provenance=false', '-t', ref, '--push', '.'], { cwd: dir, env, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`stand-in ${target}:\n${r.stdout}${r.stderr}`);
  }
  const goSum = execFileSync('docker', ['run', '--rm', built.golang, 'cat', '/bench-goproxy/fleet.go.sum'], { env, encoding: 'utf8' });
  fs.rmSync(dir, { recursive: true, force: true });
  // the names the fixtures (and the generated builds of this section) use -> [built image, its platforms]
  return {
    goSum,
    images: {
      'golang:1.24': built.golang, 'golang:1.24-alpine': built.golang,
      'alpine:3.20': built.alpine, 'alpine:latest': built.alpine,
      'python:3.11-slim': built.python,
      'distroless-static:nonroot': env.LAB_DISTROLESS_IMAGE,
    },
  };
}

function imageDigest(ref) {
  return execFileSync('docker', ['buildx', 'imagetools', 'inspect', ref, '--format', '{{json .Manifest.Digest}}'], { env, encoding: 'utf8' }).trim();
}

/**
 * This round's copies of the stand-ins, each with one layer of its own (a file naming the round), under
 * 127.0.0.1:5000/bench-peers-<round>/: everything the round builds descends from them, so a fresh
 * runner is simulated by removing exactly those builder-cache records (and the cache mounts), without
 * touching anyone else's cache on the shared engine. Returns the registry prefix and the layer digests
 * of the bases (an image's size without them is what its Dockerfile adds).
 */
function peerRoundImages(stand, id) {
  const prefix = `127.0.0.1:5000/bench-peers-${id}/`;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-peers-round-'));
  fs.writeFileSync(path.join(dir, 'round'), `${id}\n`);
  const bySource = {};
  for (const [name, source] of Object.entries(stand.images)) (bySource[source] ??= []).push(name);
  const baseLayers = new Set();
  for (const [source, names] of Object.entries(bySource)) {
    const platforms = Object.keys(platformDigests(source)).join(',') || 'linux/amd64';
    fs.writeFileSync(path.join(dir, 'Dockerfile'), `FROM ${source}\nCOPY round /.bench-peers-round\n`);
    const r = spawnSync('docker', ['buildx', 'build', '--platform', platforms, '--provenance=false', ...names.flatMap(n => ['-t', prefix + n]), '--push', '.'], { cwd: dir, env, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`round image ${names}:\n${r.stdout}${r.stderr}`);
    for (const layers of Object.values(imageLayers(prefix + names[0]))) for (const l of layers) baseLayers.add(l.digest);
  }
  fs.rmSync(dir, { recursive: true, force: true });
  return { id, prefix, baseLayers };
}

/** platform -> the layers ({digest, size}) of an image, from the registry. */
function imageLayers(ref) {
  const raw = r => JSON.parse(execFileSync('docker', ['buildx', 'imagetools', 'inspect', r, '--raw'], { env, encoding: 'utf8' }));
  const top = raw(ref);
  const repo = ref.replace(/[:@][^/]*$/, '');
  const out = {};
  for (const m of top.manifests || [{ digest: null, platform: { os: 'linux', architecture: 'amd64' } }]) {
    if (!m.platform || m.platform.os === 'unknown') continue;
    const manifest = m.digest ? raw(`${repo}@${m.digest}`) : top;
    out[`${m.platform.os}/${m.platform.architecture}`] = manifest.layers.map(l => ({ digest: l.digest, size: l.size }));
  }
  return out;
}

/** Puts a round's image names into every Dockerfile and bake file of a directory (fixtures and generated ones). */
function peerRetarget(dir, prefix) {
  for (const f of fs.readdirSync(dir, { recursive: true }).map(String)) {
    if (f.startsWith('vendor/') || !/(^|\/)(Dockerfile[^/]*|[^/]*\.Dockerfile|docker-bake\.hcl)$/.test(f)) continue;
    const p = path.join(dir, f);
    const text = fs.readFileSync(p, 'utf8');
    const next = text.replace(/127\.0\.0\.1:5000\/bench-peers(-[a-z0-9-]+)?\//g, prefix);
    if (next !== text) fs.writeFileSync(p, next);
  }
}

/**
 * The repositories and, for each, its builds: the generated one first (the library synthesized with
 * the stand-ins), then the peers, each in a copy of the repository's sources with the peer's Dockerfiles
 * where its users put them and a bake file that builds all services at once (the guide's Makefile built
 * them one after another: bake gives the peers the parallelism the generated build has).
 */
function peerRepos(stand) {
  const fixture = name => fs.readFileSync(path.join(ROOT, 'scripts/bench-peers', name), 'utf8');
  const fill = (text, values) => text.replace(/\{\{(\w+)\}\}/g, (_, k) => values[k]);
  const images = { builderImage: '127.0.0.1:5000/bench-peers/golang:1.24', runtimeImage: '127.0.0.1:5000/bench-peers/distroless-static:nonroot' };
  const copySources = (from, files) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-peers-repo-'));
    for (const f of files) if (fs.existsSync(path.join(from, f))) fs.cpSync(path.join(from, f), path.join(dir, f), { recursive: true });
    // a module without dependencies has no go.sum, and the peers' Dockerfiles need one (docker init binds it, the guide copies it): an empty one, as their users would add
    if (!fs.existsSync(path.join(dir, 'go.sum'))) fs.writeFileSync(path.join(dir, 'go.sum'), '');
    for (const f of fs.readdirSync(path.join(dir, 'cmd'), { recursive: true }).map(String)) if (f.endsWith('Dockerfile')) fs.rmSync(path.join(dir, 'cmd', f));
    return dir;
  };
  const goVariants = (generatedDir, services, peers) => {
    const sources = ['go.mod', 'go.sum', 'cmd', 'internal', 'vendor'];
    const titles = s => s.split('-').map(w => w[0].toUpperCase() + w.slice(1)).join(' ');
    const dockerInit = copySources(generatedDir, sources);
    for (const [svc, port] of services) fs.writeFileSync(path.join(dockerInit, 'cmd', svc, 'Dockerfile'), fill(fixture('docker-init-go.Dockerfile'), { SERVICE: svc, PORT: port }));
    const perService = copySources(generatedDir, sources);
    for (const [svc, port] of services) fs.writeFileSync(path.join(perService, 'cmd', svc, 'Dockerfile'), fill(fixture('guide-service.Dockerfile'), { SERVICE: svc, TITLE: titles(svc), PORT: port }));
    const shared = copySources(generatedDir, sources);
    let text = fixture('guide-shared.Dockerfile');
    ['llm-processor', 'nephio-bridge', 'oran-adaptor'].forEach((name, i) => { text = text.split(`"${name}")`).join(`"${services[i][0]}")`).split(`cmd/${name}/main.go`).join(`cmd/${services[i][0]}/main.go`); });
    fs.writeFileSync(path.join(shared, 'Dockerfile'), text);
    const guideArgs = { VERSION: 'bench', BUILD_DATE: '2026-01-01T00:00:00Z', VCS_REF: 'bench' };
    return [
      { name: 'generated', label: 'generated (this library)', dir: generatedDir, make: true, images: services.map(([svc]) => svc) },
      { name: 'docker-init', label: '`docker init` (Go template)', dir: dockerInit, targets: services.map(([svc]) => ({ name: svc, dockerfile: `cmd/${svc}/Dockerfile`, args: {} })) },
      { name: 'guide-service', label: 'Nephoran guide, per-service Dockerfiles', dir: perService, targets: services.map(([svc]) => ({ name: svc, dockerfile: `cmd/${svc}/Dockerfile`, args: guideArgs })) },
      { name: 'guide-shared', label: 'Nephoran guide, shared Dockerfile', dir: shared, targets: services.map(([svc]) => ({ name: svc, dockerfile: 'Dockerfile', args: { ...guideArgs, SERVICE: svc } })) },
    ].filter(v => v.name === 'generated' || peers.includes(v.name));
  };
  const nephoran = nephoranGoConsumer(images);
  const fleet = fleetConsumer(images);
  fs.writeFileSync(path.join(fleet, 'go.sum'), stand.goSum);
  // the quickest first, so that a run cut short by --peers-minutes has the most repositories
  const repos = [
    { name: 'python', edit: ['pkg/rag/app/__main__.py', 'platform.machine()', n => `platform.machine()${' '.repeat(n)}`], variants: peerPythonVariants() },
    { name: 'nephoran', edit: ['internal/service/service.go', 'version=%s platform', n => `version=%s${' '.repeat(n)} platform`],
      variants: goVariants(nephoran, [['llm-processor', 8080], ['nephio-bridge', 8081], ['oran-adaptor', 8082]], peerSet('nephoran', ['docker-init', 'guide-service'])) },
    { name: 'fleet', edit: ['internal/version/version.go', 'version=%s platform', n => `version=%s${' '.repeat(n)} platform`],
      variants: goVariants(fleet, [['api', 8080], ['vet', 8081], ['tools', 8082]], peerSet('fleet', ['docker-init'])) },
  ].filter(r => peerRepoNames().includes(r.name));
  for (const repo of repos) {
    repo.split = [];
    for (const v of repo.variants) {
      v.samples = [];
      v.original = fs.readFileSync(path.join(v.dir, repo.edit[0]), 'utf8');
      if (!v.original.includes(repo.edit[1])) throw new Error(`${repo.name}/${v.name}: ${repo.edit[0]} has no "${repo.edit[1]}" to change`);
    }
  }
  return repos;
}

/** The repositories measured: --peers-repos python,nephoran,fleet (all three by default; fewer for a quicker look, not for the report). */
function peerRepoNames() {
  const i = process.argv.indexOf('--peers-repos');
  return i > 0 ? process.argv[i + 1].split(',') : ['python', 'nephoran', 'fleet'];
}

/**
 * The peers built for a repository: --peers-<repo> docker-init,guide-service,guide-shared, else `fallback`
 * (the guide's shared Dockerfile runs its per-service one's steps, and the guide's builds compile
 * everything with -a: measuring every peer on every repository takes hours on 2 shared cores).
 */
function peerSet(repo, fallback) {
  const i = process.argv.indexOf(`--peers-${repo}`);
  return i > 0 ? process.argv[i + 1].split(',') : fallback;
}

/**
 * The Python repository: one service with the realistic wheelhouse's requirements (Jinja2, MarkupSafe
 * and its C extension; scripts/wheelhouse.sh), generated with CROSS_WHEELS, and the guide's Python
 * Dockerfile (pip on the target platform, under QEMU for arm64; its pip reads the stand-in's wheelhouse).
 */
function peerPythonVariants() {
  const app = 'import jinja2, markupsafe._speedups, platform\nprint(jinja2.Template("{{ m }}").render(m=platform.machine()))\n';
  const generated = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-peers-python-'));
  const svc = path.join(generated, 'pkg/rag');
  fs.mkdirSync(path.join(svc, 'app'), { recursive: true });
  fs.writeFileSync(path.join(svc, 'app', '__main__.py'), app);
  fs.writeFileSync(path.join(svc, 'requirements.txt'), 'Jinja2\nMarkupSafe\n');
  execFileSync('bash', [path.join(ROOT, 'scripts/wheelhouse.sh'), path.join(svc, 'wheels')], { env, stdio: 'ignore' });
  const { Project } = require(path.join(ROOT, 'node_modules/projen'));
  const { MultiArchPipeline, PythonService, PythonInstallStrategy } = require(path.join(ROOT, 'lib'));
  const project = new Project({ name: 'bench-peers-python', outdir: generated });
  new MultiArchPipeline(project, { dockerfileSyntax: '' });
  new PythonService(project, 'rag-api', { directory: 'pkg/rag', baseImage: '127.0.0.1:5000/bench-peers/python:3.11-slim', localPackages: ['wheels'],
    pipInstallArgs: ['--no-index', '--find-links=wheels'], command: ['python', '-m', 'app'], installStrategy: PythonInstallStrategy.CROSS_WHEELS, glibcVersion: '2.36' });
  process.env.PROJEN_DISABLE_POST = 'true';
  project.synth();
  const guide = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-peers-python-guide-'));
  fs.mkdirSync(path.join(guide, 'pkg/rag/app'), { recursive: true });
  fs.writeFileSync(path.join(guide, 'pkg/rag/app/__main__.py'), app);
  fs.writeFileSync(path.join(guide, 'requirements-rag.txt'), 'Jinja2\nMarkupSafe\n');
  fs.copyFileSync(path.join(ROOT, 'scripts/bench-peers/guide-python.Dockerfile'), path.join(guide, 'pkg/rag/Dockerfile'));
  return [
    { name: 'generated', label: 'generated, `CROSS_WHEELS`', dir: generated, make: true },
    { name: 'guide-python', label: 'Nephoran guide (pip under QEMU)', dir: guide, targets: [{ name: 'rag-api', dockerfile: 'pkg/rag/Dockerfile', args: { VERSION: 'bench', BUILD_DATE: '2026-01-01T00:00:00Z', VCS_REF: 'bench' } }] },
  ];
}

/**
 * One build of a variant: the generated one through its Makefile, a peer through `docker buildx bake`
 * with a bake file of its targets. opts: platforms, registry, cache (registry prefix or ''),
 * cacheWrite, push, noCache, dir (default the variant's), target (Makefile target), extra (make args).
 */
function peerBuild(repo, variant, label, opts) {
  const dir = opts.dir ?? variant.dir;
  const platforms = opts.platforms ?? PLATFORMS.join(',');
  let cmd;
  let args;
  if (variant.make) {
    cmd = 'make';
    args = [opts.target ?? (opts.push ? 'build-multiarch' : 'ci-build'), 'BUILDX_DRIVER=docker', `PLATFORMS=${platforms}`, `REGISTRY=${opts.registry}`, 'VERSION=bench',
      `CACHE_REGISTRY=${opts.cache ?? ''}`, ...(opts.push && !opts.target ? ['PUSH=true'] : []), ...(opts.noCache ? ['BAKE_FLAGS=--no-cache'] : []), ...(opts.extra ?? [])];
  } else {
    const target = {};
    for (const t of variant.targets) {
      target[t.name] = {
        context: '.', dockerfile: t.dockerfile, platforms: platforms.split(','), args: t.args, tags: [`${opts.registry}/${t.name}:bench`],
        'cache-from': opts.cache ? [`type=registry,ref=${opts.cache}/${t.name}:cache`] : [],
        'cache-to': opts.cache && opts.cacheWrite !== false ? [`type=registry,ref=${opts.cache}/${t.name}:cache,mode=max`] : [],
      };
    }
    const file = path.join(os.tmpdir(), `bench-peers-${variant.name}-${process.pid}.json`);
    fs.writeFileSync(file, JSON.stringify({ group: { default: { targets: Object.keys(target) } }, target }));
    cmd = 'docker';
    args = ['buildx', 'bake', '-f', file, ...(opts.push ? ['--push'] : []), ...(opts.noCache ? ['--no-cache'] : [])];
  }
  // the generated build's recipe lines, each timed (scripts/bench-peers/timed-sh): bake against make's own steps
  const times = path.join(os.tmpdir(), `bench-peers-make-${process.pid}.txt`);
  fs.rmSync(times, { force: true });
  if (variant.make) args.push(`SHELL=${path.join(ROOT, 'scripts/bench-peers/timed-sh')}`);
  const start = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { cwd: dir, env: { ...env, BENCH_MAKE_TIMES: times }, encoding: 'utf8', maxBuffer: 256 * 2 ** 20 });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  variant.lastMake = variant.make ? makeLineTimes(times) : undefined;
  if (r.status !== 0) {
    if (/500 Internal Server Error/.test(r.stdout + r.stderr)) throw new RegistryFlake(`${repo.name} ${variant.name} ${label}`);
    console.error(r.stdout + r.stderr);
    const why = (r.stdout + r.stderr).split('\n').filter(l => /ERROR|error:|failed to solve/.test(l)).slice(-2).join(' / ');
    throw new Error(`${label} failed: ${why.slice(0, 400)}`);
  }
  const outside = variant.lastMake ? ` (make's steps outside bake ${variant.lastMake.other.toFixed(1)}s: ${variant.lastMake.top.map(([l, t]) => `${t.toFixed(1)}s ${l.slice(0, 60)}`).join('; ')})` : '';
  console.log(`peers ${repo.name} ${variant.name} ${label}: ${seconds.toFixed(1)}s${outside}`);
  variant.lastLog = r.stdout + r.stderr;
  return seconds;
}

/**
 * What a generated build's recipe lines took (the file scripts/bench-peers/timed-sh wrote): the bake
 * calls, everything else (the checks, setup-buildx, keep-digest, the $(shell …) of the variables), and
 * the three longest of the rest, as [command, seconds].
 */
function makeLineTimes(file) {
  const lines = fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').filter(l => l) : [];
  fs.rmSync(file, { force: true });
  const parsed = lines.map(l => { const i = l.indexOf(' '); return [makeCommand(l.slice(i + 1)), Number(l.slice(0, i)) / 1000]; });
  const bake = parsed.filter(([l]) => /^docker buildx bake /.test(l));
  const rest = parsed.filter(([l]) => !/^docker buildx bake /.test(l));
  const sum = xs => xs.reduce((n, [, t]) => n + t, 0);
  return { bake: sum(bake), other: sum(rest), top: rest.sort((a, b) => b[1] - a[1]).slice(0, 3) };
}

/** A recipe line's command: from its first word that is not `set -f;` or a variable assignment (the bake call starts with both). */
function makeCommand(line) {
  return line.replace(/\\\s+/g, ' ').replace(/^\s*set -f; /, '').replace(/^\s*([A-Z_]+="[^"]*"\s*)+/, '').trim();
}

/**
 * A fresh runner on the shared engine: removes the builder-cache records that descend from this
 * round's base images (so nothing this round built is left; other users' records stay) and the cache
 * mounts, as the other sections do (a fresh runner has none).
 */
function peerFreshRunner(marks) {
  spawnSync('docker', ['builder', 'prune', '-af', '--filter', 'type=exec.cachemount'], { env, stdio: 'ignore' });
  for (let pass = 0; pass < 5; pass++) {
    const records = execFileSync('docker', ['buildx', 'du', '--format', 'json'], { env, encoding: 'utf8', maxBuffer: 256 * 2 ** 20 })
      .split('\n').filter(l => l.trim()).map(l => JSON.parse(l));
    // the round images' own layers (built here, so their records carry the step's text) stay, as a
    // runner's pulled base images would; everything built on them goes
    const bases = new Set(records.filter(r => (r.Description || '').includes('COPY round /.bench-peers-round')).map(r => r.ID));
    const mine = new Set();
    for (let grew = true; grew;) {
      grew = false;
      for (const r of records) if (!bases.has(r.ID) && !mine.has(r.ID) && (r.Parents || []).some(p => bases.has(p) || mine.has(p))) { mine.add(r.ID); grew = true; }
    }
    if (!mine.size) return;
    if (pass === 4) {
      // records still in use (a build being cancelled) cannot go: say so, the measurement goes on
      console.log(`peers: ${mine.size} builder-cache records of this bench are in use and stay`);
      return;
    }
    if (pass > 0) spawnSync('sleep', ['3']);
    // one id filter only (buildx): it is a regular expression
    spawnSync('docker', ['buildx', 'prune', '-af', '--filter', `id=^(${[...mine].join('|')})$`], { env, stdio: 'ignore' });
  }
}

/** Copies a directory, so that a fresh runner's build context is sent whole, as from a new clone. */
function peerClone(dir) {
  const to = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-peers-clone-'));
  fs.cpSync(dir, to, { recursive: true });
  return to;
}

/**
 * One round of a repository: each step for every build in turn (cold for all, then warm for all, ...),
 * so that the load other users put on the shared engine falls on all of them alike. A build that fails
 * is reported, and its later steps are skipped; a 500 from the lab's registry repeats the step.
 */
function peerRound(repo, marks) {
  const live = () => repo.variants.filter(v => !v.error);
  const reg = (v, what) => `127.0.0.1:5000/bench-peers-${marks.id}-${repo.name}-${v.name}-${what}`;
  const edit = (v, n, dir = v.dir) => fs.writeFileSync(path.join(dir, repo.edit[0]), v.original.replace(repo.edit[1], repo.edit[2](n)));
  const step = (label, fn) => {
    for (const v of live()) {
      for (let tries = 1; ; tries++) {
        try {
          fn(v, v.current);
          break;
        } catch (e) {
          if (e instanceof RegistryFlake && tries < 4) {
            v.flakes = (v.flakes ?? 0) + 1;
            console.log(`peers ${repo.name} ${v.name}: the lab registry answered 500 during "${label}"; again`);
            continue;
          }
          v.error = e.message;
          console.log(`peers ${repo.name} ${v.name}: ${e.message}`);
          break;
        }
      }
    }
  };
  for (const v of live()) {
    peerRetarget(v.dir, marks.prefix);
    v.current = { load: [] };
  }
  const timed = (v, s, key, label, opts) => {
    s.load.push(os.loadavg()[0]);
    s[key] = peerBuild(repo, v, label, opts);
    (s.top ??= {})[key] = longestSteps(v.lastLog, 3);
    if (v.lastMake) (s.make ??= {})[key] = v.lastMake;
  };
  step('cold', (v, s) => {
    edit(v, 0);
    // --no-cache ignores the builder cache; only the cache mounts must go (the records stay for the warm builds)
    spawnSync('docker', ['builder', 'prune', '-af', '--filter', 'type=exec.cachemount'], { env, stdio: 'ignore' });
    timed(v, s, 'cold', 'cold', { registry: reg(v, 'cold'), push: true, noCache: true });
    s.steps = platformStepTimes(v.lastLog);
    s.size = {};
    for (const t of peerImages(repo, v)) {
      for (const [p, layers] of Object.entries(imageLayers(`${reg(v, 'cold')}/${t}:bench`))) {
        s.size[p] ??= { total: 0, added: 0 };
        for (const l of layers) { s.size[p].total += l.size; if (!marks.baseLayers.has(l.digest)) s.size[p].added += l.size; }
      }
    }
  });
  step('fill', v => peerBuild(repo, v, 'filling the registry cache', { registry: reg(v, 'fill'), push: true, cache: reg(v, 'cache') }));
  step('warm', (v, s) => timed(v, s, 'warm', 'warm, no change', { registry: reg(v, 'warm'), push: true, cache: reg(v, 'cache') }));
  step('one-line', (v, s) => {
    edit(v, 1);
    timed(v, s, 'oneLine', 'warm, one-line change', { registry: reg(v, 'one'), push: true, cache: reg(v, 'cache') });
  });
  step('fresh', (v, s) => {
    peerFreshRunner(marks);
    edit(v, 2);
    v.clone = peerClone(v.dir);
    timed(v, s, 'fresh', 'fresh runner, one-line change', { registry: reg(v, 'fresh'), push: true, cache: reg(v, 'cache'), dir: v.clone });
  });
  step('pull request', (v, s) => {
    peerFreshRunner(marks);
    edit(v, 3, v.clone);
    timed(v, s, 'freshPr', 'fresh runner, pull-request build', { registry: reg(v, 'pr'), push: false, cache: reg(v, 'cache'), cacheWrite: false, dir: v.clone, target: v.make ? 'ci-build' : undefined });
  });
  for (const v of repo.variants) {
    if (v.clone) fs.rmSync(v.clone, { recursive: true, force: true });
    delete v.clone;
    edit(v, 0);
  }
  for (const v of live()) v.samples.push(v.current);
}

/**
 * The build steps' times per target platform in a build's plain progress output, counting only the
 * steps that ran for both platforms: what the arm64 image costs against the amd64 one in the same
 * build. A step of a $BUILDPLATFORM stage that serves the other platform is labelled
 * "linux/amd64->arm64"; a step both platforms share runs once, for neither alone, and is left out.
 */
function platformStepTimes(log) {
  const done = {};
  for (const m of log.matchAll(/^#(\d+) DONE (\d+(?:\.\d+)?)s$/gm)) done[m[1]] = Number(m[2]);
  const steps = {};
  // "#12 [<bake target> linux/amd64->arm64 <stage> 3/9] RUN …" (bake names the target when it builds several);
  // keyed without the command, whose build args BuildKit shows expanded (they differ between the platforms)
  for (const m of log.matchAll(/^#(\d+) \[(\S+ )?linux\/(amd64|arm64)(?:->(amd64|arm64))? ([^\]]*)\]/gm)) {
    if (done[m[1]] !== undefined && !m[5].startsWith('internal')) (steps[`${m[2] ?? ''}${m[5]}`] ??= {})[`linux/${m[4] ?? m[3]}`] = done[m[1]];
  }
  const out = { 'linux/amd64': 0, 'linux/arm64': 0 };
  for (const t of Object.values(steps)) if (t['linux/amd64'] !== undefined && t['linux/arm64'] !== undefined) for (const p of PLATFORMS) out[p] += t[p];
  return out;
}

/**
 * The `n` longest steps of a build's plain progress output, as [step, seconds]: where a build's time
 * went (the report names them where the generated build is slower than a peer).
 */
function longestSteps(log, n) {
  const name = {};
  const done = {};
  for (const m of log.matchAll(/^#(\d+) (\[[^\]]*\] .*|[a-z].*)$/gm)) name[m[1]] ??= m[2];
  for (const m of log.matchAll(/^#(\d+) DONE (\d+(?:\.\d+)?)s$/gm)) done[m[1]] = Math.max(done[m[1]] ?? 0, Number(m[2]));
  return Object.entries(done).filter(([id]) => name[id]).sort((a, b) => b[1] - a[1]).slice(0, n)
    .map(([id, t]) => [name[id].replace(/--mount=\S+\s+/g, '').replace(/\s+/g, ' ').slice(0, 90), t]);
}

/** The image names a variant pushes. */
function peerImages(repo, variant) {
  if (!variant.make) return variant.targets.map(t => t.name);
  return repo.name === 'python' ? ['rag-api'] : variant.images;
}

/**
 * The generated CI's split: one job per platform (make ci-push-platform PLATFORM=…, as the generated
 * workflows run it on native runners), each a fresh runner reading and writing its own registry cache
 * (CACHE_TAG cache-linux-<arch>), after a one-line change; then the merge (make ci-merge). Run one
 * after the other here; on CI the jobs run side by side, so the split's wall time is the slower job
 * plus the merge.
 */
function peerSplitCi(repo, variant, marks) {
  peerRetarget(variant.dir, marks.prefix);
  const file = path.join(variant.dir, repo.edit[0]);
  const original = variant.original;
  const reg = `127.0.0.1:5000/bench-peers-${marks.id}-${repo.name}-split`;
  const cache = `${reg}-cache`;
  const extra = ['STAGING_TAG=bench', 'SOURCE_DATE_EPOCH=1767225600'];
  const out = { job: {} };
  for (const p of PLATFORMS) {
    // the job's cache, filled by a build of the commit before the change
    peerBuild(repo, variant, `split CI, filling the ${p} cache`, { registry: `${reg}-fill`, cache, platforms: PLATFORMS.join(','), target: 'ci-push-platform', extra: [`PLATFORM=${p}`, ...extra] });
  }
  fs.writeFileSync(file, original.replace(repo.edit[1], repo.edit[2](4)));
  // the merge job gets the platform jobs' metadata files, as CI hands them over as artifacts
  const artifacts = path.join(variant.dir, '.multiarch');
  fs.rmSync(artifacts, { recursive: true, force: true });
  fs.mkdirSync(artifacts, { recursive: true });
  for (const p of PLATFORMS) {
    peerFreshRunner(marks);
    const clone = peerClone(variant.dir);
    out.job[p] = peerBuild(repo, variant, `split CI, ${p} job (fresh runner, own cache), one-line change`, { registry: reg, cache, dir: clone, target: 'ci-push-platform', extra: [`PLATFORM=${p}`, ...extra] });
    const meta = `platform-${p.replace(/\//g, '-')}.json`;
    fs.copyFileSync(path.join(clone, '.multiarch', meta), path.join(artifacts, meta));
    fs.rmSync(clone, { recursive: true, force: true });
  }
  out.merge = peerBuild(repo, variant, 'split CI, merge', { registry: reg, target: 'ci-merge', extra });
  fs.writeFileSync(file, original);
  return out;
}

function peersMarkdown(repos, requested, engine) {
  // the rounds measured, which a run stopped early has fewer of than it asked for
  const rounds = Math.max(0, ...repos.flatMap(r => r.variants.map(v => v.samples.length)));
  const med = (v, f) => median(v.samples.map(f));
  const sec = x => `${x.toFixed(1)} s`;
  const mb = x => `${(x / 2 ** 20).toFixed(1)} MB`;
  const rows = [
    ['cold (no cache at all)', v => med(v, s => s.cold), sec],
    ['warm, no change', v => med(v, s => s.warm), sec],
    ['warm, one-line change', v => med(v, s => s.oneLine), sec],
    ['fresh runner, registry cache only, one-line change', v => med(v, s => s.fresh), sec],
    ['fresh runner, pull-request build (cache read-only, no push)', v => med(v, s => s.freshPr), sec],
    ['image size, amd64 (all services, compressed)', v => med(v, s => s.size['linux/amd64'].total), mb],
    ['image size, arm64 (all services, compressed)', v => med(v, s => s.size['linux/arm64'].total), mb],
    ['of which the Dockerfile adds, amd64', v => med(v, s => s.size['linux/amd64'].added), mb],
    ['of which the Dockerfile adds, arm64', v => med(v, s => s.size['linux/arm64'].added), mb],
  ];
  // arm64 ÷ amd64: the cold build's step times for each platform (the steps both ran)
  const armRatio = v => med(v, s => s.steps['linux/arm64'] / s.steps['linux/amd64']);
  // (the Alpine stand-in is Debian-based, so an image on it is far larger than on Alpine: compare what the Dockerfiles add)
  const ratioRows = [
    ['fresh ÷ warm (one-line change)', v => med(v, s => s.fresh / s.oneLine)],
    ['fresh ÷ cold', v => med(v, s => s.fresh / s.cold)],
    ['arm64 ÷ amd64 (cold build, time of the steps each platform ran)', armRatio],
  ];
  const failed = repos.flatMap(r => r.variants.filter(v => v.error).map(v => `- ${r.name}, ${v.label}: ${v.error}`));
  const tables = repos.filter(r => r.variants[0].samples.length).map(repo => {
    const [gen, ...peers] = repo.variants.filter(v => v.samples.length);
    const head = `| ${repo.name} | ${gen.label} | ${peers.map(p => `${p.label} | ÷ generated`).join(' | ')} |\n| --- | --- | ${peers.map(() => '--- | ---').join(' | ')} |`;
    const body = rows.map(([what, f, fmt]) => `| ${what} | ${fmt(f(gen))} | ${peers.map(p => `${fmt(f(p))} | ${(f(p) / f(gen)).toFixed(2)}`).join(' | ')} |`);
    const ratios = ratioRows.map(([what, f]) => `| ${what} | **${f(gen).toFixed(2)}** | ${peers.map(p => `${f(p).toFixed(2)} | `).join(' | ')} |`);
    return `${head}\n${body.join('\n')}\n${ratios.join('\n')}`;
  });
  const splitRows = repos.filter(r => r.split.length).map(repo => {
    const gen = repo.variants[0];
    const job = p => median(repo.split.map(x => x.job[p]));
    const merge = median(repo.split.map(x => x.merge));
    const split = median(repo.split.map(x => Math.max(...Object.values(x.job)) + x.merge));
    const single = med(gen, s => s.fresh);
    const peer = Math.min(...repo.variants.slice(1).filter(v => v.samples.length).map(v => med(v, s => s.fresh)));
    return { repo, line: `| ${repo.name} | ${sec(job('linux/amd64'))} | ${sec(job('linux/arm64'))} | ${sec(merge)} | **${sec(split)}** | ${sec(single)} (${(split / single).toFixed(2)}) | ${sec(peer)} (${(split / peer).toFixed(2)}) |` };
  });
  const verdicts = peersVerdicts(repos);
  // the generated builds' Makefile steps outside bake (scripts/bench-peers/timed-sh), median over every timed build
  const makeOwn = repos.filter(r => r.variants[0].samples.some(s => s.make)).map(r => {
    const xs = r.variants[0].samples.flatMap(s => Object.values(s.make ?? {}).map(m => m.other));
    const top = {};
    for (const s of r.variants[0].samples) for (const m of Object.values(s.make ?? {})) for (const [l, t] of m.top) (top[makeCommand(l).split(' ').slice(0, 4).join(' ')] ??= []).push(t);
    const [line] = Object.entries(top).sort((a, b) => median(b[1]) - median(a[1]));
    return `${r.name} ${sec(median(xs))}${line ? ` (the longest: \`${line[0].replace(/`/g, "'")}\`…, ${sec(median(line[1]))})` : ''}`;
  });
  const flakes = repos.flatMap(r => r.variants.filter(v => v.flakes).map(v => `${r.name} ${v.name} ${v.flakes}`));
  // (a step is repeated after a registry 500)
  return `## Against what users write by hand: the generated build and its peers, side by side

Measured on ${today}, ${rounds} round(s)${rounds < requested ? ` (the run asked for ${requested} and was stopped after ${rounds})` : ''}, every build of every repository in this one run, on the same lab
engine (${engine}, docker driver, containerd image store; ${os.cpus().length} cores; timings move by
seconds between runs).
The peers (scripts/bench-peers, each citing the document and version it follows and what the lab
changed): \`docker init\`'s Go template; the Nephoran guide's per-service and shared Go Dockerfiles
(commit 2d3bf845b3e2 of thc1006/nephoran-intent-operator); the guide's Python Dockerfile, with pip on
the target platform (QEMU for arm64). All builds use the same stand-in images (scripts/bench-peers/standins;
the Alpine stand-in has what the peers \`apk add\` preinstalled, which favours them), build all services
and both platforms in one \`docker buildx bake\` (the generated build through its Makefile), push to the
lab registry, and use a registry cache per image with \`mode=max\` (the peers as their docs advise).
Each step ran for every build in turn (all cold builds, then all warm ones, ...); the machine's load
average (1 min) at the start of the timed builds: median ${loadMedian(repos)} on ${os.cpus().length} cores (the processes of
the builds just before count in it: a Go build runs many).
Image sizes: the Alpine stand-in is a Debian image (about 140 MB), where Alpine is about 4 MB, so
compare the rows of what each Dockerfile adds to its base images.
Cold: no cache at all (\`--no-cache\`, cache mounts cleared). Warm: the builder cache of the previous
builds plus the registry cache. Fresh runner: a new clone, an empty builder cache (every record this
round built removed, and the cache mounts) and only the registry cache. Medians:

${tables.join('\n\n')}
${makeOwn.length ? `\nThe generated builds run through their Makefile, whose own steps before and after bake (check-inputs,
check-tools, setup-buildx, keep-digest: each runs docker or buildx commands) took, per build (median of
every timed build): ${makeOwn.join('; ')}. The peers' bake calls have none of these steps.
` : ''}${repos.filter(r => r.skipped).map(r => `\nNot measured in this run: ${r.name} (the run's time budget, \`--peers-minutes ${r.skipped}\`, was spent).\n`).join('')}${failed.length ? `\nBuilds that failed (their rows are left out):\n${failed.join('\n')}\n` : ''}
${repos.some(r => r.variants.length && !r.variants.some(v => v.name === 'guide-shared')) ? `Peers left out to keep the run within the time others on the machine leave it (the guide's builds compile everything with \`-a\`, twice per service): ${repos.filter(r => r.name !== 'python').map(r => `${r.name} has ${r.variants.slice(1).map(v => v.name).join(', ') || 'none'}`).join('; ')}; \`--peers-<repository> docker-init,guide-service,guide-shared\` measures more. The guide's shared Dockerfile runs its per-service one's steps.\n\n` : ''}Split CI (the generated workflows' per-platform jobs, \`make ci-push-platform PLATFORM=…\`, each a fresh
runner with its own registry cache, then \`make ci-merge\`), after a one-line change, against one job
that builds both platforms (the fresh-runner row above). The jobs ran one after the other here; on CI
they run side by side, so the split takes the slower job plus the merge${repos.some(r => r.splitSeparately) ? ' (measured by a second invocation right after the one above, `--peers-results FILE --peers-split`, whose split-CI merge step failed for a fault of the bench, since fixed)' : ''}:

| repository | linux/amd64 job | linux/arm64 job | merge | split CI | one job, generated (split ÷ one) | one job, fastest peer (split ÷ one) |
| --- | --- | --- | --- | --- | --- | --- |
${splitRows.map(r => r.line).join('\n')}

${repos.filter(r => r.splitError).map(r => `Split CI of ${r.name} failed: ${r.splitError}\n\n`).join('')}${flakes.length ? `Steps repeated after a 500 from the lab's registry: ${flakes.join(', ')}.\n\n` : ''}${verdicts}`;
}

function engineVersions() {
  const v = f => spawnSync('docker', ['version', '--format', f], { env, encoding: 'utf8' }).stdout.trim();
  const bx = (spawnSync('docker', ['buildx', 'version'], { env, encoding: 'utf8' }).stdout.split(' ')[1] || '?').replace(/\+.*/, '');
  return `dockerd ${v('{{.Server.Version}}').replace(/\+.*/, '')}, buildx ${bx}`;
}

function loadMedian(repos) {
  return median(repos.flatMap(r => r.variants.flatMap(v => v.samples.flatMap(s => s.load)))).toFixed(1);
}

/** The issue's "done when" criteria, read off the medians: what holds and, where not, by how much. */
function peersVerdicts(repos) {
  const peer = r => r.variants[1];
  const med = (v, f) => median(v.samples.map(f));
  const lines = [];
  const timeRows = { cold: 'cold', warm: 'warm, no change', oneLine: 'warm, one-line change', fresh: 'fresh runner', freshPr: 'pull-request build' };
  // why the registry cache exports cost the generated build more, when they are its longest steps
  const exportsWhy = (v, k) => (v.samples[0].top?.[k] ?? []).every(([step]) => step.includes('exporting cache'))
    ? ' (the generated build\'s caches, one per service and one for `_go-deps`, carry the compiled dependencies\' layers, which a fresh runner reads; the peers compile theirs in cache mounts, which no registry cache carries, so their fresh runners compile everything again)'
    : '';
  // where a build's time went, in its first round: its longest steps (steps run in parallel, so they may overlap)
  const steps = (v, k, n, whose = 'the generated build\'s') => {
    const top = v.samples[0].top?.[k];
    return top?.length ? `; ${whose} longest steps in round 1: ${top.slice(0, n).map(([step, t]) => `\`${step.replace(/`/g, "'")}\` ${t.toFixed(1)} s`).join(', ')}` : '';
  };
  for (const repo of repos.filter(r => r.name !== 'python' && r.variants[0].samples.length)) {
    const [gen, ...peers] = repo.variants.filter(v => v.samples.length);
    const slower = [];
    for (const [k, what] of Object.entries(timeRows)) {
      for (const p of peers) {
        const g = med(gen, s => s[k]);
        const q = med(p, s => s[k]);
        if (g > q || (k.startsWith('fresh') && g >= q)) slower.push(`${what}: ${g.toFixed(1)} s against ${q.toFixed(1)} s for ${p.label}${steps(gen, k, 3)}${steps(p, k, 2, 'the peer\'s')}${exportsWhy(gen, k)}`);
      }
    }
    lines.push(`- **${repo.name}**: ${slower.length ? `the generated build is not the fastest on: ${slower.join('; ')}` : 'the generated build is at least as fast as every peer on every row, and faster on the fresh-runner rebuilds'}.`);
  }
  const py = repos.find(r => r.name === 'python');
  if (py && py.variants.every(v => v.samples.length)) {
    const arm = v => med(v, s => s.steps['linux/arm64'] / s.steps['linux/amd64']);
    const x = arm(py.variants[0]);
    lines.push(`- **python**: arm64 ÷ amd64 (the cold build's steps for each platform) is ${x.toFixed(2)} for CROSS_WHEELS (at most 1.2: ${x <= 1.2 ? 'met' : '**not met**'}), ` +
      `${arm(peer(py)).toFixed(2)} for the guide's Dockerfile, whose pip runs under QEMU for arm64; its cold build of both platforms takes ${(med(peer(py), s => s.cold) / med(py.variants[0], s => s.cold)).toFixed(0)}× as long as CROSS_WHEELS.`);
  }
  const fw = repos.filter(r => r.variants[0].samples.length).map(r => ({ name: r.name, x: med(r.variants[0], s => s.fresh / s.oneLine) }));
  lines.push(`- **fresh ÷ warm ≤ 1.15** (generated, one-line change): ${fw.map(f => `${f.name} ${f.x.toFixed(2)}${f.x <= 1.15 ? '' : ' (**not met**)'}`).join(', ')}.`);
  // where the fresh runner's time went, for each repository that misses the goal: every round's longest steps
  for (const f of fw.filter(x => x.x > 1.15)) {
    const gen = repos.find(r => r.name === f.name).variants[0];
    const top = gen.samples.map((s, i) => s.top?.fresh && `round ${i + 1}: ${s.top.fresh.map(([step, t]) => `\`${step.replace(/`/g, "'")}\` ${t.toFixed(1)} s`).join(', ')}`).filter(x => x);
    if (top.length) lines.push(`  - ${f.name}, the fresh runner's longest steps (steps run in parallel): ${top.join('; ')}.`);
  }
  return `The issue's criteria (#24), read off these medians:\n${lines.join('\n')}`;
}
