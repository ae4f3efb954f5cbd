/**
 * Go builds for real repositories: what the module root holds (go.mod's Go version, local replaces,
 * a workspace, a vendor tree) is read at synthesis, and private modules are fetched with a build
 * secret only.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Project } from 'projen';
import { GoService, MultiArchPipeline, PythonService } from '../../src';
import { lintDockerfile, newProject, parseDockerfile, parseHcl, synth, unwrapMakefile } from '../helpers';

/** A project whose directory already holds these files (the repository's code). */
function repo(files: { [path: string]: string }): Project {
  const project = newProject();
  for (const [file, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(project.outdir, file)), { recursive: true });
    fs.writeFileSync(path.join(project.outdir, file), content);
  }
  return project;
}

const stage = (dockerfile: string, name: string) => parseDockerfile(dockerfile).stages.find(s => s.name === name)!;

describe('the Go version follows go.mod', () => {
  test.each([
    ['a go line', 'module x\n\ngo 1.25\n', 'golang:1.25-bookworm'],
    ['a patch go line', 'module x\n\ngo 1.24.3\n', 'golang:1.24.3-bookworm'],
    ['a toolchain line, which wins', 'module x\n\ngo 1.24 // minimum\n\ntoolchain go1.25.1\n', 'golang:1.25.1-bookworm'],
    ['no go.mod yet', undefined, 'golang:1.24-bookworm'],
  ])('%s', (_, gomod, image) => {
    const project = repo(gomod ? { 'go.mod': gomod } : {});
    const svc = new GoService(project, 'api');
    expect(svc.builderImage).toBe(image);
    expect(synth(project)['cmd/api/Dockerfile']).toContain(`FROM --platform=$BUILDPLATFORM ${image} AS modules`);
  });

  test('a goVersion older than go.mod requires is refused, and says what to do', () => {
    const project = repo({ 'backend/go.mod': 'module x\n\ngo 1.25.2\n' });
    expect(() => new GoService(project, 'api', { moduleRoot: 'backend', goVersion: '1.24' }))
      .toThrow('Invalid goVersion "1.24": is older than the "go 1.25.2" that backend/go.mod requires (the builder images set GOTOOLCHAIN=local, so the build would fail): use "1.25.2" or newer, or leave goVersion out to follow go.mod');
    expect(() => new GoService(project, 'patch', { moduleRoot: 'backend', goVersion: '1.25.1' })).toThrow(/Invalid goVersion "1.25.1": is older than the "go 1.25.2"/);
    // "1.25" is golang:1.25-bookworm, the newest 1.25.x, which has what go 1.25.2 asks
    expect(new GoService(project, 'minor', { moduleRoot: 'backend', goVersion: '1.25' }).goVersion).toBe('1.25');
    expect(new GoService(project, 'ok', { moduleRoot: 'backend', goVersion: '1.26' }).goVersion).toBe('1.26');
  });
});

