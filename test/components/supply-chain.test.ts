/**
 * The supply chain: what was pushed is recorded from bake's --metadata-file, and signing, SBOMs and
 * scans use those digests, never a tag; pull requests read the cache but never write it; one platform
 * per native runner, then a merge; docker/metadata-action's tags and labels win per service.
 */
import { spawnSync } from 'child_process';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { GoService, MultiArchPipeline, Platform, PythonService } from '../../src';
import { bakeEntries, bakePrint, hasBuildx, makeDryRun, newProject, synthToDisk } from '../helpers';

const DIGEST = (n: number) => `sha256:${String(n).repeat(64).slice(0, 64)}`;

/** A project with two services (one amd64-only), synthesized to disk. */
function project(): string {
  const p = newProject();
  new MultiArchPipeline(p, { registry: 'ghcr.io/acme', dockerfileSyntax: '' });
  new GoService(p, 'api');
  new GoService(p, 'legacy', { platforms: [Platform.LINUX_AMD64] });
  synthToDisk(p);
  return p.outdir;
}

/** Fake tools on PATH that log their arguments; `docker` runs `script` first. */
function tools(script: string): { env: NodeJS.ProcessEnv; calls: () => string[]; bin: string } {
  const bin = fs.mkdtempSync(path.join(os.tmpdir(), 'fake-'));
  const log = path.join(bin, 'calls.log');
  fs.writeFileSync(log, '');
  // `docker buildx version` answers as buildx 0.29.1 does, and is not logged: the tools check is prerequisite-checks.test.ts's
  fs.writeFileSync(path.join(bin, 'docker'), `#!/bin/bash\n[ "$1 $2" != "buildx version" ] || { echo "github.com/docker/buildx v0.29.1 a8d0c1d"; exit 0; }\necho "docker $*" >> ${log}\n${script}\nexit 0\n`, { mode: 0o755 });
  fs.writeFileSync(path.join(bin, 'cosign'), `#!/bin/bash\necho "cosign $*" >> ${log}\n`, { mode: 0o755 });
  return { bin, env: { ...process.env, PATH: `${bin}:${process.env.PATH}` }, calls: () => fs.readFileSync(log, 'utf8').trim().split('\n').filter(x => x) };
}

/** buildx's --metadata-file, as it writes it (indented JSON, one key per target). */
function metadata(targets: { [name: string]: string }): string {
  const doc: any = {};
  for (const [name, digest] of Object.entries(targets)) {
    doc[name] = { 'buildx.build.ref': `default/default/${name}`, 'containerimage.descriptor': { digest, size: 1 }, 'containerimage.digest': digest, 'image.name': `x/${name}` };
  }
  return JSON.stringify(doc, null, 2);
}

const make = (dir: string, env: NodeJS.ProcessEnv, ...args: string[]) => spawnSync('make', args, { cwd: dir, env, encoding: 'utf8' });

