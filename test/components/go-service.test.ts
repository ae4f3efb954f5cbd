import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { EnvInstruction, GoService, Platform } from '../../src';
import { excludingPattern } from '../../src/dockerfile/dockerignore';
import { lintDockerfile, nephoranProject, newProject, parseDockerfile, parseHcl, synth } from '../helpers';

describe('GoService Dockerfile', () => {
  test('snapshot: cmd/llm-processor/Dockerfile', () => {
    expect(synth(nephoranProject())['cmd/llm-processor/Dockerfile']).toMatchSnapshot();
  });

  test('snapshot: shared root Dockerfile', () => {
    expect(synth(nephoranProject()).Dockerfile).toMatchSnapshot();
  });

  test('defaults: modules, imports, deps and builder on the build platform, a distroless non-root runtime', () => {
    // GIVEN
    const project = newProject();
    // WHEN
    new GoService(project, 'api');
    const dockerfile = synth(project)['cmd/api/Dockerfile'];
    // THEN
    expect(lintDockerfile(dockerfile)).toEqual([]);
    const stages = parseDockerfile(dockerfile).stages;
    expect(stages.map(s => [s.from, s.name, s.platform])).toEqual([
      ['golang:1.24-bookworm', 'modules', '$BUILDPLATFORM'],
      ['modules', 'imports', undefined],
      ['modules', 'deps', undefined],
      ['deps', 'builder', undefined],
      ['gcr.io/distroless/static-debian12:nonroot', null, undefined],
    ]);
    const [modules, imports, deps, builder, runtime] = stages;
    // one download for every platform: no target-platform ARG before it, go.mod/go.sum only
    expect(modules.instructions.filter(i => i.keyword === 'ARG')).toEqual([]);
    expect(modules.instructions.find(i => i.keyword === 'COPY')!.raw).toBe('COPY go.mod go.sum* ./');
    const download = modules.instructions.find(i => i.raw.includes('go mod download'))!.raw;
    expect(download).toContain('--mount=type=secret,id=netrc,target=/root/.netrc');
    // its errors go to a file removed in the same step, so that a failure can say why (see "the module download's failure")
    expect(download).toMatch(/\(go mod download 2>\/tmp\/go-mod-download\.log \|\| \{ cat \/tmp\/go-mod-download\.log >&2; .*exit 1; \}\) && \\\n\s*cat \/tmp\/go-mod-download\.log >&2 && \\\n\s*rm \/tmp\/go-mod-download\.log && \\\n\s*go mod verify$/);
    expect(download).toContain('go mod verify');
    // Go's local telemetry off first, so no Go step writes its dated counter files into a layer
    expect(download).toMatch(/^RUN --mount=type=secret,id=netrc,target=\/root\/\.netrc \\\n\s*\(go telemetry off 2>\/dev\/null \|\| true\) && \\\n\s*\(go mod download /);
    // the import list and the dependency compile, per platform, offline
    // (the packages and tags are build args that default to the service's own, so the file builds without bake too)
    expect(imports.instructions.filter(i => i.keyword === 'ARG').map(i => i.args)).toEqual(['TARGETOS TARGETARCH TARGETVARIANT', 'GO_PACKAGES=./cmd/api', 'BUILD_TAGS=""']);
    // (the list is written in a directory of its own: the deps stage's bind mount of it then lists that directory, not the whole toolchain, for its cache key)
    // (go list's build cache entries go to a directory removed in the same step: the layer holds the list alone)
    // (with the platform it is for: the list is often the same on every platform, and a registry cache keeps a layer that two
    // platforms share for one of them only, moby/buildkit#2279; the deps stage mounts deps.txt alone, so its key ignores it)
    expect(imports.instructions.find(i => i.keyword === 'RUN')!.raw).toMatch(/mkdir -p \/imports && \\\n\s*echo "\$\{TARGETOS\}\/\$\{TARGETARCH\}\$\{TARGETVARIANT:\+\/\$\{TARGETVARIANT\}\}" > \/imports\/platform && \\\n\s*listcache="\$\(mktemp -d\)" && \\\n\s*CGO_ENABLED=0 .* GOPROXY=off GOCACHE="\$listcache" go list -deps -tags "\$\{BUILD_TAGS\}" -f '.*' \$\{GO_PACKAGES:\?[^}]*\} > \/imports\/deps\.txt && \\\n\s*rm -rf "\$listcache"$/);
    expect(deps.instructions.map(i => i.raw)).toEqual([
      'ARG TARGETOS TARGETARCH TARGETVARIANT',
      'ARG BUILD_TAGS=""',
      // mounted, not copied: no layer of its own in every Go image's chain; the file, not /imports, whose
      // parent (the whole toolchain) BuildKit would list in full for the cache key on every build
      'RUN --mount=type=bind,from=imports,source=/imports/deps.txt,target=/imports/deps.txt \\\n' +
      '    CGO_ENABLED=0 GOOS=${TARGETOS} GOARCH=${TARGETARCH} GOARM=${TARGETVARIANT#v} GOPROXY=off GOCACHE=/gocache go build -trimpath -tags "${BUILD_TAGS}" $(cat /imports/deps.txt) && \\\n' +
      '    find /gocache -exec touch -h -d @2147483647 {} +',
    ]);
    // the cache's files are dated in the future, the latest time a 32-bit time_t holds: Go re-dates
    // an entry it uses only when the entry is an hour old or more
    expect(new Date(2147483647 * 1000).toISOString()).toBe('2038-01-19T03:14:07.000Z');
    expect(2147483647).toBe(2 ** 31 - 1);
    // the service's own packages in one step (one layer: the image's files), on the deps stage's layer
    // (the cache is not mounted: BuildKit would hash all of it for the cache key), where the compile says where it ran
    const runs = builder.instructions.filter(i => i.keyword === 'RUN');
    expect(runs).toHaveLength(1);
    const build = runs[0].raw;
    expect(build).toMatch(/^RUN --mount=type=bind,target=\. \\\n/);
    expect(build).not.toContain('from=deps');
    expect(build).toContain('echo "building on ${BUILDPLATFORM} ($(uname -m)) for ${TARGETPLATFORM}"');
    expect(build).toContain('CGO_ENABLED=0 GOOS=${TARGETOS} GOARCH=${TARGETARCH} GOARM=${TARGETVARIANT#v} GOPROXY=off GOCACHE=/gocache go build -trimpath -ldflags "-w -s -X main.version=${VERSION}" -o /out/rootfs/usr/local/bin/api ./cmd/api');
    expect(build).toMatch(/go build [^\n]*&& \\\n\s*find \/out\/rootfs -exec touch -h -d @0 \{\} \+$/);
    expect(builder.instructions.filter(i => i.keyword === 'ARG').map(i => i.args)).toEqual(['TARGETOS TARGETARCH TARGETVARIANT BUILDPLATFORM TARGETPLATFORM', 'VERSION=dev']);
    expect(dockerfile).not.toMatch(/upx/);
    const byKeyword = (k: string) => runtime.instructions.filter(i => i.keyword === k).map(i => i.args);
    expect(byKeyword('USER')).toEqual(['65532:65532']);
    expect(byKeyword('EXPOSE')).toEqual([]);
    expect(JSON.parse(byKeyword('ENTRYPOINT')[0])).toEqual(['/usr/local/bin/api']);
    const labels = byKeyword('LABEL')[0];
    for (const l of ['org.opencontainers.image.title="api"', 'org.opencontainers.image.version="${VERSION}"', 'org.opencontainers.image.revision="${VCS_REF}"',
      'org.opencontainers.image.created="${BUILD_DATE}"', 'build.architecture="${TARGETARCH}"', 'build.platform="${TARGETPLATFORM}"', 'build.multi-arch="true"']) {
      expect(labels).toContain(l);
    }
  });

  test('upx: installed in the modules stage before go.mod, runs on amd64 only, and keeps the Go build info for scanners', () => {
    const project = newProject();
    new GoService(project, 'api', { upx: true });
    const dockerfile = synth(project)['cmd/api/Dockerfile'];
    const stages = parseDockerfile(dockerfile).stages;
    const modules = stages[0].instructions.map(i => i.raw);
    const builder = stages[3].instructions.map(i => i.raw);
    const install = modules.findIndex(r => r.includes('apt-get install -y --no-install-recommends upx-ucl'));
    // in the stages the module's services share, on the build platform (once per build, not per
    // target platform), before go.mod: neither a code change nor a new requirement re-runs apt
    expect(stages[0].platform).toBe('$BUILDPLATFORM');
    expect(install).toBeGreaterThanOrEqual(0);
    expect(install).toBeLessThan(modules.findIndex(r => r.startsWith('COPY go.mod')));
    expect(modules[install - 1]).toBe('WORKDIR /src');
    expect(dockerfile.match(/upx-ucl/g)).toHaveLength(2);
    // the service's own chain is its compile alone
    expect(builder.filter(r => r.startsWith('RUN'))).toHaveLength(1);
    const compile = builder.findIndex(r => r.includes('go build'));
    // the pack in the compile step, after the build and before the file times are set
    const step = builder[compile];
    expect(step.indexOf('go build')).toBeLessThan(step.indexOf('upx --best'));
    expect(step.indexOf('upx -t')).toBeLessThan(step.indexOf('find /out/rootfs -exec touch'));
    expect(builder.filter(r => r.includes('upx --best'))).toHaveLength(1);
    expect(step).toMatch(/go version -m \/out\/rootfs\/usr\/local\/bin\/api > \/out\/rootfs\/usr\/local\/share\/go-buildinfo\/api\.txt && if \[ "\$\{TARGETARCH\}" = "amd64" \]; then upx --best --lzma \/out\/rootfs\/usr\/local\/bin\/api && upx -t \/out\/rootfs\/usr\/local\/bin\/api; else echo "upx: skipped for \$\{TARGETPLATFORM\} \(amd64 only\)"; fi/);
    expect(dockerfile).toContain('build.upx-amd64="true"');
    expect(dockerfile).toContain('build.go-buildinfo="/usr/local/share/go-buildinfo/api.txt"');
  });

  test('a shared Dockerfile has UPX steps only when a service that shares it enables UPX, whatever the order', () => {
    const without = newProject();
    new GoService(without, 'a', { sharedDockerfile: true });
    new GoService(without, 'b', { sharedDockerfile: true });
    expect(synth(without).Dockerfile).not.toMatch(/upx|COMPRESS_WITH_UPX/);
    const late = newProject();
    new GoService(late, 'a', { sharedDockerfile: true });
    new GoService(late, 'b', { sharedDockerfile: true, upx: true });
    const early = newProject();
    new GoService(early, 'b', { sharedDockerfile: true, upx: true });
    new GoService(early, 'a', { sharedDockerfile: true });
    const dockerfile = synth(late).Dockerfile;
    expect(synth(early).Dockerfile).toBe(dockerfile);
    expect(lintDockerfile(dockerfile)).toEqual([]);
    expect(dockerfile).toContain('ARG COMPRESS_WITH_UPX=false');
    expect(dockerfile).toContain('build.upx-amd64="${COMPRESS_WITH_UPX}"');
  });

  test('upxImage pins UPX: it is copied from that image instead of installed', () => {
    const project = newProject();
    new GoService(project, 'api', { upx: true, upxImage: 'mirror.local/upx:4.2.4@sha256:' + 'a'.repeat(64) });
    const dockerfile = synth(project)['cmd/api/Dockerfile'];
    const modules = parseDockerfile(dockerfile).stages[0].instructions.map(i => i.raw);
    expect(modules.slice(0, 3)).toEqual(['WORKDIR /src', `COPY --from=mirror.local/upx:4.2.4@sha256:${'a'.repeat(64)} /usr/local/bin/upx /usr/local/bin/upx`, 'COPY go.mod go.sum* ./']);
    expect(dockerfile).not.toContain('apt-get');
  });

  test('services that share dependency stages share one UPX tool: every Dockerfile of the group gets it, whatever the order', () => {
    const build = (upxFirst: boolean) => {
      const project = newProject();
      const add = [() => new GoService(project, 'packer', { upx: true }), () => new GoService(project, 'plain')];
      if (!upxFirst) add.reverse();
      add.forEach(f => f());
      return synth(project);
    };
    const files = build(true);
    expect(build(false)['cmd/plain/Dockerfile']).toBe(files['cmd/plain/Dockerfile']);
    for (const f of ['cmd/packer/Dockerfile', 'cmd/plain/Dockerfile']) {
      const modules = parseDockerfile(files[f]).stages[0].instructions.map(i => i.raw);
      expect(modules.filter(r => r.includes('upx-ucl'))).toHaveLength(1);
      expect(lintDockerfile(files[f])).toEqual([]);
    }
    // the service without UPX only carries the tool in the shared stages: it never packs
    expect(files['cmd/plain/Dockerfile']).not.toMatch(/upx --best|build\.upx-amd64/);
    // so the two services have one dependency target, which carries the tool in its registry cache
    const bake = files['docker-bake.hcl'];
    expect(bake).toContain('target "_go-deps"');
    expect(bake.match(/deps = "target:_go-deps"/g)).toHaveLength(2);
  });

  test('a service alone in its module keeps UPX to itself; one with other settings does not get it', () => {
    const project = newProject();
    new GoService(project, 'packer', { upx: true });
    new GoService(project, 'tagged', { buildTags: ['netgo'] });
    const files = synth(project);
    expect(files['cmd/packer/Dockerfile']).toContain('upx-ucl');
    expect(files['cmd/tagged/Dockerfile']).not.toMatch(/upx/);
    expect(files['docker-bake.hcl']).not.toContain('_go-deps');
  });

  test('services that share dependency stages must take UPX from the same place', () => {
    const project = newProject();
    new GoService(project, 'a', { upx: true });
    expect(() => new GoService(project, 'b', { upx: true, upxImage: 'mirror.local/upx:4' }))
      .toThrow('GoService "b" takes UPX from upxImage "mirror.local/upx:4", but "a", whose dependency stages it shares (same module root, builder image, cgo, Go environment and build tags), takes it from apt (no upxImage): the stages hold one UPX, so give both the same upxImage, or set shareDependencies: false on one of them');
    // refused before anything is created: no file, bake or Make target, construct or ignore entry of it
    const left = synth(project);
    expect(Object.keys(left).filter(f => f.startsWith('cmd/b/'))).toEqual([]);
    expect(left['docker-bake.hcl']).not.toMatch(/target "b"/);
    expect(left.Makefile).not.toContain('build-b');
    expect(project.node.tryFindChild('b')).toBeUndefined();
    // other dependency stages (here: build tags), other tools
    expect(() => new GoService(project, 'c', { upx: true, upxImage: 'mirror.local/upx:4', buildTags: ['netgo'] })).not.toThrow();
    // other platforms: the same module build (GO_PACKAGES spans platforms), so the same tool
    const platforms = newProject();
    new GoService(platforms, 'a', { upx: true });
    expect(() => new GoService(platforms, 'd', { upx: true, upxImage: 'mirror.local/upx:4', platforms: [Platform.LINUX_AMD64] }))
      .toThrow(/GoService "d" takes UPX from upxImage "mirror.local\/upx:4", but "a".*or set shareDependencies: false on one of them/);
    // a service that does not share its dependencies takes UPX from where it likes
    expect(() => new GoService(platforms, 'd', { upx: true, upxImage: 'mirror.local/upx:4', platforms: [Platform.LINUX_AMD64], shareDependencies: false })).not.toThrow();
    const own = synth(platforms);
    expect(own['cmd/d/Dockerfile']).toContain('COPY --from=mirror.local/upx:4 /usr/local/bin/upx /usr/local/bin/upx');
    expect(own['cmd/a/Dockerfile']).not.toContain('mirror.local/upx');
    expect(own['docker-bake.hcl']).not.toContain('_go-deps');
    // the same image: one tool
    const same = newProject();
    new GoService(same, 'a', { upx: true, upxImage: 'mirror.local/upx:4' });
    new GoService(same, 'b', { upx: true, upxImage: 'mirror.local/upx:4' });
    const files = synth(same);
    expect(files['cmd/a/Dockerfile'].match(/COPY --from=mirror\.local\/upx:4 /g)).toHaveLength(1);
    expect(files['docker-bake.hcl']).toContain('target "_go-deps"');
  });

  test('options: port, ldflags, build tags, version variable, main package, module root, images, user', () => {
    const project = newProject();
    new GoService(project, 'svc', {
      port: 9090,
      ldflags: ['-X', 'main.commit=abc'],
      buildTags: ['netgo', 'osusergo'],
      versionVariable: 'example.com/svc/internal/build.Version',
      mainPackage: './cmd/server',
      moduleRoot: 'backend',
      builderImage: 'mirror.local/golang:1.23',
      runtimeImage: 'mirror.local/static:nonroot',
      user: '10001:10001',
    });
    const out = synth(project);
    // the Dockerfile sits next to its main package
    const dockerfile = out['backend/cmd/server/Dockerfile'];
    expect(lintDockerfile(dockerfile)).toEqual([]);
    expect(dockerfile).toContain('go build -trimpath -tags "netgo,osusergo" -ldflags "-w -s -X example.com/svc/internal/build.Version=${VERSION} -X main.commit=abc" -o /out/rootfs/usr/local/bin/svc ./cmd/server');
    expect(dockerfile).toContain('FROM --platform=$BUILDPLATFORM mirror.local/golang:1.23 AS modules');
    expect(dockerfile).toContain('FROM mirror.local/static:nonroot');
    expect(dockerfile).toContain('USER 10001:10001');
    expect(dockerfile).toContain('EXPOSE 9090');
    expect(out['backend/cmd/server/Dockerfile.dockerignore']).toBeDefined();
  });

  test('projen\'s own files stay out of a root build context: an edit of .projenrc.ts rebuilds no image', () => {
    // GIVEN a service whose context is the project root (the default module root)
    const project = newProject();
    new GoService(project, 'svc');
    // WHEN the ignore file is rendered
    const patterns = synth(project)['cmd/svc/Dockerfile.dockerignore'].split('\n').filter(l => l && !l.startsWith('#'));
    // THEN projen's files are excluded, the module's files are not
    for (const file of ['.projenrc.ts', '.projenrc.js', 'tsconfig.projen.json', '.projen/tasks.json']) {
      expect(excludingPattern(patterns, file)).toBeDefined();
    }
    for (const file of ['go.mod', 'cmd/svc/main.go', 'internal/projenrc/x.go', 'tsconfig.json']) {
      expect(excludingPattern(patterns, file)).toBeUndefined();
    }
  });

  test('cgo builds on the target platform with a glibc runtime, never a silently wrong image', () => {
    const project = newProject();
    const svc = new GoService(project, 'svc', { cgo: true });
    const stages = parseDockerfile(synth(project)['cmd/svc/Dockerfile']).stages;
    expect(stages.map(s => s.platform)).toEqual([undefined, undefined, undefined, undefined, undefined]);
    expect(stages[3].instructions.find(i => i.raw.includes('go build'))!.raw).toContain('CGO_ENABLED=1 GOPROXY=off GOCACHE=/gocache go build');
    expect(stages[4].from).toBe('gcr.io/distroless/base-debian12:nonroot');
    expect(svc.dockerfile.runsOnTargetPlatform).toBe(true);
  });

  test('goVersion picks the default builder image', () => {
    const project = newProject();
    const svc = new GoService(project, 'svc', { goVersion: '1.23.4' });
    expect(synth(project)['cmd/svc/Dockerfile']).toContain('FROM --platform=$BUILDPLATFORM golang:1.23.4-bookworm AS modules');
    expect(svc.dockerfile.runsOnTargetPlatform).toBe(false);
  });

  test('the Dockerfile model is an escape hatch', () => {
    const project = newProject();
    const svc = new GoService(project, 'svc');
    svc.dockerfile.finalStage.addHealthcheck({ command: ['/usr/local/bin/svc', 'health'] });
    expect(synth(project)['cmd/svc/Dockerfile']).toContain('HEALTHCHECK --interval=30s --timeout=5s --retries=3 CMD ["/usr/local/bin/svc", "health"]');
    expect(() => svc.dockerfile.finalStage.addRun({ commands: ['echo hi'] })).toThrow(/no shell/);
  });

  test('services sharing the root Dockerfile pass their differences as build args', () => {
    const project = newProject();
    new GoService(project, 'a', { sharedDockerfile: true, upx: true, ldflags: ['-X', 'main.x=1'] });
    const b = new GoService(project, 'b', { sharedDockerfile: true, mainPackage: './services/b' });
    expect(b.bakeTarget.args).toMatchObject({ SERVICE: 'b', MAIN_PACKAGE: './services/b', EXTRA_LDFLAGS: '' });
    // COMPRESS_WITH_UPX is passed by the services that enable UPX; the Dockerfile defaults it to false
    expect(b.bakeTarget.args.COMPRESS_WITH_UPX).toBeUndefined();
    const out = synth(project);
    expect(out['cmd/a/Dockerfile']).toBeUndefined();
    expect(lintDockerfile(out.Dockerfile)).toEqual([]);
    expect(out.Dockerfile).toContain('-o /out/rootfs/usr/local/bin/service ${MAIN_PACKAGE}');
    expect(out.Dockerfile).toContain('if [ "${COMPRESS_WITH_UPX}" = "true" ]; then if [ "${TARGETARCH}" = "amd64" ]; then upx');
    // the stages up to the dependency compile depend on no service-specific arg: the module's packages and the tags
    const [modules, imports, deps] = parseDockerfile(out.Dockerfile).stages;
    expect(modules.instructions.filter(i => i.keyword === 'ARG')).toEqual([]);
    expect(imports.instructions.filter(i => i.keyword === 'ARG').map(i => i.args)).toEqual(['TARGETOS TARGETARCH TARGETVARIANT', 'GO_PACKAGES BUILD_TAGS']);
    expect(deps.instructions.filter(i => i.keyword === 'ARG').map(i => i.args)).toEqual(['TARGETOS TARGETARCH TARGETVARIANT', 'BUILD_TAGS']);
  });

  test('the services of a module share one dependency compile per platform, whichever Dockerfile they use', () => {
    // GIVEN two services with their own Dockerfiles and two on the shared one, in one module, and one with other tags
    const project = newProject();
    const own = new GoService(project, 'own', {});
    const other = new GoService(project, 'other', { mainPackage: './tools/other' });
    const a = new GoService(project, 'a', { sharedDockerfile: true });
    const b = new GoService(project, 'b', { sharedDockerfile: true, mainPackage: './services/b' });
    const tagged = new GoService(project, 'tagged', { buildTags: ['netgo'] });
    // WHEN synthesized
    const out = synth(project);
    // THEN bake gives the untagged ones the same packages (all of their main packages) and tags
    const all = './cmd/a ./cmd/own ./services/b ./tools/other';
    for (const s of [own, other, a, b]) expect([s.name, s.bakeTarget.args.GO_PACKAGES, s.bakeTarget.args.BUILD_TAGS]).toEqual([s.name, all, '']);
    expect([tagged.bakeTarget.args.GO_PACKAGES, tagged.bakeTarget.args.BUILD_TAGS]).toEqual(['./cmd/tagged', 'netgo']);
    // AND the modules, imports and deps stages run the same commands with the same ARG names in every file, so BuildKit runs them once
    const dependencyStages = (file: string) => parseDockerfile(out[file]).stages.slice(0, 3).map(stage => ({
      steps: stage.instructions.filter(i => i.keyword !== 'ARG').map(i => i.raw),
      args: stage.instructions.filter(i => i.keyword === 'ARG').flatMap(i => i.args.split(/\s+/).map(arg => arg.split('=')[0])),
    }));
    expect(dependencyStages('cmd/own/Dockerfile')).toEqual(dependencyStages('Dockerfile'));
    expect(dependencyStages('tools/other/Dockerfile')).toEqual(dependencyStages('Dockerfile'));
    // AND the bake file passes them
    const ownTarget = out['docker-bake.hcl'].split('target "own" {')[1].split('\n}')[0];
    expect(ownTarget).toMatch(/^ {4}GO_PACKAGES += "\.\/cmd\/a \.\/cmd\/own \.\/services\/b \.\/tools\/other"$/m);
  });

  test('services that share their dependencies get them from one bake target, which bake builds once per platform', async () => {
    // GIVEN three services of one module (two Dockerfiles) and one with other tags
    const project = newProject();
    new GoService(project, 'api', {});
    new GoService(project, 'worker', { sharedDockerfile: true });
    new GoService(project, 'cron', { sharedDockerfile: true });
    new GoService(project, 'tagged', { buildTags: ['netgo'] });
    // WHEN synthesized
    const hcl = await parseHcl(synth(project)['docker-bake.hcl']);
    // THEN one target builds the module's deps stage for the pipeline's platforms, with no image, no
    // provenance and a constant date (nothing in it changes unless the dependencies do), from and to
    // a registry cache of its own, with the netrc for private modules
    const deps = hcl.target['_go-deps'][0];
    expect(deps).toMatchObject({
      context: '.',
      dockerfile: 'cmd/api/Dockerfile',
      target: 'deps',
      platforms: '${split(",", PLATFORMS)}',
      args: { GO_PACKAGES: './cmd/api ./cmd/cron ./cmd/worker', BUILD_TAGS: '', SOURCE_DATE_EPOCH: '0' },
      output: ['type=cacheonly'],
      attest: ['type=provenance,disabled=true'],
    });
    expect(deps.tags).toBeUndefined();
    expect(deps['cache-from']).toContain('type=registry,ref=${CACHE_REGISTRY}/api-go-deps:${CACHE_TAG}');
    expect(deps['cache-to']).toContain('type=registry,ref=${CACHE_REGISTRY}/api-go-deps:${CACHE_TAG},mode=max');
    expect(deps.secret).toContain('id=netrc,src=${GO_NETRC}');
    // AND the three services take their deps stage from it; the one with other tags keeps its own
    for (const name of ['api', 'worker', 'cron']) expect(hcl.target[name][0].contexts).toEqual({ deps: 'target:_go-deps' });
    expect(hcl.target.tagged[0].contexts).toBeUndefined();
    // AND read its registry cache after their own, so that whichever build reaches the shared steps first finds them
    const cacheFrom = (name: string) => hcl.target[name][0]['cache-from'];
    for (const name of ['api', 'worker', 'cron']) {
      expect(cacheFrom(name)).toEqual(`\${CACHE_REGISTRY == "" ? [] : ["type=registry,ref=\${CACHE_REGISTRY}/${name}:\${CACHE_TAG}", "type=registry,ref=\${CACHE_REGISTRY}/api-go-deps:\${CACHE_TAG}"]}`);
    }
    expect(cacheFrom('tagged')).toEqual('${CACHE_REGISTRY == "" ? [] : ["type=registry,ref=${CACHE_REGISTRY}/tagged:${CACHE_TAG}"]}');
    // AND write only their own
    expect(hcl.target.worker[0]['cache-to']).not.toContain('go-deps');
    // AND no other target is added: the default group builds the services only
    expect(Object.keys(hcl.target).sort()).toEqual(['_go-deps', 'api', 'cron', 'tagged', 'worker']);
    expect(hcl.group.default[0].targets).toEqual(['api', 'worker', 'cron', 'tagged']);
  });

  test('an escape hatch that makes one member\'s dependency stages differ is refused at synthesis, naming the way out', async () => {
    // GIVEN two services of one module, one of whose Dockerfiles gets an extra step before the compile of its dependencies
    const project = newProject();
    new GoService(project, 'api', {});
    const worker = new GoService(project, 'worker', { sharedDockerfile: true });
    const deps = worker.dockerfile.tryFindStage('deps')!;
    deps.insertBefore(deps.tryFindInstruction('RUN')!, new EnvInstruction({ GOFLAGS: '-buildvcs=false' }));
    // WHEN synthesized THEN the error names both services, the shared target and shareDependencies
    expect(() => synth(project)).toThrow('GoService "worker": its modules, imports or deps stage differs from "api"\'s (an escape hatch changed one of their Dockerfiles), but bake builds those stages once for both (bake target _go-deps): make the same change to both Dockerfiles, or set shareDependencies: false on the service whose stages should differ');

    // GIVEN the same change on a service that does not share its dependencies
    const own = newProject();
    new GoService(own, 'api', {});
    const alone = new GoService(own, 'worker', { sharedDockerfile: true, shareDependencies: false });
    const stage = alone.dockerfile.tryFindStage('deps')!;
    stage.insertBefore(stage.tryFindInstruction('RUN')!, new EnvInstruction({ GOFLAGS: '-buildvcs=false' }));
    // AND two services of another module that share theirs
    new GoService(own, 'x1', { moduleRoot: 'other' });
    new GoService(own, 'x2', { moduleRoot: 'other', mainPackage: './cmd/x2x' });
    // WHEN synthesized
    const hcl = await parseHcl(synth(own)['docker-bake.hcl']);
    // THEN neither takes the other's stage: no target for them, no named context, each its own GO_PACKAGES
    expect(hcl.target.api[0].contexts).toBeUndefined();
    expect(hcl.target.worker[0].contexts).toBeUndefined();
    expect(hcl.target.worker[0].args.GO_PACKAGES).toBe('./cmd/worker');
    // AND the other module's target is the only one, so it has the plain name
    expect(Object.keys(hcl.target).sort()).toEqual(['_go-deps', 'api', 'worker', 'x1', 'x2']);
    expect(hcl.target.x2[0].contexts).toEqual({ deps: 'target:_go-deps' });
  });

  test('a member whose bake target an escape hatch gave other platforms is refused at synthesis: its deps target builds for the others', () => {
    // GIVEN two services sharing their dependencies, and one's platforms changed on its bake target
    const project = newProject();
    new GoService(project, 'a');
    const b = new GoService(project, 'b', { sharedDockerfile: true });
    b.bakeTarget.platforms = ['linux/amd64', 'linux/arm/v7'];
    // WHEN synthesized THEN the error says which option to use
    expect(() => synth(project)).toThrow('GoService "b": its bake target builds for ["linux/amd64","linux/arm/v7"] but takes its deps stage from bake target _go-deps, built for "PLATFORMS" (the platforms it had when it was created): give the service its platforms with the "platforms" option, not through bakeTarget.platforms');
  });

  test('GO_PACKAGES set on one member\'s bake target is that member\'s; the build keeps the others\'', async () => {
    // GIVEN two services of one module, and an escape hatch on one member's GO_PACKAGES
    const project = newProject();
    const api = new GoService(project, 'api');
    new GoService(project, 'worker');
    api.bakeTarget.args.GO_PACKAGES = './cmd/api ./internal/tools';
    // WHEN a third member joins later
    new GoService(project, 'cron');
    const hcl = await parseHcl(synth(project)['docker-bake.hcl']);
    // THEN the user's value stays, and the build's follows every member
    expect(hcl.target.api[0].args.GO_PACKAGES).toBe('./cmd/api ./internal/tools');
    expect(hcl.target.worker[0].args.GO_PACKAGES).toBe('./cmd/api ./cmd/cron ./cmd/worker');
    expect(hcl.target['_go-deps'][0].args.GO_PACKAGES).toBe('./cmd/api ./cmd/cron ./cmd/worker');
  });

  test('each group of services with shared dependencies gets a target named after its first service; a lone service or other platforms get none', async () => {
    // GIVEN two groups (by tags), a service alone, and two that share dependencies but not platforms
    const project = newProject();
    new GoService(project, 'a1', {});
    new GoService(project, 'a2', { sharedDockerfile: true });
    new GoService(project, 'b1', { buildTags: ['netgo'] });
    new GoService(project, 'b2', { buildTags: ['netgo'], mainPackage: './cmd/b2x' });
    new GoService(project, 'alone', { moduleRoot: 'tools' });
    new GoService(project, 'c1', { moduleRoot: 'other', platforms: [Platform.LINUX_AMD64] });
    new GoService(project, 'c2', { moduleRoot: 'other', mainPackage: './cmd/c2x' });
    // AND a service whose image has the name the first group's cache would get
    new GoService(project, 'a1-go-deps', { moduleRoot: 'third' });
    // WHEN synthesized
    const hcl = await parseHcl(synth(project)['docker-bake.hcl']);
    // THEN
    // (the first group's target keeps the plain name it had before the second group came)
    expect(Object.keys(hcl.target).filter(n => n.startsWith('_')).sort()).toEqual(['_go-deps', '_go-deps-b1']);
    expect(hcl.target.a2[0].contexts).toEqual({ deps: 'target:_go-deps' });
    expect(hcl.target.b2[0].contexts).toEqual({ deps: 'target:_go-deps-b1' });
    expect(hcl.target['_go-deps-b1'][0].args).toMatchObject({ BUILD_TAGS: 'netgo', GO_PACKAGES: './cmd/b1 ./cmd/b2x' });
    for (const name of ['alone', 'c1', 'c2']) expect(hcl.target[name][0].contexts).toBeUndefined();
    // AND each group's registry cache is a repository of its own, apart from every image's
    expect(hcl.target['_go-deps'][0]['cache-to']).toContain('type=registry,ref=${CACHE_REGISTRY}/a1-go-deps-cache:${CACHE_TAG},mode=max');
    expect(hcl.target['_go-deps-b1'][0]['cache-to']).toContain('type=registry,ref=${CACHE_REGISTRY}/b1-go-deps:${CACHE_TAG},mode=max');
  });
});