describe('the dependency layer copies what go mod download needs', () => {
  test('the go.mod/go.sum of every local replace target, in single-line and block form', () => {
    // GIVEN a module with local replaces (and one published replacement, which needs nothing)
    const project = repo({
      'go.mod': [
        'module example.com/app', '', 'go 1.24', '',
        'replace example.com/shared => ./libs/shared // local',
        'replace (', '\texample.com/auth v1.0.0 => ./libs/auth', '\texample.com/old => example.com/new v1.2.0', ')', '',
      ].join('\n'),
    });
    // WHEN
    new GoService(project, 'api');
    const dockerfile = synth(project)['cmd/api/Dockerfile'];
    // THEN the download reads the local modules' go.mod and go.sum
    expect(stage(dockerfile, 'modules').instructions.filter(i => i.keyword === 'COPY').map(i => i.raw)).toEqual([
      'COPY go.mod go.sum* ./',
      'COPY libs/auth/go.mod libs/auth/go.sum* ./libs/auth/',
      'COPY libs/shared/go.mod libs/shared/go.sum* ./libs/shared/',
    ]);
    expect(lintDockerfile(dockerfile)).toEqual([]);
  });

  test('a go.work and its modules, with go.work.sum', () => {
    const project = repo({ 'go.mod': 'module example.com/app\n\ngo 1.24\n', 'go.work': 'go 1.24\n\nuse (\n\t.\n\t./tools\n)\n' });
    const dockerfile = synth((new GoService(project, 'api'), project))['cmd/api/Dockerfile'];
    expect(stage(dockerfile, 'modules').instructions.filter(i => i.keyword === 'COPY').map(i => i.raw)).toEqual([
      'COPY go.mod go.sum* go.work go.work.sum* ./',
      'COPY tools/go.mod tools/go.sum* ./tools/',
    ]);
  });

  test('a local replace or use whose module is not there is a warning at synthesis naming the line', () => {
    // GIVEN a go.mod that replaces a module with ./lib, a go.work that uses ./tools, and neither directory
    const project = repo({
      'backend/go.mod': 'module example.com/app\n\ngo 1.24\n\nreplace (\n\texample.org/lib  =>  ./lib\n)\n',
      'backend/go.work': 'go 1.24\n\nuse ./tools\n',
    });
    new GoService(project, 'api', { moduleRoot: 'backend' });
    const warn = jest.spyOn(project.logger, 'warn');

    // WHEN
    synth(project);

    // THEN each names its directive, the missing go.mod and what to check
    expect(warn).toHaveBeenCalledWith('GoService "api": backend/lib/go.mod does not exist yet (go.mod "replace example.org/lib => ./lib"): '
      + 'the Dockerfile copies it for the module download, so the build fails until backend/lib holds its module. '
      + 'Check backend/go.mod\'s replace line for a typo if the code is already there.');
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('backend/tools/go.mod does not exist yet (go.work "use ./tools")'));
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('Check backend/go.work\'s use line for a typo'));
  });

  test('a local replace whose module is there: no warning', () => {
    // GIVEN
    const project = repo({ 'go.mod': 'module example.com/app\n\ngo 1.24\n\nreplace example.org/lib => ./lib\n', 'lib/go.mod': 'module example.org/lib\n' });
    new GoService(project, 'api');
    const warn = jest.spyOn(project.logger, 'warn');

    // WHEN
    synth(project);

    // THEN
    expect(warn).not.toHaveBeenCalledWith(expect.stringContaining('lib/go.mod'));
  });

  test('a replace that leaves the module root cannot be in the build context: refused with the fix', () => {
    const project = repo({ 'svc/go.mod': 'module x\n\ngo 1.24\n\nreplace example.com/lib => ../lib\n' });
    expect(() => new GoService(project, 'api', { moduleRoot: 'svc' }))
      .toThrow('svc/go.mod: a replace directive points to "../lib", outside the Go module root "svc" (the build context): set "moduleRoot" to a directory that holds both modules, or replace it with a published version');
  });

  test('a vendor tree replaces the download: -mod=vendor, no network, no secret', () => {
    const project = repo({ 'go.mod': 'module x\n\ngo 1.24\n', 'vendor/modules.txt': '# example.com/dep v1.0.0\n' });
    new GoService(project, 'api');
    const dockerfile = synth(project)['cmd/api/Dockerfile'];
    expect(dockerfile).not.toContain('go mod download');
    expect(stage(dockerfile, 'modules').instructions.map(i => i.raw)).toContain('COPY vendor ./vendor');
    // (Go's local telemetry is still turned off before any Go step)
    expect(stage(dockerfile, 'modules').instructions.at(-1)!.raw).toBe('RUN (go telemetry off 2>/dev/null || true)');
    expect(stage(dockerfile, 'deps').instructions.at(-1)!.raw).toContain('GOFLAGS=-mod=vendor GOPROXY=off GOCACHE=/gocache go build');
    expect(stage(dockerfile, 'builder').instructions.find(i => i.raw.includes('go build'))!.raw).toContain('GOFLAGS=-mod=vendor GOPROXY=off');
  });
});