describe('what was pushed is what is signed', () => {
  test('a pushing build records each service\'s digest from bake\'s metadata file', () => {
    // GIVEN a bake that writes its metadata file as buildx does
    const dir = project();
    const fake = tools(`if [ "$2" = bake ]; then f=; prev=; for a in "$@"; do [ "$prev" = --metadata-file ] && f=$a; prev=$a; done; [ -n "$f" ] && cat > "$f" <<'EOF'\n${metadata({ api: DIGEST(1), legacy: DIGEST(2) })}\nEOF\nfi`);
    // WHEN build-multiarch pushes
    const r = make(dir, fake.env, 'build-multiarch', 'PUSH=true', 'BUILDX_DRIVER=docker');
    // THEN the digests are kept for build-sign
    expect(r.stderr).toBe('');
    expect(fs.readFileSync(path.join(dir, '.multiarch/digests/api'), 'utf8')).toBe(`ghcr.io/acme/api@${DIGEST(1)}\n`);
    expect(fs.readFileSync(path.join(dir, '.multiarch/digests/legacy'), 'utf8')).toBe(`ghcr.io/acme/legacy@${DIGEST(2)}\n`);
    expect(r.stdout).toContain(`pushed ghcr.io/acme/api@${DIGEST(1)}`);
  });

  test('build-sign signs those digests, recursively, with COSIGN_KEY and COSIGN_FLAGS, and looks up no tag', () => {
    const dir = project();
    fs.mkdirSync(path.join(dir, '.multiarch/digests'), { recursive: true });
    fs.writeFileSync(path.join(dir, '.multiarch/digests/api'), `ghcr.io/acme/api@${DIGEST(1)}\n`);
    fs.writeFileSync(path.join(dir, '.multiarch/digests/legacy'), `ghcr.io/acme/legacy@${DIGEST(2)}\n`);
    const fake = tools('');
    const r = make(dir, fake.env, 'build-sign', 'COSIGN_KEY=cosign.key', 'COSIGN_FLAGS=--tlog-upload=false');
    expect(r.status).toBe(0);
    expect(fake.calls()).toEqual([
      `cosign sign --yes --recursive --tlog-upload=false --key cosign.key ghcr.io/acme/api@${DIGEST(1)}`,
      `cosign sign --yes --recursive --tlog-upload=false --key cosign.key ghcr.io/acme/legacy@${DIGEST(2)}`,
    ]);
  });

  /** A project whose api was pushed as DIGEST(1), an index of amd64 DIGEST(3) and arm64 DIGEST(4), with these SBOM files. */
  function signed(sboms: string[], index = `linux-amd64=${DIGEST(3)} linux-arm64=${DIGEST(4)} unknown-unknown=${DIGEST(5)} `) {
    const dir = project();
    fs.mkdirSync(path.join(dir, '.multiarch/digests'), { recursive: true });
    fs.writeFileSync(path.join(dir, '.multiarch/digests/api'), `ghcr.io/acme/api@${DIGEST(1)}\n`);
    fs.writeFileSync(path.join(dir, '.multiarch/digests/legacy'), `ghcr.io/acme/legacy@${DIGEST(2)}\n`);
    for (const f of sboms) {
      fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
      fs.writeFileSync(path.join(dir, f), '{}');
    }
    const fake = tools(`[ "$2 $3" = "imagetools inspect" ] && case "$*" in *Manifest.Manifests*) echo "${index}" ;; *) exit 1 ;; esac`);
    return { r: make(dir, fake.env, 'build-sign'), attests: fake.calls().filter(c => c.startsWith('cosign attest')) };
  }

  test('build-sign attaches each platform\'s SBOM to that platform\'s manifest', () => {
    // GIVEN SBOMs of both of api's platforms
    const { r, attests } = signed(['sbom/api/linux-amd64.spdx.json', 'sbom/api/linux-arm64.spdx.json']);
    // THEN each goes to its own manifest, and legacy (no SBOMs) gets none
    expect(r.status).toBe(0);
    expect(attests).toEqual([
      `cosign attest --yes --type spdxjson --predicate sbom/api/linux-amd64.spdx.json ghcr.io/acme/api@${DIGEST(3)}`,
      `cosign attest --yes --type spdxjson --predicate sbom/api/linux-arm64.spdx.json ghcr.io/acme/api@${DIGEST(4)}`,
    ]);
  });

  test('an SBOM of another service whose name starts with this one\'s is never attested to it (api vs api-gateway)', () => {
    // GIVEN only api-gateway's SBOMs, written where the previous layout (sbom/<service>-<platform>) put them
    const { r, attests } = signed(['sbom/api-gateway-linux-amd64.spdx.json', 'sbom/api-gateway/linux-amd64.spdx.json']);
    // THEN api gets no attestation
    expect(r.status).toBe(0);
    expect(attests).toEqual([]);
  });

  test('an index without the SBOM\'s platform stops build-sign; the SBOM never goes to the index itself', () => {
    // GIVEN an index that lists only amd64
    const { r, attests } = signed(['sbom/api/linux-amd64.spdx.json', 'sbom/api/linux-arm64.spdx.json'], `linux-amd64=${DIGEST(3)} `);
    // THEN amd64 is attested, then arm64 stops the target with a message
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(`build-sign: ghcr.io/acme/api@${DIGEST(1)} has no linux/arm64 manifest to attest sbom/api/linux-arm64.spdx.json to`);
    expect(attests.some(c => c.endsWith(`@${DIGEST(1)}`))).toBe(false);
  });

  test('a missing platform SBOM of a scanned service stops build-sign', () => {
    const { r } = signed(['sbom/api/linux-amd64.spdx.json']);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('build-sign: no SBOM sbom/api/linux-arm64.spdx.json of api for linux/arm64: run build-sbom first');
  });

  test('without a recorded push, build-sign stops before signing anything and says what to run', () => {
    const dir = project();
    const fake = tools('');
    const r = make(dir, fake.env, 'build-sign');
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('no pushed digest of api in .multiarch/digests: push it first (make build-multiarch PUSH=true, ci-push or ci-merge)');
    expect(fake.calls().filter(c => c.startsWith('cosign'))).toEqual([]);
  });
});

