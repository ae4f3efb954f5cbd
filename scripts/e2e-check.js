#!/usr/bin/env node
/**
 * Independent checks of the images the example's generated Makefile built and pushed: they read the
 * registry and run the images, and never trust the Makefile's own verification.
 *
 *   node scripts/e2e-check.js --spec examples/nephoran/e2e.json --registry 127.0.0.1:5000/e2e --version e2e-123 --log .e2e/build.log
 *
 * Prints one line per check and ends with "N passed, N failed"; exits 1 when any check failed.
 */
'use strict';
const { execFileSync, spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const args0 = process.argv.slice(2);
if (args0[0] === '--cached-go-builds') {
  process.exit(checkCachedGoBuilds(args0[1]));
}
if (args0[0] === '--python-layers') {
  checkPythonLayers(args0[1], args0[2], args0[3]).then(code => process.exit(code), e => { console.log(`FAIL ${e.message}`); process.exit(1); });
  return;
}
const args = Object.fromEntries(process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []));
const REGISTRY = args.registry;
const VERSION = args.version;
const LOG = args.log;
if (!REGISTRY || !VERSION || !LOG || !args.spec || !args['source-date-epoch']) {
  console.error('usage: e2e-check.js --spec EXAMPLE/e2e.json --registry R --version V --log BUILD_LOG --source-date-epoch COMMIT_TIME');
  process.exit(2);
}
// The commit time every image is dated with: RFC 3339, as the created label and the config carry it.
const CREATED = new Date(Number(args['source-date-epoch']) * 1000).toISOString().replace(/\.000Z$/, 'Z');
const SPEC = JSON.parse(fs.readFileSync(args.spec, 'utf8'));

const PLATFORMS = [
  { platform: 'linux/amd64', arch: 'amd64', machine: 'x86_64', elfMachine: 0x3e },
  { platform: 'linux/arm64', arch: 'arm64', machine: 'aarch64', elfMachine: 0xb7 },
];
// name, kind, binary path in the image, user, whether UPX is enabled, platforms, expected output
const SERVICES = SPEC.services;
const ALL_PLATFORMS = PLATFORMS;

let passed = 0;
let failed = 0;
function check(description, fn) {
  try {
    const detail = fn();
    passed++;
    console.log(`ok   ${description}${detail ? ` (${detail})` : ''}`);
  } catch (e) {
    failed++;
    console.log(`FAIL ${description}: ${e.message}`);
  }
}
function assert(cond, message) {
  if (!cond) throw new Error(message);
}
function docker(...argv) {
  return execFileSync('docker', argv, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024 });
}

const log = fs.readFileSync(LOG, 'utf8');