describe('GoService validation', () => {
  const cases: Array<[string, object, RegExp]> = [
    ['a single .go file as main package', { mainPackage: './cmd/x/main.go' }, /Invalid mainPackage "\.\/cmd\/x\/main\.go": must be a package directory/],
    ['a main package without ./', { mainPackage: 'cmd/x' }, /Invalid mainPackage "cmd\/x": must start with "\.\/"/],
    ['an absolute module root', { moduleRoot: '/src' }, /Invalid moduleRoot "\/src": must be a path relative to the project root/],
    ['a module root escaping the project', { moduleRoot: '../other' }, /Invalid moduleRoot "\.\.\/other": must stay inside the project/],
    ['a malformed Go version', { goVersion: '1.x' }, /Invalid goVersion "1\.x": must be a version such as "1\.24"/],
    ['a port out of range', { port: 70000 }, /Invalid port 70000: must be an integer from 1 to 65535/],
    ['a fractional port', { port: 80.5 }, /Invalid port 80\.5/],
    ['an ldflag that would break out of quotes', { ldflags: ['-X main.v=1" && curl evil "'] }, /Invalid ldflags/],
    ['a build tag with a space', { buildTags: ['a b'] }, /Invalid buildTags "a b"/],
    ['an image with a newline', { builderImage: 'golang:1.24\nRUN evil' }, /Invalid builderImage .*control characters/],
    ['an image that is not a reference', { runtimeImage: 'Not An Image' }, /Invalid runtimeImage "Not An Image": must be an image reference/],
    ['a root user', { user: '0' }, /Invalid user "0": must not be root/],
    ['a user name', { user: 'nobody' }, /Invalid user "nobody": must be a numeric/],
    ['a bad version variable', { versionVariable: 'version' }, /Invalid versionVariable "version"/],
    ['no platforms', { platforms: [] }, /give at least one platform/],
    ['a Dockerfile path with a space', { dockerfilePath: 'my dir/Dockerfile' }, /Invalid dockerfilePath/],
  ];
  test.each(cases)('rejects %s', (_, options, error) => {
    expect(() => new GoService(newProject(), 'svc', options)).toThrow(error);
  });

  test.each([['Upper'], ['has space'], ['a--'], ['x.y'], ['-lead'], ['a'.repeat(64)]])('rejects service name %j', name => {
    expect(() => new GoService(newProject(), name)).toThrow(/Invalid service name .*lowercase letters and digits/);
  });

  test('rejects a service name with a newline', () => {
    expect(() => new GoService(newProject(), 'a\nb')).toThrow('Invalid service name "a\\nb": must not contain newlines or other control characters');
  });

  test('rejects a duplicate service name, across kinds too', () => {
    const project = newProject();
    new GoService(project, 'svc');
    expect(() => new GoService(project, 'svc')).toThrow('A service named "svc" already exists in this project; service names must be unique');
  });

  test('shared services must agree on images, and all or none set a port', () => {
    const project = newProject();
    new GoService(project, 'a', { sharedDockerfile: true, port: 8080 });
    expect(() => new GoService(project, 'b', { sharedDockerfile: true, port: 8081, runtimeImage: 'other:1' }))
      .toThrow(/GoService "b" shares Dockerfile with "a" but its runtimeImage is "other:1" instead of "gcr.io\/distroless\/static-debian12:nonroot"/);
    expect(() => new GoService(project, 'c', { sharedDockerfile: true })).toThrow(/only one of them sets "port"/);
  });

  test('a per-service platform override is accepted', () => {
    const svc = new GoService(newProject(), 'svc', { platforms: [Platform.LINUX_ARM_V7] });
    expect(svc.bakeTarget.platforms).toEqual(['linux/arm/v7']);
  });
});