describe('pull requests', () => {
  test('ci-build reads the cache and never writes it, and never pushes', () => {
    const dir = project();
    const line = makeDryRun(dir, 'Makefile', 'ci-build', ['BUILDX_DRIVER=docker', 'CACHE_REGISTRY=ghcr.io/acme/cache']).stdout.split('\n').find(l => l.includes('buildx bake'))!;
    expect(line).toContain('CACHE_REGISTRY="ghcr.io/acme/cache"');
    // a bake variable, not '--set=*.cache-to=' (which fails with "ERROR: EOF" on buildx 0.19.0-0.19.2 and 0.21.0-0.21.1)
    expect(line).toContain('CACHE_WRITE="false"');
    expect(line).not.toContain('cache-to');
    expect(line).not.toMatch(/--push|output=/);
  });

  test('a job that builds one PLATFORM reads and writes a cache ref of its own; every other build shares "cache"', () => {
    const dir = project();
    const bakeLine = (target: string, vars: string[]) => makeDryRun(dir, 'Makefile', target, ['BUILDX_DRIVER=docker', 'CACHE_REGISTRY=ghcr.io/acme/cache', ...vars])
      .stdout.split('\n').find(l => l.includes('buildx bake'))!;
    expect(bakeLine('ci-push-platform', ['PLATFORM=linux/arm64'])).toContain('CACHE_TAG="cache-linux-arm64"');
    expect(bakeLine('ci-build', ['PLATFORM=linux/amd64'])).toContain('CACHE_TAG="cache-linux-amd64"');
    expect(bakeLine('ci-push', [])).toContain('CACHE_TAG="cache"');
    expect(bakeLine('build-multiarch', [])).toContain('CACHE_TAG="cache"');
  });

  (hasBuildx() ? test : test.skip)('bake resolves ci-build\'s targets with cache-from and no cache-to', () => {
    const dir = project();
    const r = bakePrint(dir, 'docker-bake.hcl', { CACHE_REGISTRY: 'ghcr.io/acme/cache' });
    expect(bakeEntries(r.target.api['cache-to'])).toEqual([{ type: 'registry', ref: 'ghcr.io/acme/cache/api:cache', mode: 'max' }]);
    const resolved = bakePrint(dir, 'docker-bake.hcl', { CACHE_REGISTRY: 'ghcr.io/acme/cache', CACHE_WRITE: 'false', CACHE_TAG: 'cache-linux-arm64' });
    expect(resolved.target.api['cache-to']).toBeUndefined();
    expect(bakeEntries(resolved.target.api['cache-from'])).toEqual([{ type: 'registry', ref: 'ghcr.io/acme/cache/api:cache-linux-arm64' }]);
  });
});