for (const svc of SERVICES) {
  const ref = `${REGISTRY}/${svc.name}:${VERSION}`;
  const PLATFORMS = ALL_PLATFORMS.filter(p => !svc.platforms || svc.platforms.includes(p.platform));

  check(`${svc.name}: the pushed index holds exactly ${PLATFORMS.map(p => p.platform).join(' and ')}`, () => {
    const index = JSON.parse(docker('buildx', 'imagetools', 'inspect', ref, '--raw'));
    assert(Array.isArray(index.manifests), `${ref} is not an index: ${index.mediaType}`);
    const platforms = index.manifests
      .map(m => m.platform && `${m.platform.os}/${m.platform.architecture}${m.platform.variant ? '/' + m.platform.variant : ''}`)
      .filter(p => p && p !== 'unknown/unknown');
    for (const p of PLATFORMS) assert(platforms.includes(p.platform), `missing ${p.platform}; has ${platforms.join(', ')}`);
    assert(platforms.length === PLATFORMS.length, `has ${platforms.join(', ')}`);
    return platforms.join(', ');
  });

  // what a registry's page shows for a multi-platform image: the index's annotations
  check(`${svc.name}: the index is annotated with its title, version and the project's OCI labels`, () => {
    const annotations = JSON.parse(docker('buildx', 'imagetools', 'inspect', ref, '--raw')).annotations ?? {};
    const want = { 'org.opencontainers.image.title': svc.name, 'org.opencontainers.image.version': VERSION, ...(svc.description ? { 'org.opencontainers.image.description': svc.description } : {}), ...SPEC.labels };
    for (const [k, v] of Object.entries(want)) assert(annotations[k] === v, `${k} is ${JSON.stringify(annotations[k])}, expected ${JSON.stringify(v)}`);
    return Object.keys(annotations).length + ' annotations';
  });

  // an index with several platforms gives a map platform -> config; with one, the config itself
  const image = JSON.parse(docker('buildx', 'imagetools', 'inspect', ref, '--format', '{{json .Image}}'));
  const configs = image.architecture ? { [`${image.os}/${image.architecture}${image.variant ? '/' + image.variant : ''}`]: image } : image;
  for (const p of PLATFORMS) {
    const config = configs[p.platform];
    check(`${svc.name} ${p.platform}: config architecture, numeric non-root user ${svc.user}, labels, dated with the commit time`, () => {
      assert(config, `no image config for ${p.platform}`);
      assert(config.architecture === p.arch, `architecture is ${config.architecture}`);
      const user = config.config.User;
      assert(/^[0-9]+:[0-9]+$/.test(user) && !/^0:|:0$/.test(user), `user is "${user}"`);
      assert(user === svc.user, `user is "${user}", expected "${svc.user}"`);
      const labels = config.config.Labels || {};
      const want = {
        'org.opencontainers.image.title': svc.name,
        'org.opencontainers.image.version': VERSION,
        ...SPEC.labels,
        'build.architecture': p.arch,
        'build.platform': p.platform,
        'build.multi-arch': 'true',
      };
      for (const [k, v] of Object.entries(want)) assert(labels[k] === v, `label ${k} is ${JSON.stringify(labels[k])}, expected ${JSON.stringify(v)}`);
      assert(labels['org.opencontainers.image.created'] === CREATED, `label org.opencontainers.image.created is ${JSON.stringify(labels['org.opencontainers.image.created'])}, expected the commit time ${CREATED}`);
      assert(config.created === CREATED, `config created is ${config.created}, expected the commit time ${CREATED} (SOURCE_DATE_EPOCH)`);
      assert((labels['org.opencontainers.image.revision'] || '') !== '', 'no org.opencontainers.image.revision');
      return `user ${user}`;
    });

    check(`${svc.name} ${p.platform}: the image runs${p.arch === 'arm64' ? ' (under QEMU)' : ''} and reports its architecture and VERSION`, () => {
      const r = spawnSync('docker', ['run', '--rm', '--pull', 'always', '--platform', p.platform, ref], { encoding: 'utf8' });
      assert(r.status === 0, `exit ${r.status}: ${r.stderr.trim().split('\n').pop()}`);
      const out = r.stdout.trim();
      const want = svc.expect.replaceAll('{VERSION}', VERSION).replaceAll('{PLATFORM}', p.platform).replaceAll('{MACHINE}', p.machine);
      assert(out === want, `printed "${out}", expected "${want}"`);
      return out;
    });

    if (svc.kind === 'go') {
      check(`${svc.name} ${p.platform}: the binary is ${p.arch} ELF${svc.upx && p.arch === 'amd64' ? ', UPX-packed' : ', not UPX-packed'}`, () => {
        const bin = extract(ref, p.platform, svc.binary);
        assert(bin.readUInt32BE(0) === 0x7f454c46, 'not an ELF file');
        const machine = bin.readUInt16LE(18);
        assert(machine === p.elfMachine, `ELF machine 0x${machine.toString(16)}, expected 0x${p.elfMachine.toString(16)}`);
        const packed = bin.includes(Buffer.from('UPX!'));
        const wantPacked = svc.upx && p.arch === 'amd64';
        assert(packed === wantPacked, packed ? 'UPX-packed, but UPX must run on amd64 only and only when enabled' : 'not UPX-packed, but upx is enabled on amd64');
        return `${bin.length} bytes`;
      });
    }
  }
}

