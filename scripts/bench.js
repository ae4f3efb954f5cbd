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
 * Needs the lab (scripts/lab.sh up) and a synthesized example (npm run example).
 *
 *   node scripts/bench.js [--rounds 3] [--cgo-rounds 1] [--only cross,rebuild,python,repro]
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

const cgoRoundsArg = process.argv.indexOf('--cgo-rounds');
const CGO_ROUNDS = cgoRoundsArg > 0 ? Number(process.argv[cgoRoundsArg + 1]) : 1;
const onlyArg = process.argv.indexOf('--only');
const SECTIONS = onlyArg > 0 ? process.argv[onlyArg + 1].split(',') : ['cross', 'rebuild', 'python', 'repro'];
const run = name => SECTIONS.includes(name);

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
if (run('cross')) blocks.cross = crossReport();
if (run('rebuild')) blocks.rebuild = rebuildReport();
if (run('python')) blocks.python = pythonReport();
if (run('repro')) blocks.repro = reproReport();
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
 * Rebuilds of two three-Go-service repositories, both platforms, one `make build-multiarch`, as a
 * developer and CI see them: cold; warm with no change; warm after a one-line change; and on a fresh
 * CI runner whose only state is the registry cache (builder cache pruned) after a one-line change.
 * Every build after the cold one exports to and imports from the same registry cache (mode=max), as
 * CI does. The repositories: examples/nephoran's Go services (standard library only, UPX on one), and
 * a fleet with real third-party dependencies (scripts/bench-fleet).
 */
function rebuildReport() {
  const ROUNDS_REBUILD = 3;
  const repos = [
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
 * Python install strategies: one service installing the same requirements (Jinja2 and MarkupSafe,
 * whose C extension has a wheel per architecture; scripts/wheelhouse.sh) with TARGET (pip on the
 * target platform: QEMU for arm64) and with CROSS_WHEELS (pip on the build platform), each built
 * cold for one platform at a time, alternating. Reports the medians and the arm64/amd64 ratios.
 */
function pythonReport() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-python-'));
  const app = 'import jinja2, markupsafe._speedups, platform\nprint(jinja2.Template("{{ m }}").render(m=platform.machine()))\n';
  for (const d of ['target', 'cross']) {
    fs.mkdirSync(path.join(dir, d, 'app'), { recursive: true });
    fs.writeFileSync(path.join(dir, d, 'app', '__main__.py'), app);
    fs.writeFileSync(path.join(dir, d, 'requirements.txt'), 'Jinja2\nMarkupSafe\n');
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

Measured on ${today}. One Python service, the same requirements (Jinja2, and MarkupSafe with its C
extension: real wheels, one per architecture, from scripts/wheelhouse.sh) installed from a local
wheelhouse (\`--no-index --find-links=wheels\`) with each install strategy. \`make build-<service>\` for one
platform at a time, cold (\`--no-cache\`, pip's cache mount cleared), ${ROUNDS} rounds. Medians:

| strategy | make, linux/amd64 | make, linux/arm64 | arm64 / amd64 | install step, amd64 | install step, arm64 | arm64 / amd64 |
| --- | --- | --- | --- | --- | --- | --- |
${rows.join('\n')}

With TARGET, pip runs in an arm64 container under QEMU on this amd64 machine: the emulation cost is
the arm64/amd64 ratio of its install step. With CROSS_WHEELS the install runs natively for both
platforms and the arm64 image holds the arm64 wheels (the e2e tier runs both images and checks the
architecture of MarkupSafe's extension). TARGET stays the choice for dependencies that must be built
from source (\`buildPackages\`); see README, "Python services".`;
}

/** A throwaway repository with examples/nephoran's Go sources and its three Go services, synthesized by the built library. */
function nephoranGoConsumer() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-go-'));
  for (const f of ['go.mod', 'cmd', 'internal']) fs.cpSync(path.join(EXAMPLE, f), path.join(dir, f), { recursive: true });
  for (const f of fs.readdirSync(path.join(dir, 'cmd'), { recursive: true })) if (String(f).endsWith('Dockerfile')) fs.rmSync(path.join(dir, 'cmd', String(f)));
  synthGoConsumer(dir, [['llm-processor', { upx: true, port: 8080 }], ['nephio-bridge', { sharedDockerfile: true, port: 8081 }], ['oran-adaptor', { sharedDockerfile: true, port: 8082 }]]);
  return dir;
}

/**
 * A throwaway repository with real dependencies: scripts/bench-fleet's sources, with the go.mod and
 * vendor tree of the Go distribution's own commands, copied out of the lab's Go image.
 */
function fleetConsumer() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-fleet-'));
  fs.cpSync(path.join(ROOT, 'scripts/bench-fleet'), dir, { recursive: true, filter: f => !f.endsWith('README.md') });
  const script = 'cp -r "$(go env GOROOT)/src/cmd/vendor" /out/vendor && sed "s|^module cmd$|module example.com/fleet|" "$(go env GOROOT)/src/cmd/go.mod" > /out/go.mod && chown -R "$OWNER" /out/vendor /out/go.mod';
  execFileSync('docker', ['run', '--rm', '-e', `OWNER=${process.getuid()}:${process.getgid()}`, '-v', `${dir}:/out`, env.LAB_GOLANG_IMAGE, 'sh', '-c', script], { env, stdio: 'inherit' });
  synthGoConsumer(dir, [['api', {}], ['vet', { sharedDockerfile: true }], ['tools', { sharedDockerfile: true }]]);
  return dir;
}

function synthGoConsumer(dir, services) {
  const { Project } = require(path.join(ROOT, 'node_modules/projen'));
  const { GoService, MultiArchPipeline } = require(path.join(ROOT, 'lib'));
  const project = new Project({ name: 'bench-go', outdir: dir });
  const images = { builderImage: env.LAB_GOLANG_IMAGE, runtimeImage: env.LAB_DISTROLESS_IMAGE };
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

/** Writes BENCHMARKS.md: the sections measured now, and the others as they were. */
function writeReport(fresh) {
  const file = path.join(ROOT, 'BENCHMARKS.md');
  const old = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
  const section = name => fresh[name] ?? (new RegExp(`<!-- bench:${name} -->\\n([\\s\\S]*?)\\n<!-- /bench:${name} -->`).exec(old) || [])[1];
  const body = ['cross', 'rebuild', 'python', 'repro'].map(name => section(name) && `<!-- bench:${name} -->\n${section(name)}\n<!-- /bench:${name} -->`).filter(x => x);
  const report = `# Benchmarks

Measured by \`npm run bench\` (scripts/bench.js): ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ${os.platform()}/${os.arch()}, the local lab
(dockerd 26, buildx 0.13, docker driver, containerd image store). Every ratio is measured within one
run. Regenerate with \`scripts/lab.sh up && npm run example && npm run bench\` (\`-- --only repro\` for
one section).

${body.join('\n\n')}
`;
  fs.writeFileSync(file, report);
  console.log(`\n${report}`);
}

function stepSeconds(log, pattern) {
  let total = 0;
  for (const m of log.matchAll(/^#(\d+) \[[^\]]*\] (.*)$/gm)) {
    if (!pattern.test(m[2])) continue;
    const done = new RegExp(`^#${m[1]} DONE ([0-9.]+)s`, 'm').exec(log);
    if (done) total += Number(done[1]);
  }
  return total;
}