describe('one platform per native runner, then a merge', () => {
  test('ci-push-platform builds only the services that have the platform, by digest, and records the metadata per platform', () => {
    const dir = project();
    const arm = makeDryRun(dir, 'Makefile', 'ci-push-platform', ['PLATFORM=linux/arm64', 'BUILDX_DRIVER=docker-container']).stdout.split('\n').find(l => l.includes('buildx bake'))!;
    expect(arm).toContain("'--set=*.platform=linux/arm64'");
    expect(arm).toContain("'--set=api.output=type=image,name=ghcr.io/acme/api,push-by-digest=true,name-canonical=true,push=true,rewrite-timestamp=true' '--set=api.tags='");
    expect(arm).toMatch(/--metadata-file "\.multiarch\/platform-linux-arm64\.json" api$/);
    const amd = makeDryRun(dir, 'Makefile', 'ci-push-platform', ['PLATFORM=linux/amd64', 'BUILDX_DRIVER=docker-container']).stdout;
    expect(amd).toMatch(/--metadata-file "\.multiarch\/platform-linux-amd64\.json" api legacy$/m);
  });

  test('the docker driver, which cannot push by digest, pushes to a per-platform staging tag, never VERSION', () => {
    const dir = project();
    const line = makeDryRun(dir, 'Makefile', 'ci-push-platform', ['PLATFORM=linux/arm64', 'BUILDX_DRIVER=docker', 'VERSION=1.2.3', 'VCS_REF=abc1234']).stdout.split('\n').find(l => l.includes('buildx bake'))!;
    expect(line).toContain("--push '--set=api.tags=ghcr.io/acme/api:unpublished-abc1234-linux-arm64'");
    expect(line).not.toContain(':1.2.3');
    expect(line).not.toContain('push-by-digest');
  });

  test.each([
    ['docker', "--push '--set=api.tags=ghcr.io/acme/api:unpublished-abc1234-linux-arm64'"],
    ['docker-container', "'--set=api.output=type=image,name=ghcr.io/acme/api,push-by-digest=true,name-canonical=true,push=true,rewrite-timestamp=true'"],
  ])('how a build pushes follows the driver of the builder it runs on (%s), not BUILDX_DRIVER', (driver, flags) => {
    // GIVEN BUILDX_DRIVER left at docker-container, and a BUILDER that buildx reports with another driver
    const dir = project();
    const fake = tools(`[ "$1 $2 $3" = "buildx inspect ci-builder" ] && printf 'Name:          ci-builder\\nDriver:        ${driver}\\n'`);
    const r = spawnSync('make', ['-n', 'ci-push-platform', 'PLATFORM=linux/arm64', 'BUILDX_DRIVER=docker-container', 'BUILDER=ci-builder', 'VCS_REF=abc1234'],
      { cwd: dir, env: fake.env, encoding: 'utf8' });
    // THEN
    expect(r.stdout.split('\n').find(l => l.includes('buildx bake'))).toContain(flags);
  });

  test.each([
    ['docker-container', "'--set=api.output=type=image,name=ghcr.io/acme/api,push-by-digest=true,name-canonical=true,push=true,rewrite-timestamp=true' '--set=api.tags='"],
    ['docker', "--push '--set=api.tags=ghcr.io/acme/api:unpublished-abc1234'"],
  ])('ci-push (one job, every platform) pushes no public tag with the %s driver: by digest, or under the staging tag', (driver, flags) => {
    const dir = project();
    const line = makeDryRun(dir, 'Makefile', 'ci-push', [`BUILDX_DRIVER=${driver}`, 'VERSION=1.2.3', 'VCS_REF=abc1234']).stdout.split('\n').find(l => l.includes('buildx bake'))!;
    expect(line).toContain(flags);
    expect(line).not.toMatch(/api:1\.2\.3|PUSH_OUTPUT|type=registry/);
  });

  test.each([
    [[], 'ci-push-platform: set PLATFORM to one platform, e.g. PLATFORM=linux/arm64'],
    [['PLATFORM=linux/s390x'], 'ci-push-platform: no service builds linux/s390x (PLATFORMS=linux/amd64,linux/arm64)'],
  ])('ci-push-platform %j is refused', (vars, message) => {
    const dir = project();
    const r = make(dir, tools('').env, 'ci-push-platform', 'BUILDX_DRIVER=docker', ...vars);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(message);
  });

  test('ci-merge joins the recorded platform digests under the staging tag, never a public one, and records the index digest it pushed', () => {
    // GIVEN both platforms' metadata files, and bake --print / imagetools as buildx answers them
    const dir = project();
    fs.mkdirSync(path.join(dir, '.multiarch'));
    fs.writeFileSync(path.join(dir, '.multiarch/platform-linux-amd64.json'), metadata({ api: DIGEST(1), legacy: DIGEST(2) }));
    fs.writeFileSync(path.join(dir, '.multiarch/platform-linux-arm64.json'), metadata({ api: DIGEST(3) }));
    const index = '{"schemaVersion":2,"manifests":[]}';
    // bake --print as buildx prints it: indented JSON, "&" as \u0026
    const printed = (name: string) => JSON.stringify({
      target: {
        [name]: {
          // imagetools create takes index annotations only: the manifest one must not reach it
          annotations: [`index:org.opencontainers.image.title=${name}`, 'manifest:com.example.team=payments', 'index:org.opencontainers.image.description=Orders & payments API'],
          tags: [`ghcr.io/acme/${name}:1.2.3`, `ghcr.io/acme/${name}:latest`],
        },
      },
    }, null, 2).replace(/&/g, '\\u0026');
    const fake = tools([
      '[ "$1 $2" = "context show" ] && echo default',
      'case "$2 $3 $4" in',
      `  "bake --builder default") for a in "$@"; do case "$a" in api) cat <<'EOF'\n${printed('api')}\nEOF\n;; legacy) cat <<'EOF'\n${printed('legacy')}\nEOF\n;; esac; done ;;`,
      `  "imagetools create --dry-run") printf '[%s]' "$@" >> "$(dirname "$0")/creates.log"; echo >> "$(dirname "$0")/creates.log"; printf '%s\\n' '${index}' ;;`,
      '  "imagetools create --annotation") printf \'[%s]\' "$@" >> "$(dirname "$0")/creates.log"; echo >> "$(dirname "$0")/creates.log" ;;',
      '  "imagetools inspect "*) echo "linux/amd64 linux/arm64 " ;;',
      'esac',
    ].join('\n'));
    // WHEN
    const r = make(dir, fake.env, 'ci-merge', 'BUILDX_DRIVER=docker', 'VERSION=1.2.3', 'VCS_REF=abc1234');
    // THEN one create per service, from the digests, with bake's index annotations (each one argument,
    // spaces and all), the same in the dry run that gives the digest, tagged only with the staging tag
    expect(r.stderr).toBe('');
    const creates = fs.readFileSync(path.join(fake.bin, 'creates.log'), 'utf8').trim().split('\n');
    const annotations = (name: string) => `[--annotation][index:org.opencontainers.image.title=${name}][--annotation][index:org.opencontainers.image.description=Orders & payments API]`;
    expect(creates).toEqual([
      `[buildx][imagetools][create][--dry-run]${annotations('api')}[ghcr.io/acme/api@${DIGEST(1)}][ghcr.io/acme/api@${DIGEST(3)}]`,
      `[buildx][imagetools][create]${annotations('api')}[-t][ghcr.io/acme/api:unpublished-abc1234][ghcr.io/acme/api@${DIGEST(1)}][ghcr.io/acme/api@${DIGEST(3)}]`,
      `[buildx][imagetools][create][--dry-run]${annotations('legacy')}[ghcr.io/acme/legacy@${DIGEST(2)}]`,
      `[buildx][imagetools][create]${annotations('legacy')}[-t][ghcr.io/acme/legacy:unpublished-abc1234][ghcr.io/acme/legacy@${DIGEST(2)}]`,
    ]);
    const expected = `sha256:${createHash('sha256').update(index).digest('hex')}`;
    expect(fs.readFileSync(path.join(dir, '.multiarch/digests/api'), 'utf8')).toBe(`ghcr.io/acme/api@${expected}\n`);
  });

  /** Index bytes whose sha256 is the digest recorded for api, legacy, or neither. */
  const API_INDEX = '{"manifests":["api"]}';
  const LEGACY_INDEX = '{"manifests":["legacy"]}';
  const sha = (bytes: string) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

  /** A project that recorded api's and legacy's indexes, and a docker that answers bake --print and imagetools. */
  function published(inspected: (tag: string) => string, ...vars: string[]) {
    const dir = project();
    fs.mkdirSync(path.join(dir, '.multiarch/digests'), { recursive: true });
    fs.writeFileSync(path.join(dir, '.multiarch/digests/api'), `ghcr.io/acme/api@${sha(API_INDEX)}\n`);
    fs.writeFileSync(path.join(dir, '.multiarch/digests/legacy'), `ghcr.io/acme/legacy@${sha(LEGACY_INDEX)}\n`);
    const printed = (name: string) => JSON.stringify({ target: { [name]: { tags: [`ghcr.io/acme/${name}:1.2.3`] } } }, null, 2);
    const fake = tools([
      '[ "$1 $2" = "context show" ] && echo default',
      'case "$2 $3" in',
      `  "bake --builder") for a in "$@"; do case "$a" in api) cat <<'EOF'\n${printed('api')}\nEOF\n;; legacy) cat <<'EOF'\n${printed('legacy')}\nEOF\n;; esac; done ;;`,
      // --raw: the bytes the registry serves for the tag, whose sha256 is its digest
      `  "imagetools inspect") case "$4" in ${['api', 'legacy'].flatMap(n => ['1.2.3', '1.2', 'latest'].map(t => `ghcr.io/acme/${n}:${t}) printf %s '${inspected(`${n}:${t}`)}' ;;`)).join(' ')} esac ;;`,
      'esac',
    ].join('\n'));
    const r = make(dir, fake.env, 'ci-publish', 'BUILDX_DRIVER=docker', 'VERSION=1.2.3', ...vars);
    return { r, creates: fake.calls().filter(c => c.startsWith('docker buildx imagetools create')) };
  }

  test('ci-publish gives each recorded digest the bake file\'s tags and PUBLISH_TAGS, then checks every tag is that digest', () => {
    // WHEN the tags serve the recorded indexes (imagetools pushes one index source's bytes unchanged)
    const { r, creates } = published(tag => tag.startsWith('api') ? API_INDEX : LEGACY_INDEX, 'PUBLISH_TAGS=1.2 latest');
    // THEN
    expect(r.stderr).toBe('');
    expect(creates).toEqual([
      `docker buildx imagetools create -t ghcr.io/acme/api:1.2.3 -t ghcr.io/acme/api:1.2 -t ghcr.io/acme/api:latest ghcr.io/acme/api@${sha(API_INDEX)}`,
      `docker buildx imagetools create -t ghcr.io/acme/legacy:1.2.3 -t ghcr.io/acme/legacy:1.2 -t ghcr.io/acme/legacy:latest ghcr.io/acme/legacy@${sha(LEGACY_INDEX)}`,
    ]);
    expect(r.stdout).toContain(`ci-publish: api: ghcr.io/acme/api@${sha(API_INDEX)} tagged ghcr.io/acme/api:1.2.3 ghcr.io/acme/api:1.2 ghcr.io/acme/api:latest`);
  });

  test('ci-publish stops when a tag does not hold the signed digest', () => {
    const { r } = published(tag => tag === 'api:latest' ? '{"other":1}' : tag.startsWith('api') ? API_INDEX : LEGACY_INDEX, 'PUBLISH_TAGS=latest');
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(`ci-publish: ghcr.io/acme/api:latest is ${sha('{"other":1}')}, not the scanned and signed ${sha(API_INDEX)}`);
  });

  test('ci-merge without the platforms\' metadata says what to run first', () => {
    const dir = project();
    const r = make(dir, tools('').env, 'ci-merge', 'BUILDX_DRIVER=docker');
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('ci-merge: no digest of api in .multiarch/platform-*.json: run make ci-push-platform PLATFORM=<platform> for each platform first');
  });
});