describe('private modules', () => {
  test('GOPROXY, GOPRIVATE and GONOSUMDB are set for the download; credentials only as a netrc build secret', async () => {
    // GIVEN
    const project = newProject();
    new GoService(project, 'api', { goProxy: 'https://goproxy.corp.example,direct', goPrivate: 'github.com/acme/*', goNoSumDb: 'modules.corp.example' });
    const out = synth(project);
    // THEN the module stage has them, and no ARG or ENV holds a credential
    const modules = stage(out['cmd/api/Dockerfile'], 'modules');
    expect(modules.instructions.find(i => i.keyword === 'ENV')!.args.split(/\s+/))
      .toEqual(['GOPROXY="https://goproxy.corp.example,direct"', 'GOPRIVATE="github.com/acme/*"', 'GONOSUMDB="modules.corp.example"']);
    // AND bake passes the netrc secret only when GO_NETRC is set
    const t = (await parseHcl(out['docker-bake.hcl'])).target.api[0];
    expect(t.secret).toBe('${GO_NETRC == "" ? [] : ["id=netrc,src=${GO_NETRC}"]}');
    expect(out['docker-bake.hcl']).toMatch(/variable "GO_NETRC" \{\n {2}default = ""\n\}/);
    // AND the Makefile passes GO_NETRC to bake (make build-multiarch GO_NETRC=~/.netrc)
    expect(out.Makefile).toMatch(/^GO_NETRC +\?= $/m);
    expect(unwrapMakefile(out.Makefile)).toMatch(/^BAKE = .* GO_NETRC="\$\(GO_NETRC\)" .*docker buildx bake /m);
  });

  test.each([
    [{ goProxy: 'https://user:secret@proxy.example' }, /Invalid goProxy .*no credentials: give them as GO_NETRC/],
    [{ goProxy: 'https://proxy.example" && curl evil "' }, /Invalid goProxy/],
    [{ goProxy: '' }, /Invalid goProxy ""/],
    [{ goPrivate: 'github.com/acme/* ; rm -rf /' }, /Invalid goPrivate .*comma-separated module path patterns/],
    [{ goNoSumDb: 'a\nRUN evil' }, /Invalid goNoSumDb .*control characters/],
    [{ upxImage: 'not an image' }, /Invalid upxImage "not an image"/],
  ])('rejects %j', (options, error) => {
    expect(() => new GoService(newProject(), 'api', options)).toThrow(error);
  });

  test('services sharing a Dockerfile must agree on the module settings', () => {
    const project = newProject();
    new GoService(project, 'a', { sharedDockerfile: true, goNoSumDb: 'modules.corp.example' });
    expect(() => new GoService(project, 'b', { sharedDockerfile: true }))
      .toThrow(/GoService "b" shares Dockerfile with "a" but its goEnv is \{\} instead of \{"GONOSUMDB":"modules\.corp\.example"\}/);
  });
});

describe('build contexts', () => {
  test('another service\'s directory, the Makefile, the bake file and the SBOM directory stay out of a Go context', () => {
    // GIVEN a Go service at the root and a Python service inside its module root
    const project = newProject();
    new MultiArchPipeline(project, { makefile: 'build/multiarch.mk', bakeFile: 'bake.hcl' });
    new GoService(project, 'api');
    new PythonService(project, 'ml', { directory: 'services/ml' });
    const out = synth(project);
    // THEN the root context excludes them, and dependencies at any depth
    const root = out['cmd/api/Dockerfile.dockerignore'].split('\n');
    expect(root).toEqual(expect.arrayContaining(['services/ml', 'build/multiarch.mk', 'bake.hcl', 'sbom', '**/node_modules']));
    // AND Python's caches and virtualenvs are the Python context's patterns, not the Go context's
    expect(root).not.toContain('**/__pycache__');
    expect(out['services/ml/Dockerfile.dockerignore'].split('\n')).toEqual(expect.arrayContaining(['**/.venv', '**/__pycache__']));
    // AND the Python context excludes nothing of its own
    expect(out['services/ml/Dockerfile.dockerignore'].split('\n')).not.toContain('services/ml');
  });

  test('the order of creating services does not change what the ignore files exclude', () => {
    // GIVEN the same services created in both orders
    const a = newProject();
    new MultiArchPipeline(a, { makefile: 'multiarch.mk' });
    new GoService(a, 'api');
    new PythonService(a, 'ml', { directory: 'ml' });
    const b = newProject();
    new MultiArchPipeline(b, { makefile: 'multiarch.mk' });
    new PythonService(b, 'ml', { directory: 'ml' });
    new GoService(b, 'api');
    // WHEN both are synthesized THEN the ignore files hold the same patterns
    const [oa, ob] = [synth(a), synth(b)];
    const patterns = (text: string) => text.split('\n').filter(l => l && !l.startsWith('#')).sort();
    expect(patterns(ob['cmd/api/Dockerfile.dockerignore'])).toEqual(patterns(oa['cmd/api/Dockerfile.dockerignore']));
    expect(patterns(ob['ml/Dockerfile.dockerignore'])).toEqual(patterns(oa['ml/Dockerfile.dockerignore']));
    expect(oa['cmd/api/Dockerfile.dockerignore']).toContain('\nml\n');
  });

  test('a Go service whose sources are inside another service\'s directory is told so at synthesis', () => {
    const project = newProject();
    new PythonService(project, 'ml', { directory: 'ml' });
    new GoService(project, 'api', { mainPackage: './ml/server' });
    expect(() => synth(project)).toThrow('ml/server/Dockerfile.dockerignore pattern "ml" excludes "ml/server", which ml/server/Dockerfile (main package of api) copies: remove the pattern or add "!ml/server"');
  });
});
