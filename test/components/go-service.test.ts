import { GoService, Platform } from '../../src';
import { lintDockerfile, nephoranProject, newProject, parseDockerfile, synth } from '../helpers';

describe('GoService Dockerfile', () => {
  test('snapshot: cmd/llm-processor/Dockerfile', () => {
    expect(synth(nephoranProject())['cmd/llm-processor/Dockerfile']).toMatchSnapshot();
  });

  test('snapshot: shared root Dockerfile', () => {
    expect(synth(nephoranProject()).Dockerfile).toMatchSnapshot();
  });

  test('defaults: cross-compiling builder, distroless non-root runtime, labels, JSON entrypoint', () => {
    // GIVEN
    const project = newProject();
    // WHEN
    new GoService(project, 'api');
    const dockerfile = synth(project)['cmd/api/Dockerfile'];
    // THEN
    expect(lintDockerfile(dockerfile)).toEqual([]);
    const [b, r] = parseDockerfile(dockerfile).stages;
    expect([b.from, b.name, b.platform]).toEqual(['golang:1.24-bookworm', 'builder', '$BUILDPLATFORM']);
    expect(b.instructions.filter(i => i.keyword === 'ARG').map(i => i.args)[0]).toBe('BUILDPLATFORM TARGETPLATFORM TARGETOS TARGETARCH TARGETVARIANT');
    const runs = b.instructions.filter(i => i.keyword === 'RUN').map(i => i.raw);
    expect(runs.some(run => run.includes('echo "building on ${BUILDPLATFORM} ($(uname -m)) for ${TARGETPLATFORM}"'))).toBe(true);
    expect(runs.some(run => /--mount=type=cache,target=\/go\/pkg\/mod[\s\S]*go mod download && \\\s*go mod verify/.test(run))).toBe(true);
    const build = runs.find(run => run.includes('go build'))!;
    expect(build).toContain('--mount=type=cache,target=/root/.cache/go-build');
    expect(build).toContain('CGO_ENABLED=0 GOOS=${TARGETOS} GOARCH=${TARGETARCH} GOARM=${TARGETVARIANT#v} go build -trimpath -ldflags "-w -s -X main.version=${VERSION}" -o /rootfs/usr/local/bin/api ./cmd/api');
    expect(runs.some(run => /upx/.test(run))).toBe(false);
    expect(r.from).toBe('gcr.io/distroless/static-debian12:nonroot');
    const byKeyword = (k: string) => r.instructions.filter(i => i.keyword === k).map(i => i.args);
    expect(byKeyword('USER')).toEqual(['65532:65532']);
    expect(byKeyword('EXPOSE')).toEqual([]);
    expect(JSON.parse(byKeyword('ENTRYPOINT')[0])).toEqual(['/usr/local/bin/api']);
    const labels = byKeyword('LABEL')[0];
    for (const l of ['org.opencontainers.image.title="api"', 'org.opencontainers.image.version="${VERSION}"', 'org.opencontainers.image.revision="${VCS_REF}"',
      'org.opencontainers.image.created="${BUILD_DATE}"', 'build.architecture="${TARGETARCH}"', 'build.platform="${TARGETPLATFORM}"', 'build.multi-arch="true"']) {
      expect(labels).toContain(l);
    }
  });

  test('upx runs on amd64 only and says so on other platforms', () => {
    const project = newProject();
    new GoService(project, 'api', { upx: true });
    const upx = parseDockerfile(synth(project)['cmd/api/Dockerfile']).stages[0].instructions.filter(i => /upx --best/.test(i.raw));
    expect(upx).toHaveLength(1);
    expect(upx[0].raw).toMatch(/if \[ "\$\{TARGETARCH\}" = "amd64" \]; then .*upx --best --lzma \/rootfs\/usr\/local\/bin\/api && upx -t \/rootfs\/usr\/local\/bin\/api; else echo "upx: skipped for \$\{TARGETPLATFORM\} \(amd64 only\)"; fi/);
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
    expect(dockerfile).toContain('go build -trimpath -tags "netgo,osusergo" -ldflags "-w -s -X example.com/svc/internal/build.Version=${VERSION} -X main.commit=abc" -o /rootfs/usr/local/bin/svc ./cmd/server');
    expect(dockerfile).toContain('FROM --platform=$BUILDPLATFORM mirror.local/golang:1.23 AS builder');
    expect(dockerfile).toContain('FROM mirror.local/static:nonroot');
    expect(dockerfile).toContain('USER 10001:10001');
    expect(dockerfile).toContain('EXPOSE 9090');
    expect(out['backend/.dockerignore']).toBeDefined();
  });

  test('cgo builds on the target platform with a glibc runtime, never a silently wrong image', () => {
    const project = newProject();
    new GoService(project, 'svc', { cgo: true });
    const [b, r] = parseDockerfile(synth(project)['cmd/svc/Dockerfile']).stages;
    expect(b.platform).toBeUndefined();
    expect(b.instructions.find(i => i.raw.includes('go build'))!.raw).toContain('CGO_ENABLED=1 go build');
    expect(r.from).toBe('gcr.io/distroless/base-debian12:nonroot');
  });

  test('goVersion picks the default builder image', () => {
    const project = newProject();
    new GoService(project, 'svc', { goVersion: '1.23.4' });
    expect(synth(project)['cmd/svc/Dockerfile']).toContain('FROM --platform=$BUILDPLATFORM golang:1.23.4-bookworm AS builder');
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
    expect(b.bakeTarget.args).toMatchObject({ SERVICE: 'b', MAIN_PACKAGE: './services/b', COMPRESS_WITH_UPX: 'false', EXTRA_LDFLAGS: '' });
    const out = synth(project);
    expect(out['cmd/a/Dockerfile']).toBeUndefined();
    expect(lintDockerfile(out.Dockerfile)).toEqual([]);
    expect(out.Dockerfile).toContain('-o /rootfs/usr/local/bin/service ${MAIN_PACKAGE}');
    expect(out.Dockerfile).toContain('if [ "${COMPRESS_WITH_UPX}" = "true" ] && [ "${TARGETARCH}" = "amd64" ]');
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
