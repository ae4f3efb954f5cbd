import * as fs from 'fs';
import * as path from 'path';
import { Component, Project } from 'projen';
import { BuildxDriver, GoService, ICiProvider, IBuildPipeline, MultiArchPipeline, Platform, PythonService, StandardTarget } from '../../src';
import { bakePrint, hasBuildx, makeDryRun, nephoranProject, newProject, parseHcl, synth, synthToDisk, unwrapMakefile } from '../helpers';

const SEED_TARGETS = ['setup-buildx', 'build-multiarch', 'build-complete', 'build-verify', 'build-vulnerability-scan', 'ci-setup', 'ci-build', 'ci-push', 'ci-security', 'ci-sign'];

/** target name → prerequisites, from the rendered Makefile. */
function rules(makefile: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const m of unwrapMakefile(makefile).matchAll(/^([a-z0-9][a-z0-9_.-]*):([^=\n#|]*?)(?: \|[^#\n]*)?(?: ## .*)?$/gm)) {
    out.set(m[1], m[2].trim().split(/\s+/).filter(x => x));
  }
  return out;
}

/** The recipe lines of a target. */
function recipe(makefile: string, target: string): string {
  const text = unwrapMakefile(makefile);
  const start = text.search(new RegExp(`^${target}:(?! [A-Z_]+ =)`, 'm'));
  const rest = text.slice(start).split('\n').slice(1);
  const end = rest.findIndex(l => !l.startsWith('\t'));
  return rest.slice(0, end).join('\n');
}

describe('MultiArchPipeline bake file', () => {
  test('snapshot: docker-bake.hcl', () => {
    expect(synth(nephoranProject())['docker-bake.hcl']).toMatchSnapshot();
  });

  test('a target per service, group default, metadata-action target, variables', async () => {
    const hcl = await parseHcl(synth(nephoranProject())['docker-bake.hcl']);
    expect(Object.keys(hcl.variable).sort()).toEqual(['BUILD_DATE', 'CACHE_REGISTRY', 'CACHE_TAG', 'CACHE_WRITE', 'GO_NETRC', 'INDEX_ANNOTATIONS', 'PIP_CONF', 'PIP_NETRC', 'PLATFORMS', 'REGISTRY', 'SOURCE_DATE_EPOCH', 'VCS_REF', 'VERSION']);
    expect(hcl.variable.REGISTRY[0].default).toBe('ghcr.io/nephoran');
    expect(hcl.group.default[0].targets).toEqual(['llm-processor', 'nephio-bridge', 'oran-adaptor', 'rag-api']);
    // docker/metadata-action writes a bake file for each service's own target (bake-target: <service>)
    expect(hcl.target['docker-metadata-action']).toBeUndefined();
    const llm = hcl.target['llm-processor'][0];
    expect(llm.inherits).toBeUndefined();
    expect(llm.context).toBe('.');
    expect(llm.dockerfile).toBe('cmd/llm-processor/Dockerfile');
    expect(llm.tags).toEqual(['${REGISTRY}/llm-processor:${VERSION}']);
    expect(llm.args).toEqual({ VERSION: '${VERSION}', SOURCE_DATE_EPOCH: '${SOURCE_DATE_EPOCH}', BUILD_DATE: '${BUILD_DATE}', VCS_REF: '${VCS_REF}', GO_PACKAGES: './cmd/llm-processor ./cmd/nephio-bridge ./cmd/oran-adaptor', BUILD_TAGS: '' });
    expect(llm.labels['org.opencontainers.image.version']).toBe('${VERSION}');
    // every layer in every cache: the Go services' shared dependency target has a cache of its own,
    // and each service's holds its whole chain too; a service reads the shared target's cache after its own
    expect(llm['cache-to']).toBe('${CACHE_REGISTRY == "" || CACHE_WRITE != "true" ? [] : ["type=registry,ref=${CACHE_REGISTRY}/llm-processor:${CACHE_TAG},mode=max"]}');
    expect(llm['cache-from']).toBe('${CACHE_REGISTRY == "" ? [] : ["type=registry,ref=${CACHE_REGISTRY}/llm-processor:${CACHE_TAG}", "type=registry,ref=${CACHE_REGISTRY}/llm-processor-go-deps:${CACHE_TAG}"]}');
    expect(hcl.target['_go-deps'][0]['cache-to']).toBe('${CACHE_REGISTRY == "" || CACHE_WRITE != "true" ? [] : ["type=registry,ref=${CACHE_REGISTRY}/llm-processor-go-deps:${CACHE_TAG},mode=max"]}');
    expect(llm.attest).toEqual(['type=provenance,mode=max']);
    const rag = hcl.target['rag-api'][0];
    expect([rag.context, rag.dockerfile]).toEqual(['pkg/rag', 'Dockerfile']);
    expect(rag['cache-to']).toBe('${CACHE_REGISTRY == "" || CACHE_WRITE != "true" ? [] : ["type=registry,ref=${CACHE_REGISTRY}/rag-api:${CACHE_TAG},mode=max"]}');
  });

  test('sbom, no provenance, latest tag, extra labels', async () => {
    const project = newProject();
    new MultiArchPipeline(project, { sbom: true, provenance: false, tagLatest: true, labels: { 'org.opencontainers.image.source': 'https://github.com/o/r' } });
    new GoService(project, 'svc');
    const t = (await parseHcl(synth(project)['docker-bake.hcl'])).target.svc[0];
    expect(t.attest).toEqual(['type=sbom']);
    expect(t.tags).toEqual(['${REGISTRY}/svc:${VERSION}', '${REGISTRY}/svc:latest']);
    expect(t.labels['org.opencontainers.image.source']).toBe('https://github.com/o/r');
  });
});

describe('index annotations', () => {
  // BuildKit refuses index annotations on a single-platform export without attestations: it writes
  // a manifest, and there is no index to annotate
  const project = (provenance?: boolean) => {
    const p = newProject();
    new MultiArchPipeline(p, { registry: 'ghcr.io/acme', provenance });
    new GoService(p, 'api', { description: 'The API' });
    return p;
  };

  test('the index annotations are gated on INDEX_ANNOTATIONS, which defaults to whether the images carry attestations', async () => {
    const on = synth(project());
    const off = synth(project(false));
    const gate = (await parseHcl(on['docker-bake.hcl'])).target.api[0].annotations;
    expect(gate).toMatch(/^\$\{INDEX_ANNOTATIONS == "true" \? \[.*\] : \[\]\}$/);
    expect(gate).toContain('"index:org.opencontainers.image.title=api"');
    expect(gate).toContain('"index:org.opencontainers.image.description=The API"');
    expect((await parseHcl(on['docker-bake.hcl'])).variable.INDEX_ANNOTATIONS[0].default).toBe('true');
    expect((await parseHcl(off['docker-bake.hcl'])).variable.INDEX_ANNOTATIONS[0].default).toBe('false');
    expect(on.Makefile).toMatch(/^INDEX_ANNOTATIONS +\?= true$/m);
    expect(off.Makefile).toMatch(/^INDEX_ANNOTATIONS +\?= false$/m);
    // an SBOM attestation alone also makes an index of every build
    const sbomOnly = newProject();
    new MultiArchPipeline(sbomOnly, { provenance: false, sbom: true });
    new GoService(sbomOnly, 'api');
    expect(synth(sbomOnly).Makefile).toMatch(/^INDEX_ANNOTATIONS +\?= true$/m);
  });

  test('a description annotates the index once, over a description label of the pipeline', async () => {
    const p = newProject();
    new MultiArchPipeline(p, { labels: { 'org.opencontainers.image.description': 'The shop' } });
    new GoService(p, 'api', { description: 'The API' });
    const annotations: string = (await parseHcl(synth(p)['docker-bake.hcl'])).target.api[0].annotations;
    expect(annotations.match(/image\.description=/g)).toHaveLength(1);
    expect(annotations).toContain('"index:org.opencontainers.image.description=The API"');
  });

  (hasBuildx() ? test : test.skip)('bake gives the index annotations only when INDEX_ANNOTATIONS is true', () => {
    const p = project();
    synthToDisk(p);
    const annotations = (env: { [k: string]: string }) => bakePrint(p.outdir, 'docker-bake.hcl', env, ['api']).target.api.annotations;
    expect(annotations({ VERSION: '1.0.0' })).toEqual(expect.arrayContaining(['index:org.opencontainers.image.version=1.0.0', 'index:org.opencontainers.image.description=The API']));
    expect(annotations({ INDEX_ANNOTATIONS: 'false' })).toBeUndefined();
  });

  test('build-local and run-<service> build without index annotations; the other builds pass INDEX_ANNOTATIONS on', () => {
    // GIVEN a project on disk
    const p = project();
    synthToDisk(p);
    const bakeEnv = (target: string, ...vars: string[]) => {
      const r = makeDryRun(p.outdir, 'Makefile', target, ['BUILDX_DRIVER=docker', 'LOCAL_PLATFORM=linux/arm64', ...vars]);
      expect(r.stderr).toBe('');
      return r.stdout.split('\n').filter(l => l.includes('docker buildx bake')).map(l => /INDEX_ANNOTATIONS="([^"]*)"/.exec(l)?.[1]);
    };
    // THEN the local builds fix it to false, even when the user sets it, and the others pass the user's value
    expect(bakeEnv('build-local')).toEqual(['false']);
    expect(bakeEnv('run-api', 'INDEX_ANNOTATIONS=true')).toEqual(['false']);
    expect(bakeEnv('build-multiarch')).toEqual(['true']);
    expect(bakeEnv('build-multiarch', 'INDEX_ANNOTATIONS=false')).toEqual(['false']);
    // and a value the bake file would silently read as false is refused
    const bad = makeDryRun(p.outdir, 'Makefile', 'build-multiarch', ['INDEX_ANNOTATIONS=yes']);
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toContain('INDEX_ANNOTATIONS must be true or false, not "yes"');
  });
});

describe('MultiArchPipeline Makefile', () => {
  test('snapshot: Makefile', () => {
    expect(synth(nephoranProject()).Makefile).toMatchSnapshot();
  });

  test('has the seed targets, build-<service> per service and help, all phony', () => {
    const makefile = unwrapMakefile(synth(nephoranProject()).Makefile);
    const names = [...rules(makefile).keys()];
    for (const t of [...SEED_TARGETS, 'build-llm-processor', 'build-nephio-bridge', 'build-oran-adaptor', 'build-rag-api', 'help']) {
      expect(names).toContain(t);
    }
    const phony = makefile.match(/^\.PHONY: (.*)$/m)![1].split(' ');
    expect(phony.sort()).toEqual(names.filter(n => n !== '.PHONY').sort());
  });

  test('variables are overridable with ?=', () => {
    const makefile = synth(nephoranProject()).Makefile;
    for (const v of ['REGISTRY', 'VERSION', 'PLATFORMS', 'PUSH', 'BUILDER', 'BUILDX_DRIVER', 'CACHE_REGISTRY', 'BUILD_DATE', 'VCS_REF']) {
      expect(makefile).toMatch(new RegExp(`^${v} +\\?= `, 'm'));
    }
    expect(makefile).toMatch(/^REGISTRY +\?= ghcr\.io\/nephoran$/m);
    expect(makefile).toMatch(/^PLATFORMS +\?= linux\/amd64,linux\/arm64$/m);
  });

  test('bake is always called with -f; only build-multiarch pushes, and only when PUSH=true', () => {
    const makefile = unwrapMakefile(synth(nephoranProject()).Makefile);
    // set -f: flags such as --set=*.platform=... are never globbed
    expect(makefile).toMatch(/^BAKE = set -f; REGISTRY="\$\(REGISTRY\)" VERSION="\$\(VERSION\)" .* docker buildx bake .* -f docker-bake\.hcl \$\(addprefix -f ,\$\(METADATA_FILES\)\) \$\(BAKE_SECRETS\) \$\(BAKE_FLAGS\)$/m);
    const invocations = makefile.split('\n').filter(l => /docker buildx bake/.test(l) && !/@echo/.test(l));
    // BAKE, and BAKE_LOCAL for the local builds (the same, for LOCAL_PLATFORM and without index annotations)
    expect(invocations.map(l => l.split(' = ')[0])).toEqual(['BAKE', 'BAKE_LOCAL']);
    expect(invocations[1].slice('BAKE_LOCAL = '.length)).toBe(invocations[0].slice('BAKE = '.length).replace('PLATFORMS="$(PLATFORMS)"', 'PLATFORMS="$(LOCAL_PLATFORM)"').replace('INDEX_ANNOTATIONS="$(INDEX_ANNOTATIONS)"', 'INDEX_ANNOTATIONS="false"').replace('CACHE_WRITE="$(CACHE_WRITE)"', 'CACHE_WRITE="false"'));
    expect(recipe(makefile, 'build-multiarch')).toContain('$(BAKE) $(if $(filter true,$(PUSH)),$(PUSH_OUTPUT) $(PUSHED),) default');
    expect(recipe(makefile, 'ci-build')).not.toContain('--push');
  });

  test('verify, scan, sign and security never rebuild or push', () => {
    const r = rules(synth(nephoranProject()).Makefile);
    const building = new Set(['build-multiarch', 'build-complete', 'ci-build', 'ci-push', 'build-llm-processor']);
    const closure = (t: string, seen = new Set<string>()): Set<string> => {
      for (const p of r.get(t) ?? []) if (!seen.has(p)) { seen.add(p); closure(p, seen); }
      return seen;
    };
    const makefile = synth(nephoranProject()).Makefile;
    for (const t of ['build-verify', 'build-vulnerability-scan', 'ci-security', 'ci-sign', 'build-sign', 'build-sbom']) {
      expect([...closure(t)].filter(p => building.has(p))).toEqual([]);
      // and no recipe on the way calls bake
      for (const x of [t, ...closure(t)]) expect(recipe(makefile, x)).not.toContain('$(BAKE)');
    }
  });

  test('build-verify checks every platform of every pushed index', () => {
    const makefile = synth(nephoranProject()).Makefile;
    const verify = recipe(makefile, 'build-verify');
    for (const svc of ['llm-processor', 'nephio-bridge', 'oran-adaptor', 'rag-api']) {
      expect(verify).toContain(`@$(MULTIARCH) verify "$(REGISTRY)/${svc}:$(VERSION)" "$(PLATFORMS)"`);
    }
  });

  test('a per-service platform override is verified against its own platforms', () => {
    const project = newProject();
    new GoService(project, 'svc', { platforms: [Platform.LINUX_ARM64, Platform.LINUX_ARM_V7] });
    expect(recipe(synth(project).Makefile, 'build-verify')).toContain('@$(MULTIARCH) verify "$(REGISTRY)/svc:$(VERSION)" "linux/arm64 linux/arm/v7"');
  });

  test('makefile option writes another file for users who own their Makefile', () => {
    const project = newProject();
    new MultiArchPipeline(project, { makefile: 'multiarch.mk', buildxDriver: BuildxDriver.KUBERNETES, builderName: 'k8s' });
    new GoService(project, 'svc');
    const out = synth(project);
    expect(out.Makefile).toBeUndefined();
    expect(out['multiarch.mk']).toMatch(/^BUILDX_DRIVER +\?= kubernetes$/m);
    expect(out['multiarch.mk']).toMatch(/^BUILDER +\?= k8s$/m);
  });

  test('escape hatch: a standard target can be found and replaced before synthesis; the Makefile holds only the replacement', () => {
    // GIVEN a pipeline with a service
    const project = newProject();
    const pipeline = new MultiArchPipeline(project);
    new GoService(project, 'svc');
    // WHEN .projenrc.ts finds ci-sign and replaces it
    const standard = pipeline.make.tryFindTarget(StandardTarget.CI_SIGN)!;
    expect(standard.prerequisites).toEqual(['build-sign']);
    pipeline.make.replaceTarget({ name: StandardTarget.CI_SIGN, description: 'Sign with our own tool', recipe: ['./sign.sh'] });
    const makefile = synth(project).Makefile;
    // THEN the rule is the replacement, once, and help describes it
    expect(recipe(makefile, 'ci-sign')).toBe('\t./sign.sh');
    expect(makefile.match(/^ci-sign:.*$/gm)).toEqual(['ci-sign:']);
    expect(makefile).toContain('# Sign with our own tool\nci-sign:\n');
    expect(makefile).toContain("@echo '  ci-sign                   Sign with our own tool'");
  });

  test('adding a target under a standard name says to use replaceTarget', () => {
    const pipeline = new MultiArchPipeline(newProject());
    expect(() => pipeline.make.addTarget({ name: 'ci-sign', description: 'mine' }))
      .toThrow('The Makefile already has a target named "ci-sign"; use replaceTarget to change it');
  });

  test('a replaced target stays the user\'s while services are added; the others follow the services', () => {
    // GIVEN build-verify replaced while there is one service
    const project = newProject();
    const pipeline = new MultiArchPipeline(project);
    new GoService(project, 'first');
    pipeline.make.replaceTarget({ name: 'build-verify', description: 'Our verification', recipe: ['./verify.sh'] });
    // WHEN a second service is added
    new GoService(project, 'second');
    const makefile = synth(project).Makefile;
    // THEN build-verify is still the replacement; build-complete verifies both; build-second sits after build-first
    expect(recipe(makefile, 'build-verify')).toBe('\t./verify.sh');
    expect(recipe(makefile, 'build-complete')).toContain('$(REGISTRY)/second:$(VERSION)');
    const order = [...makefile.matchAll(/^(build-[a-z-]+):/gm)].map(m => m[1]);
    expect(order.slice(0, 3)).toEqual(['build-multiarch', 'build-first', 'build-second']);
  });
});

describe('MultiArchPipeline lifecycle', () => {
  test('a pipeline created after a service is refused, saying to create it first', () => {
    // GIVEN a service, which created the default pipeline
    const project = newProject();
    new GoService(project, 'svc');
    // WHEN a pipeline with options is created after it THEN the error names the service and the fix
    expect(() => new MultiArchPipeline(project, { registry: 'ghcr.io/o' }))
      .toThrow('MultiArchPipeline: create it before the first service ("svc"), which created a pipeline with the defaults: move "new MultiArchPipeline(project, ...)" above the services in .projenrc.ts');
    // AND the project keeps the one pipeline the service joined
    expect(project.components.filter(c => c instanceof MultiArchPipeline)).toHaveLength(1);
  });

  test('a service alone gets a default pipeline with the syntax directive', () => {
    const project = newProject();
    new PythonService(project, 'api');
    const out = synth(project);
    // the frontend is pinned by digest: a moving tag would run whatever it points at inside the builder
    expect(out.Dockerfile.split('\n')[0]).toMatch(/^# syntax=docker\/dockerfile:1\.\d+@sha256:[0-9a-f]{64}$/);
    expect(out['docker-bake.hcl']).toContain('default = "localhost:5000"');
    expect(MultiArchPipeline.of(project)).toBeDefined();
  });

  test('one pipeline per project', () => {
    const project = newProject();
    new MultiArchPipeline(project);
    expect(() => new MultiArchPipeline(project)).toThrow('A project has one MultiArchPipeline; use MultiArchPipeline.of(project) to reach it');
  });

  test('a pipeline without services says what to add', () => {
    const project = newProject();
    new MultiArchPipeline(project);
    expect(() => synth(project)).toThrow(/has no services: add a service to the project \(a MultiArchService of any kind\)/);
  });

  test('synthesizing twice gives identical bytes', () => {
    expect(synth(nephoranProject())).toEqual(synth(nephoranProject()));
  });

  test('generated files carry the projen marker', () => {
    const out = synth(nephoranProject());
    for (const f of ['cmd/llm-processor/Dockerfile', 'Dockerfile', 'pkg/rag/Dockerfile', 'cmd/llm-processor/Dockerfile.dockerignore', 'Dockerfile.dockerignore', 'pkg/rag/Dockerfile.dockerignore', 'docker-bake.hcl', 'Makefile']) {
      expect(out[f]).toContain('~~ Generated by projen');
    }
  });

  test.each([
    [{ registry: 'ghcr.io/Org' }, /Invalid registry "ghcr.io\/Org"/],
    [{ registry: 'ghcr.io/o\nevil' }, /Invalid registry .*control characters/],
    [{ platforms: [] }, /Invalid platforms \[\]: give at least one platform/],
    [{ dockerfileSyntax: 'docker/dockerfile:1 evil' }, /Invalid dockerfileSyntax/],
    [{ cacheRegistry: 'not a registry' }, /Invalid cacheRegistry/],
    [{ buildxDriver: 'podman' }, /Invalid buildxDriver "podman": use one of docker, docker-container, kubernetes, remote/],
    [{ builderName: 'My Builder' }, /Invalid builderName/],
    [{ scanSeverity: 'severe' }, /Invalid scanSeverity "severe"/],
    [{ makefile: '../Makefile' }, /Invalid makefile/],
    [{ bakeFile: 'bake.json' }, /Invalid bakeFile "bake.json": must end with \.hcl/],
    [{ labels: { 'a.b': 'x"y' } }, /Invalid labels\["a.b"\]/],
  ])('rejects %j', (options, error) => {
    expect(() => new MultiArchPipeline(newProject(), options as any)).toThrow(error);
  });
});

describe('MultiArchPipeline and the files of removed services', () => {
  test('removing a service from .projenrc removes its generated files', () => {
    // GIVEN a project synthesized with two services
    const first = newProject();
    new GoService(first, 'keep');
    new GoService(first, 'drop');
    synthToDisk(first);
    expect(fs.existsSync(path.join(first.outdir, 'cmd/drop/Dockerfile'))).toBe(true);
    // WHEN the same directory is synthesized again without "drop"
    const second = new Project({ name: 'consumer', outdir: first.outdir });
    new GoService(second, 'keep');
    const files = synthToDisk(second);
    // THEN its Dockerfile, bake target and Make target are gone
    expect(fs.existsSync(path.join(first.outdir, 'cmd/drop/Dockerfile'))).toBe(false);
    expect(files['docker-bake.hcl']).not.toContain('drop');
    expect(files.Makefile).not.toContain('build-drop');
    expect(fs.existsSync(path.join(first.outdir, 'cmd/keep/Dockerfile'))).toBe(true);
  });
});

describe('MultiArchPipeline guards', () => {
  test.each(['verify', 'sign', 'sbom', 'complete', 'vulnerability-scan', 'multiarch', 'default', 'docker-metadata-action'])('service name %s is reserved', name => {
    expect(() => new GoService(newProject(), name)).toThrow(new RegExp(`Invalid service name "${name}": it is reserved`));
  });

  test('per-service platforms given as strings are normalized at construction', () => {
    const svc = new GoService(newProject(), 'svc', { platforms: ['linux/arm64' as any] });
    expect(svc.platforms).toEqual([Platform.LINUX_ARM64]);
    expect(() => new GoService(newProject(), 'svc', { platforms: ['linux/sparc' as any] })).toThrow(/Unknown platform "linux\/sparc"/);
  });

  test('cgo with a static runtime is refused', () => {
    expect(() => new GoService(newProject(), 'svc', { cgo: true, runtimeImage: 'gcr.io/distroless/static-debian12:nonroot' }))
      .toThrow(/static image without a C library/);
  });
});

describe('a refused service', () => {
  test.each([
    ['a GoService with a bad goVersion', (p: Project) => new GoService(p, 'bad', { goVersion: '1.x' })],
    ['a GoService whose shared Dockerfile settings disagree', (p: Project) => new GoService(p, 'bad', { sharedDockerfile: true, runtimeImage: 'other:1' })],
    ['a PythonService with --no-cache-dir', (p: Project) => new PythonService(p, 'bad', { directory: 'pkg/bad', pipInstallArgs: ['--no-cache-dir'] })],
    ['a PythonService whose Dockerfile path is taken', (p: Project) => new PythonService(p, 'bad', { directory: 'pkg/bad' })],
  ])('leaves nothing behind: %s', (_, create) => {
    // GIVEN a project with working services (one of them owns pkg/bad/Dockerfile)
    const project = newProject();
    new GoService(project, 'good', { sharedDockerfile: true });
    new GoService(project, 'taken', { dockerfilePath: 'pkg/bad/Dockerfile' });
    // WHEN a service is refused and the caller carries on
    expect(() => create(project)).toThrow();
    const out = synth(project);
    // THEN no bake target, Make target, file or ignore entry of it exists
    expect(out['docker-bake.hcl']).not.toMatch(/target "bad"/);
    expect(out.Makefile).not.toContain('build-bad');
    expect(Object.keys(out).filter(f => f.startsWith('pkg/bad/') && !['pkg/bad/Dockerfile', 'pkg/bad/Dockerfile.dockerignore'].includes(f))).toEqual([]);
    // AND the ignore file of the Dockerfile it wanted is the owner's alone (no Python patterns)
    expect(out['pkg/bad/Dockerfile.dockerignore']).not.toContain('egg-info');
  });
});

describe('MultiArchPipeline is whole after its constructor', () => {
  test('the standard targets and each service\'s bake target exist before synthesis', () => {
    // GIVEN / WHEN
    const project = newProject();
    const pipeline = new MultiArchPipeline(project);
    const svc = new GoService(project, 'svc');
    // THEN
    expect(pipeline.make.targets.map(t => t.name)).toEqual(expect.arrayContaining([...SEED_TARGETS, 'build-svc']));
    expect(pipeline.bake.tryFindTarget('svc')).toBe(svc.bakeTarget);
    expect(pipeline.services).toEqual([svc]);
    expect(pipeline.variables.map(v => v.name)).toEqual(expect.arrayContaining(['REGISTRY', 'VERSION', 'PLATFORMS', 'CACHE_REGISTRY', 'BUILD_DATE', 'VCS_REF']));
  });

  test('a project whose services never create a pipeline has one from the first service on', () => {
    const project = newProject();
    new PythonService(project, 'api');
    const pipeline = MultiArchPipeline.of(project)!;
    expect(pipeline.make.tryFindTarget('build-api')).toBeDefined();
    expect(pipeline.registry).toBe('localhost:5000');
  });

  test('the default pipeline a service created is the one every later service joins, with what .projenrc.ts changed in it', () => {
    // GIVEN a service, and changes made through the default pipeline it created
    const project = newProject();
    new GoService(project, 'svc');
    MultiArchPipeline.of(project)!.make.replaceTarget({ name: 'ci-sign', description: 'Sign with our own tool', recipe: ['./sign.sh'] });
    MultiArchPipeline.of(project)!.make.addTarget({ name: 'deploy', description: 'Deploy', recipe: ['./deploy.sh'] });
    // WHEN another service joins
    new GoService(project, 'other');
    const makefile = synth(project).Makefile;
    // THEN the changes stay, and the standard targets list both services
    expect(recipe(makefile, 'ci-sign')).toBe('\t./sign.sh');
    expect(recipe(makefile, 'deploy')).toBe('\t./deploy.sh');
    expect(makefile).toContain('build-svc:');
    expect(makefile).toContain('build-other:');
  });

  test('a service of a subproject joins its own project\'s pipeline, not the parent\'s', () => {
    const parent = newProject();
    new GoService(parent, 'api');
    const child = new Project({ name: 'child', parent, outdir: 'child' });
    new GoService(child, 'worker');
    expect(MultiArchPipeline.of(parent)!.services.map(s => s.name)).toEqual(['api']);
    expect(MultiArchPipeline.of(child)!.services.map(s => s.name)).toEqual(['worker']);
    const out = synth(parent);
    expect(out['child/Makefile']).toContain('build-worker:');
    expect(out.Makefile).not.toContain('worker');
  });
});

describe('user additions are merged with the pipeline\'s defaults, never swapped for them', () => {
  test('an extra attestation keeps provenance; an extra cache source keeps the registry cache', async () => {
    // GIVEN
    const project = newProject();
    const svc = new GoService(project, 'svc');
    // WHEN the escape hatch adds an SBOM attestation and a gha cache source
    svc.bakeTarget.attest.push('type=sbom');
    svc.bakeTarget.cacheFrom.push('type=gha,scope=svc');
    const t = (await parseHcl(synth(project)['docker-bake.hcl'])).target.svc[0];
    // THEN both defaults are still there
    expect(t.attest).toEqual(['type=provenance,mode=max', 'type=sbom']);
    expect(t['cache-from']).toBe('${concat((CACHE_REGISTRY == "" ? [] : ["type=registry,ref=${CACHE_REGISTRY}/svc:${CACHE_TAG}"]), ["type=gha,scope=svc"])}');
  });

  test('an attestation of the same type replaces the default one', async () => {
    const project = newProject();
    const svc = new GoService(project, 'svc');
    svc.bakeTarget.attest.push('type=provenance,mode=min');
    const t = (await parseHcl(synth(project)['docker-bake.hcl'])).target.svc[0];
    expect(t.attest).toEqual(['type=provenance,mode=min']);
  });

  test('a label of the service wins over the pipeline\'s for the same key', async () => {
    const project = newProject();
    new MultiArchPipeline(project, { labels: { 'org.opencontainers.image.vendor': 'Acme' } });
    const svc = new GoService(project, 'svc');
    svc.bakeTarget.labels['org.opencontainers.image.vendor'] = 'Acme Payments';
    const t = (await parseHcl(synth(project)['docker-bake.hcl'])).target.svc[0];
    expect(t.labels['org.opencontainers.image.vendor']).toBe('Acme Payments');
    expect(t.labels['org.opencontainers.image.title']).toBe('svc');
  });
});

describe('CI providers', () => {
  /** A provider that lists, at synthesis, what a CI system would run. */
  class ListingProvider implements ICiProvider {
    public bound?: IBuildPipeline;
    public updates: string[][] = [];
    public bind(pipeline: IBuildPipeline): void {
      this.bound = pipeline;
      new SampleLister(pipeline);
    }
    public update(pipeline: IBuildPipeline): void {
      this.updates.push(pipeline.services.map(s => s.name));
    }
  }
  class SampleLister extends Component {
    constructor(private readonly pipeline: IBuildPipeline) { super(pipeline.project, 'lister'); }
    public synthesize(): void {
      const lines = [
        ...this.pipeline.services.map(s => `make -f ${this.pipeline.makefilePath} ${StandardTarget.buildService(s.name)}`),
        ...this.pipeline.variables.filter(v => v.ciValue).map(v => `${v.name} <- ${v.ciValue}`),
      ];
      fs.writeFileSync(path.join(this.project.outdir, 'ci-plan.txt'), lines.join('\n') + '\n');
    }
  }

  test('a provider is bound once and renders from the services and the contract at synthesis', () => {
    // GIVEN a provider bound before the second service exists
    const provider = new ListingProvider();
    const project = newProject();
    const pipeline = new MultiArchPipeline(project, { ciProviders: [provider] });
    new GoService(project, 'first');
    new PythonService(project, 'second');
    pipeline.addCiProvider(provider);
    // WHEN
    synthToDisk(project);
    // THEN it saw the pipeline, every service and the variables CI sets
    expect(provider.bound).toBe(pipeline);
    const plan = fs.readFileSync(path.join(project.outdir, 'ci-plan.txt'), 'utf8');
    expect(plan).toContain('make -f Makefile build-first\nmake -f Makefile build-second\n');
    expect(plan).toContain('VERSION <- image-version');
    expect(plan).toContain('VCS_REF <- commit-sha');
    // AND it was brought up to date when it was bound and after each service joined
    expect(provider.updates).toEqual([[], ['first'], ['first', 'second']]);
  });
});