describe('docker/metadata-action through bake', () => {
  (hasBuildx() ? test : test.skip)('a metadata file for a service\'s target makes its tags win and merges its labels over the pipeline\'s', () => {
    // GIVEN the bake file and a metadata-action bake file written with bake-target: api
    const p = newProject();
    new MultiArchPipeline(p, { registry: 'ghcr.io/acme', labels: { 'org.opencontainers.image.vendor': 'Acme' } });
    new GoService(p, 'api');
    new PythonService(p, 'ml', { directory: 'ml' });
    synthToDisk(p);
    fs.writeFileSync(path.join(p.outdir, 'meta-api.json'), JSON.stringify({
      target: {
        api: {
          tags: ['ghcr.io/acme/api:1.2.3', 'ghcr.io/acme/api:1.2', 'ghcr.io/acme/api:latest'],
          labels: { 'org.opencontainers.image.version': '1.2.3', 'org.opencontainers.image.source': 'https://github.com/acme/app' },
          args: { DOCKER_META_IMAGES: 'ghcr.io/acme/api', DOCKER_META_VERSION: '1.2.3' },
        },
      },
    }));
    // WHEN bake reads both, as the Makefile passes METADATA_FILES
    const r = spawnSync('docker', ['buildx', 'bake', '-f', 'docker-bake.hcl', '-f', 'meta-api.json', '--print'],
      { cwd: p.outdir, env: { ...process.env, VERSION: '1.2.3' }, encoding: 'utf8' });
    const t = JSON.parse(r.stdout).target;
    // THEN api has the action's tags and labels, and keeps the pipeline's other labels; ml is untouched
    expect(t.api.tags).toEqual(['ghcr.io/acme/api:1.2.3', 'ghcr.io/acme/api:1.2', 'ghcr.io/acme/api:latest']);
    expect(t.api.labels['org.opencontainers.image.source']).toBe('https://github.com/acme/app');
    expect(t.api.labels['org.opencontainers.image.title']).toBe('api');
    expect(t.api.labels['org.opencontainers.image.vendor']).toBe('Acme');
    expect(t.api.args.DOCKER_META_VERSION).toBe('1.2.3');
    expect(t.ml.tags).toEqual(['ghcr.io/acme/ml:1.2.3']);
  });

  test('the Makefile passes METADATA_FILES after the bake file', () => {
    const dir = project();
    const line = makeDryRun(dir, 'Makefile', 'ci-push', ['BUILDX_DRIVER=docker', 'METADATA_FILES=/tmp/meta-api.json /tmp/meta-legacy.json']).stdout.split('\n').find(l => l.includes('buildx bake'))!;
    expect(line).toContain('-f docker-bake.hcl -f /tmp/meta-api.json -f /tmp/meta-legacy.json ');
  });
});