describe('GoService runtime commands', () => {
  test.each([[['sh', '-c', 'wget -q localhost:8080']], [['/bin/sh', '-c', 'true']], [['curl', '-f', 'http://localhost:8080/health']], [['/usr/bin/wget', 'x']]])('a HEALTHCHECK running %j on distroless is refused', command => {
    const svc = new GoService(newProject(), 'svc');
    expect(() => svc.dockerfile.finalStage.addHealthcheck({ command })).toThrow(/HEALTHCHECK in .* runs ".*", which the base image "gcr.io\/distroless\/static-debian12:nonroot" does not have .*run a binary of the image/);
  });

  test('with runtimeHasShell, or a binary of the image, it is fine', () => {
    const svc = new GoService(newProject(), 'svc', { runtimeImage: 'alpine:3.20', runtimeHasShell: true });
    svc.dockerfile.finalStage.addHealthcheck({ command: ['wget', '-q', '-O-', 'http://localhost:8080/health'] });
    const other = new GoService(newProject(), 'svc');
    other.dockerfile.finalStage.addHealthcheck({ command: ['/usr/local/bin/svc', 'health'] });
    expect(() => other.dockerfile.finalStage.addInstruction('CMD', '["sh", "-c", "svc"]')).toThrow(/CMD in .* runs "sh"/);
  });
});