// Where the Go compiler ran: the builder prints `building on <BUILDPLATFORM> (<uname -m>) for <TARGETPLATFORM>`.
check('Go arm64 images were compiled on the amd64 build machine (no QEMU in the compile)', () => {
  const lines = log.split('\n').filter(l => /building on linux\/amd64 \(x86_64\) for linux\/arm64/.test(l));
  const goArm64 = SERVICES.filter(x => x.kind === 'go' && (!x.platforms || x.platforms.includes('linux/arm64'))).length;
  assert(lines.length === goArm64, `expected ${goArm64} "building on linux/amd64 (x86_64) for linux/arm64" lines (one per Go service built for arm64), found ${lines.length}`);
  assert(!/building on \S+ \(aarch64\)/.test(log), 'a Go builder ran on aarch64 (emulated)');
  // each service's arm64 compile step (GOARCH=arm64) is one that printed x86_64: BuildKit labels it
  // linux/amd64->arm64, or linux/arm64 when its deps stage is a named context (bake's _go-deps)
  const cross = new Set([...log.matchAll(/^#(\d+) \[(\S+) \S+ builder [^\]]*\] RUN .*GOARCH=arm64 .*go build -trimpath/gm)]
    .filter(m => new RegExp(`^#${m[1]} [0-9.]+ building on linux/amd64 \\(x86_64\\) for linux/arm64$`, 'm').test(log))
    .map(m => m[2]));
  assert(cross.size === goArm64, `${cross.size} services' arm64 compile steps printed x86_64, expected ${goArm64}`);
  return `${lines.length} arm64 builder stages ran on x86_64; cross-compiled: ${[...cross].sort().join(', ')}`;
});

// Timing is reported, not asserted (performance claims live in `npm run bench` / BENCHMARKS.md).
{
  const durations = goBuildDurations(log);
  const total = arch => durations.filter(d => d.platform === `linux/${arch}`).reduce((sum, d) => sum + d.seconds, 0);
  console.log(`info go build steps: ${durations.length}; amd64 ${total('amd64').toFixed(1)}s, arm64 ${total('arm64').toFixed(1)}s (see BENCHMARKS.md for medians)`);
}

// go mod download runs on the build platform only, once for both target platforms: never per target
// platform, never twice for one service (services of one Dockerfile share the step).
const downloaders = SERVICES.filter(x => x.kind === 'go' && !x.vendor);
if (downloaders.length) {
  check(`go mod download ran once per Go module, on the build platform only, for every service and both target platforms`, () => {
    // steps that ran: BuildKit also shows the same step as CACHED or CANCELED where another build shared it.
    // A step shared with a target of one platform may be labelled without one ([orders modules 4/4]),
    // under either service's name: the count below (one per module) still proves it ran once
    const runs = [...log.matchAll(/^#(\d+) \[(\S+) (?:(\S+) )?modules [^\]]*\] RUN .*go mod download/gm)]
      .filter(m => new RegExp(`^#${m[1]} DONE `, 'm').test(log));
    const byVertex = new Map(runs.map(m => [m[1], { service: m[2], platform: m[3] }]));
    const platforms = new Set([...byVertex.values()].map(v => v.platform).filter(p => p !== undefined));
    assert(byVertex.size > 0, 'no go mod download step in the build log');
    assert([...platforms].every(p => p === 'linux/amd64'), `it ran for ${[...platforms].join(', ')}, expected the build platform linux/amd64 only`);
    for (const svc of downloaders) {
      const steps = [...byVertex.values()].filter(v => v.service === svc.name).length;
      assert(steps <= 1, `${svc.name} ran go mod download ${steps} times`);
    }
    // a module whose Dockerfiles have different modules stages (goModuleDownloads, with the reason in
    // goModuleDownloadsWhy) downloads once per stage; BuildKit may still find one in its cache
    const most = SPEC.goModuleDownloads ?? SPEC.goModules;
    assert(byVertex.size >= SPEC.goModules && byVertex.size <= most,
      `${byVertex.size} downloads ran, expected ${most === SPEC.goModules ? `one per Go module (${SPEC.goModules})` : `${SPEC.goModules} to ${most} (${SPEC.goModuleDownloadsWhy})`}`);
    return `${byVertex.size} download for ${downloaders.map(x => x.name).join(', ')}`;
  });
}

// The standard library and the dependencies are compiled once per platform for all the services of a
// module that agree on builder, cgo and tags, whichever Dockerfile each uses: one shared build step.
check(`the Go dependencies were compiled ${SPEC.goDependencyCompiles} time(s) per target platform, shared by the services of a module`, () => {
  // the target platform from the command's GOARCH: a step shared by several targets may be labelled
  // without a platform ([payments deps 1/1]) under any of their names
  const runs = [...log.matchAll(/^#(\d+) \[[^\]]* deps [^\]]*\] RUN .*GOARCH=(\S+) .*go build/gm)]
    .filter(m => new RegExp(`^#${m[1]} DONE `, 'm').test(log));
  const byVertex = new Map(runs.map(m => [m[1], `linux/${m[2]}`]));
  assert(byVertex.size > 0, 'no dependency compile in the build log');
  const counts = {};
  for (const platform of byVertex.values()) counts[platform] = (counts[platform] ?? 0) + 1;
  for (const [platform, count] of Object.entries(counts)) {
    assert(count === SPEC.goDependencyCompiles, `${count} dependency compiles ran for ${platform}, expected ${SPEC.goDependencyCompiles}`);
  }
  return Object.entries(counts).map(([p, c]) => `${p}: ${c}`).join(', ');
});

// TARGET installs on the target platform (arm64 under QEMU: "on aarch64"); CROSS_WHEELS installs the
// arm64 wheels from the build platform ("on x86_64"), and its builder is labelled linux/amd64->arm64.
for (const svc of SERVICES.filter(x => x.kind === 'python')) {
  const on = svc.strategy === 'CROSS_WHEELS' ? 'x86_64' : 'aarch64';
  check(`${svc.name}: the arm64 dependencies were installed on ${on} (${svc.strategy ?? 'TARGET'})`, () => {
    const steps = [...log.matchAll(new RegExp(`^#(\\d+) \\[${escape(svc.name)} (?:(\\S+) )?builder [^\\]]*\\] RUN .*echo "installing`, 'gm'))];
    const lines = steps.flatMap(m => [...log.matchAll(new RegExp(`^#${m[1]} [0-9.]+ (installing .* for linux/arm64 on (\\S+))$`, 'gm'))].map(l => ({ line: l[1], on: l[2], stage: m[2] })));
    assert(lines.length > 0, `no "installing ... for linux/arm64" line of ${svc.name} in the build log`);
    assert(lines.every(l => l.on === on), `installed on ${lines.map(l => l.on).join(', ')}`);
    if (svc.strategy === 'CROSS_WHEELS') assert(lines.every(l => l.stage === 'linux/amd64->arm64'), `the builder ran as ${lines.map(l => l.stage).join(', ')}`);
    return lines[0].line;
  });
}

// Build tools stay in the builder: no compiler, no pip cache, no wheelhouse or vendored sources.
for (const svc of SERVICES.filter(x => x.kind === 'python')) {
  for (const p of PLATFORMS.filter(x => !svc.platforms || svc.platforms.includes(x.platform))) {
    check(`${svc.name} ${p.platform}: no compiler, pip cache or install-only sources in the runtime image`, () => {
      const ref = `${REGISTRY}/${svc.name}:${VERSION}`;
      const paths = ['/root/.cache/pip', ...(svc.installOnly ?? [])];
      const probe = `for c in gcc cc c++ g++ x86_64-linux-gnu-gcc-12 aarch64-linux-gnu-gcc-12; do command -v "$c"; done; for p in ${paths.join(' ')}; do [ ! -e "$p" ] || echo "$p"; done; true`;
      const found = docker('run', '--rm', '--platform', p.platform, '--entrypoint', 'sh', ref, '-c', probe).trim();
      assert(found === '', `found ${found.split('\n').join(', ')}`);
      return `checked ${paths.join(', ')}`;
    });
  }
}

// Native wheels in PyPI's tag shapes reached the image (the Tag lines of each installed wheel), and the
// application starts from its build-time bytecode: under a read-only root, with bytecode writing
// allowed, Python reads each module's .pyc ("code object from") and tries to write none.
for (const svc of SERVICES.filter(x => x.kind === 'python')) {
  for (const p of PLATFORMS.filter(x => !svc.platforms || svc.platforms.includes(x.platform))) {
    const ref = `${REGISTRY}/${svc.name}:${VERSION}`;
    if (svc.wheelTags) {
      check(`${svc.name} ${p.platform}: the installed wheels carry PyPI's tag shapes`, () => {
        const tags = docker('run', '--rm', '--platform', p.platform, '--entrypoint', 'sh', ref, '-c', 'cat /opt/venv/lib/python*/site-packages/*.dist-info/WHEEL')
          .split('\n').filter(l => l.startsWith('Tag: ')).map(l => l.slice(5).trim());
        const want = svc.wheelTags.map(t => t.replaceAll('{MACHINE}', p.machine));
        const missing = want.filter(t => !tags.includes(t));
        assert(missing.length === 0, `no installed wheel is tagged ${missing.join(', ')}; tags: ${tags.join(', ')}`);
        return want.join(', ');
      });
    }
    if (svc.bytecode) {
      check(`${svc.name} ${p.platform}: the application starts from build-time bytecode, read-only, writing none`, () => {
        const r = spawnSync('docker', ['run', '--rm', '--read-only', '--platform', p.platform, '--entrypoint', 'env', ref, '-u', 'PYTHONDONTWRITEBYTECODE', ...svc.bytecode.run.slice(0, 1), '-v', ...svc.bytecode.run.slice(1)], { encoding: 'utf8' });
        assert(r.status === 0, `exit ${r.status}: ${r.stderr.trim().split('\n').pop()}`);
        const loaded = svc.bytecode.pyc.filter(f => r.stderr.includes(`code object from '${f}'`));
        assert(loaded.length === svc.bytecode.pyc.length, `not loaded from bytecode: ${svc.bytecode.pyc.filter(f => !loaded.includes(f)).join(', ')}`);
        const writes = r.stderr.split('\n').filter(l => /^# (could not create|created|wrote) '\/app\//.test(l));
        assert(writes.length === 0, `bytecode written at start: ${writes.join('; ')}`);
        return loaded.map(f => `code object from '${f}'`).join(', ');
      });
    }
  }
}

console.log(`\ne2e: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);

/** Every Go compile step of a plain-progress build log was CACHED; returns the exit status. */
function checkCachedGoBuilds(file) {
  const text = fs.readFileSync(file, 'utf8');
  // one target per bake call: "[linux/amd64 builder 1/2]"; several: "[gateway linux/amd64 builder 1/2]"
  const steps = [...text.matchAll(/^#(\d+) \[(?:(\S+) )?(\S+) builder [^\]]*\] RUN .*go build -trimpath.* -o \/out\/rootfs\/usr\/local\/bin\/(\S+)/gm)];
  const byId = new Map(steps.map(m => [`${m[0].split(' ')[0]} ${m[4]}`, `${m[4]} ${m[3]}`]));
  // vertex numbers restart with every bake call: look for CACHED right after the step, in its own section
  const ran = steps.filter(m => !new RegExp(`^${escape(m[0])}.*\n(?:(?!#1 \\[internal\\] load local bake).*\n)*?#${m[1]} CACHED$`, 'm').test(text)).map(m => [m[1], `${m[4]} ${m[3]}`]);
  if (byId.size === 0 || ran.length > 0) {
    console.log(`FAIL Go compiles re-ran after a Python edit: ${ran.map(([, what]) => what).join(', ') || 'no compile step in the log'}`);
    return 1;
  }
  console.log(`ok   after a Python edit every Go compile was CACHED (${[...byId.values()].sort().join(', ')})`);
  return 0;
}

/**
 * A Python image before and after a code-only edit (`--python-layers REPOSITORY BEFORE_TAG AFTER_TAG`,
 * REPOSITORY as 127.0.0.1:5000/name/scorer): per platform, every layer (the base's, the dependencies')
 * is the same digest but the application's, which differs. Reads the registry's manifests and configs.
 */
async function checkPythonLayers(repository, before, after) {
  const [host, ...rest] = repository.split('/');
  const name = rest.join('/');
  const get = async (ref, accept) => {
    const r = await fetch(`http://${host}/v2/${name}/${ref.startsWith('sha256:') && accept === 'blob' ? 'blobs' : 'manifests'}/${ref}`, { headers: { Accept: accept === 'blob' ? '*/*' : accept } });
    if (!r.ok) throw new Error(`${repository} ${ref}: HTTP ${r.status}`);
    return r.json();
  };
  const ACCEPT = 'application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json';
  /** platform -> the layers, each with the history line that made it. */
  const layers = async (tag) => {
    const index = await get(tag, ACCEPT);
    const out = {};
    for (const m of (index.manifests ?? []).filter(x => x.platform && x.platform.architecture !== 'unknown')) {
      const manifest = await get(m.digest, ACCEPT);
      const config = await get(manifest.config.digest, 'blob');
      // the base image's history may list fewer layers than it has: align from the end
      const made = config.history.filter(h => !h.empty_layer).map(h => h.created_by ?? '');
      const offset = manifest.layers.length - made.length;
      out[`${m.platform.os}/${m.platform.architecture}`] = manifest.layers.map((l, i) => ({ digest: l.digest, by: made[i - offset] ?? '' }));
    }
    return out;
  };
  const a = await layers(before);
  const b = await layers(after);
  let status = 0;
  for (const platform of Object.keys(a).sort()) {
    const [x, y] = [a[platform], b[platform] ?? []];
    // BuildKit records both copies as "COPY /out/rootfs/ / # buildkit": the dependencies' first, then the application's
    const copies = x.map((l, i) => (/^COPY \/out\/rootfs\/ \/ /.test(l.by) ? i : -1)).filter(i => i >= 0);
    const [venv, app] = copies.length === 2 ? copies : [-1, -1];
    const short = d => d.slice(7, 19);
    const line = `${platform}: venv layer ${short(x[venv]?.digest ?? 'sha256:none')} -> ${short(y[venv]?.digest ?? 'sha256:none')}, app layer ${short(x[app]?.digest ?? 'sha256:none')} -> ${short(y[app]?.digest ?? 'sha256:none')}`;
    const same = venv >= 0 && x.every((l, i) => i === app || (y[i] && y[i].digest === l.digest));
    if (venv < 0 || app !== venv + 1 || x.length !== y.length || !same || x[app].digest === y[app].digest) {
      console.log(`FAIL after a code-only edit, ${line} (expected every layer but the app's the same, the app's new)`);
      status = 1;
    } else {
      console.log(`ok   after a code-only edit, ${line}`);
    }
  }
  if (Object.keys(a).length === 0) { console.log(`FAIL ${repository}:${before} has no platform manifests`); status = 1; }
  return status;
}

function escape(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Copies one file out of an image for a platform. */
function extract(ref, platform, file) {
  const id = docker('create', '--platform', platform, ref).trim();
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'e2e-bin-')), 'bin');
  try {
    docker('cp', `${id}:${file}`, out);
    return fs.readFileSync(out);
  } finally {
    spawnSync('docker', ['rm', id], { stdio: 'ignore' });
  }
}

/** Durations of the `go build` steps in a plain-progress BuildKit log, per target platform. */
function goBuildDurations(text) {
  const steps = new Map();
  // BuildKit names a cross-compiling step "linux/amd64->arm64" (build platform -> target architecture)
  for (const m of text.matchAll(/^#(\d+) \[\S+ (linux)\/([a-z0-9]+)(?:->([a-z0-9]+(?:\/v\d)?))? builder [^\]]*\] RUN .*go build/gm)) {
    steps.set(m[1], `${m[2]}/${m[4] ?? m[3]}`);
  }
  const out = [];
  for (const [id, platform] of steps) {
    const done = new RegExp(`^#${id} DONE ([0-9.]+)s`, 'm').exec(text);
    if (done) out.push({ platform, seconds: Number(done[1]) });
  }
  return out;
}