describe('the module download\'s failure says why', () => {
  /** The download step's commands, run by sh with a fake `go` whose `go mod download` prints `error` and fails. */
  function download(error: string) {
    const project = newProject();
    new GoService(project, 'api');
    const run = parseDockerfile(synth(project)['cmd/api/Dockerfile']).stages[0].instructions.find(i => i.raw.includes('go mod download'))!;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'go-download-'));
    const log = path.join(dir, 'download.log');
    const commands = run.raw.replace(/^RUN --mount=\S+ \\\n/, '').replace(/ \\\n\s*/g, ' ').split('/tmp/go-mod-download.log').join(log);
    fs.writeFileSync(path.join(dir, 'go'), `#!/bin/sh\nif [ "$1 $2" = "mod download" ]; then printf '%s\\n' '${error}' >&2; exit 1; fi\nexit 0\n`, { mode: 0o755 });
    const r = spawnSync('sh', ['-c', commands], { env: { ...process.env, PATH: `${dir}:${process.env.PATH}` }, encoding: 'utf8' });
    return { status: r.status, stderr: r.stderr };
  }

  test('a local replace missing from the context: names it, and says to run npx projen', () => {
    // GIVEN go.mod got "replace example.org/lib => ./lib" after the Dockerfile was generated
    // WHEN the download fails as Go does when it cannot read lib/go.mod
    const r = download('go: example.org/lib@v0.0.0 (replaced by ./lib): reading lib/go.mod: open /src/lib/go.mod: no such file or directory');
    // THEN Go's error, then the replace that is missing, and not the credentials
    expect(r.status).toBe(1);
    expect(r.stderr).toBe('go: example.org/lib@v0.0.0 (replaced by ./lib): reading lib/go.mod: open /src/lib/go.mod: no such file or directory\n'
      + 'go.mod has "replace example.org/lib => ./lib", which is not in the build context copied before go mod download: run npx projen to regenerate (the Dockerfile copies only the go.mod files named when it was generated)\n');
  });

  test('a workspace module missing from the context: says a local module is missing', () => {
    const r = download('go: cannot load module lib listed in go.work file: open lib/go.mod: no such file or directory');
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/\na local module of go\.mod or go\.work is not in the build context copied before go mod download: run npx projen\n$/);
  });

  test('any other failure: the credentials hint, as before', () => {
    const r = download('go: example.com/private@v1.0.0: reading https://proxy.example/example.com/private/@v/v1.0.0.mod: 401 Unauthorized');
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/401 Unauthorized\ngo mod download failed: private modules need credentials, given as a build secret: make <target> GO_NETRC=~\/\.netrc/);
    expect(r.stderr).not.toMatch(/npx projen/);
  });
});
