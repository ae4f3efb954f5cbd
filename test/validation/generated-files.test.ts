/**
 * Static validation of every generated file with real tools: a Dockerfile parser/linter, HashiCorp's
 * HCL parser, `docker buildx bake --print` (where buildx is installed) and `make -n` of every target.
 * It runs over two consumers: the seed's system and one shaped differently. The real builds of the
 * same files are in the end-to-end tier (`npm run test:e2e`).
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Project } from 'projen';
import { GoService, MultiArchPipeline, Platform } from '../../src';
import { acmeProject, bakeEntries, bakePrint, hasBuildx, lintDockerfile, makeDryRun, nephoranProject, newProject, parseDockerfile, parseHcl, synth, synthToDisk } from '../helpers';

interface Consumer {
  readonly name: string;
  readonly create: () => Project;
  readonly makefile: string;
  readonly dockerfiles: string[];
  /** service → platforms bake must resolve */
  readonly services: { [name: string]: string[] };
}

const BOTH = ['linux/amd64', 'linux/arm64'];
const consumers: Consumer[] = [
  {
    name: 'nephoran (the seed)',
    create: nephoranProject,
    makefile: 'Makefile',
    dockerfiles: ['Dockerfile', 'cmd/llm-processor/Dockerfile', 'pkg/rag/Dockerfile'],
    services: { 'llm-processor': BOTH, 'nephio-bridge': BOTH, 'oran-adaptor': BOTH, 'rag-api': BOTH },
  },
  {
    name: 'acme (module in backend/, overrides, own Makefile name)',
    create: acmeProject,
    makefile: 'multiarch.mk',
    dockerfiles: ['backend/Dockerfile', 'backend/cmd/billing-server/Dockerfile', 'services/search/Dockerfile'],
    services: { 'billing': BOTH, 'ledger': ['linux/amd64'], 'notifier': BOTH, 'search-api': BOTH },
  },
];

describe.each(consumers)('$name', consumer => {
  const project = consumer.create();
  const out = synthToDisk(project);
  const dir = project.outdir;
  const dockerfiles = Object.keys(out).filter(f => /(^|\/)Dockerfile$/.test(f));
  const makefile = consumer.makefile;
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  describe('generated Dockerfiles', () => {
    test('one Dockerfile per layout: a per-service Go one, a shared Go one, a Python one', () => {
      expect(dockerfiles.sort()).toEqual(consumer.dockerfiles);
    });

    test.each(dockerfiles)('%s parses and lints clean', f => {
      expect(lintDockerfile(out[f])).toEqual([]);
    });

    test.each(dockerfiles)('%s: final stage runs as a numeric non-root user with exec-form start', f => {
      const stages = parseDockerfile(out[f]).stages;
      const final = stages[stages.length - 1];
      const users = final.instructions.filter(i => i.keyword === 'USER').map(i => i.args);
      expect(users).toHaveLength(1);
      expect(users[0]).toMatch(/^[1-9][0-9]*:[1-9][0-9]*$/);
      const start = final.instructions.filter(i => i.keyword === 'ENTRYPOINT' || i.keyword === 'CMD');
      expect(start.length).toBeGreaterThan(0);
      start.forEach(i => expect(Array.isArray(JSON.parse(i.args))).toBe(true));
    });

    test.each(dockerfiles)('%s: no defaults on automatic platform ARGs, no go mod tidy/go get, no secrets in ARG/ENV', f => {
      const all = parseDockerfile(out[f]).stages.flatMap(s => s.instructions);
      for (const arg of all.filter(i => i.keyword === 'ARG')) {
        expect(arg.args).not.toMatch(/\b(BUILD|TARGET)(PLATFORM|OS|ARCH|VARIANT)=/);
      }
      expect(all.filter(i => i.keyword === 'RUN' && /go mod tidy|go get /.test(i.raw))).toEqual([]);
      expect(all.filter(i => (i.keyword === 'ARG' || i.keyword === 'ENV') && /TOKEN|PASSWORD|SECRET/.test(i.args))).toEqual([]);
    });

    test('no syntax directive when dockerfileSyntax is empty', () => {
      dockerfiles.forEach(f => expect(parseDockerfile(out[f]).directives).toEqual([]));
    });
  });

  describe('generated bake file', () => {
    test('parses with the HCL parser', async () => {
      await expect(parseHcl(out['docker-bake.hcl'])).resolves.toHaveProperty('target');
    });

    (hasBuildx() ? test : test.skip)('docker buildx bake --print resolves every service on its platforms', () => {
      const resolved = bakePrint(dir, 'docker-bake.hcl', { VERSION: '1.2.3', REGISTRY: '127.0.0.1:5000/x', CACHE_REGISTRY: '' });
      const services = Object.keys(resolved.target).filter(name => !name.startsWith('_'));
      expect(services.sort()).toEqual(Object.keys(consumer.services).sort());
      for (const name of services) {
        const t = resolved.target[name];
        expect(t.platforms).toEqual(consumer.services[name]);
        expect(t.tags).toEqual([`127.0.0.1:5000/x/${name}:1.2.3`]);
        expect(t.args.VERSION).toBe('1.2.3');
        expect(t['cache-to'] ?? []).toEqual([]);
      }
      // the dependencies of Go services that share them: a target that bake resolves through the
      // services' named context `deps`, for their platforms, with no image
      for (const name of Object.keys(resolved.target).filter(n => n.startsWith('_'))) {
        const users = services.filter(s => resolved.target[s].contexts?.deps === `target:${name}`);
        expect(users.length).toBeGreaterThan(1);
        const deps = resolved.target[name];
        expect(deps.target).toBe('deps');
        expect(deps.tags ?? []).toEqual([]);
        users.forEach(s => expect(deps.platforms).toEqual(resolved.target[s].platforms));
      }
      for (const name of services.filter(s => resolved.target[s].contexts?.deps)) {
        expect(resolved.target[resolved.target[name].contexts.deps.replace(/^target:/, '')]).toBeDefined();
      }
      const first = Object.keys(consumer.services)[0];
      const cached = bakePrint(dir, 'docker-bake.hcl', { CACHE_REGISTRY: '127.0.0.1:5000/cache' }, [first]);
      expect(bakeEntries(cached.target[first]['cache-to'])).toEqual([{ type: 'registry', ref: `127.0.0.1:5000/cache/${first}:cache`, mode: 'max' }]);
    });
  });

  describe('generated Makefile', () => {
    const targets = [...out[makefile].matchAll(/^([a-z0-9][a-z0-9_.-]*):/gm)].map(m => m[1]);

    test('lists the seed targets', () => {
      expect(targets).toEqual(expect.arrayContaining(['setup-buildx', 'build-multiarch', 'build-complete', 'build-verify', 'build-vulnerability-scan', 'ci-setup', 'ci-build', 'ci-push', 'ci-security', 'ci-sign']));
    });

    test.each(targets)('make -n %s succeeds and its commands are valid bash', target => {
      const r = makeDryRun(dir, makefile, target);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      const syntax = spawnSync('bash', ['-n'], { input: r.stdout, encoding: 'utf8' });
      expect(syntax.stderr).toBe('');
      expect(syntax.status).toBe(0);
    });

    test('PUSH must be true or false', () => {
      const r = makeDryRun(dir, makefile, 'build-multiarch', ['PUSH=yes']);
      expect(r.status).not.toBe(0);
      expect(r.stderr).toContain('PUSH must be true or false, not "yes"');
    });

    test('make -j runs build-verify after the build requested with it, never before', () => {
      // GIVEN a fake docker that records when bake starts and ends and when images are inspected
      const bin = fs.mkdtempSync(path.join(os.tmpdir(), 'fake-docker-'));
      const log = path.join(bin, 'calls.log');
      fs.writeFileSync(path.join(bin, 'docker'), [
        '#!/bin/bash',
        `case "$1 $2" in "buildx bake") echo "bake start" >> ${log}; sleep 1; echo "bake end" >> ${log} ;;`,
        `  "buildx imagetools") echo "inspect" >> ${log}; echo "linux/amd64 linux/arm64 " ;;`,
        '  "buildx inspect") echo "Platforms: linux/amd64, linux/arm64" ;;',
        '  "context show") echo default ;;',
        '  *) ;; esac',
      ].join('\n'), { mode: 0o755 });
      // WHEN both goals run in parallel
      const r = spawnSync('make', ['-j4', '-f', makefile, 'build-multiarch', 'build-verify', 'BUILDX_DRIVER=docker', 'PLATFORMS=linux/amd64'],
        { cwd: dir, encoding: 'utf8', env: { ...process.env, PATH: `${bin}:${process.env.PATH}` } });
      // THEN every inspection happens after the build ended
      expect(r.status).toBe(0);
      const calls = fs.readFileSync(log, 'utf8').trim().split('\n');
      expect(calls.slice(0, 2)).toEqual(['bake start', 'bake end']);
      expect(calls.slice(2).every(c => c === 'inspect')).toBe(true);
      fs.rmSync(bin, { recursive: true, force: true });
    });

    test('PUSH=true adds --push to the one bake call of build-multiarch; the default does not push', () => {
      const pushed = makeDryRun(dir, makefile, 'build-multiarch', ['PUSH=true', 'BUILDX_DRIVER=docker']).stdout;
      const bakeLines = pushed.split('\n').filter(l => l.includes('buildx bake'));
      expect(bakeLines).toHaveLength(1);
      const argv = (line: string) => line.slice(line.indexOf('docker buildx bake')).split(/\s+/);
      expect(argv(bakeLines[0])).toEqual(['docker', 'buildx', 'bake', '--builder', 'default', '-f', 'docker-bake.hcl', '--push', '--metadata-file', '".multiarch/build.json"', 'default']);
      expect(bakeLines[0]).toMatch(/^set -f; REGISTRY="[^"]+" VERSION="[^"]+" PLATFORMS="[^"]+" CACHE_REGISTRY="[^"]*" CACHE_TAG="cache" CACHE_WRITE="true" SOURCE_DATE_EPOCH="\d+" BUILD_DATE="\d{4}-[^"]+" VCS_REF="[^"]+" INDEX_ANNOTATIONS="true" GO_NETRC="" PIP_CONF="" PIP_NETRC="" docker/);
      const local = makeDryRun(dir, makefile, 'build-multiarch', ['BAKE_FLAGS=--no-cache']).stdout.split('\n').filter(l => l.includes('buildx bake'));
      expect(local.map(argv)).toEqual([['docker', 'buildx', 'bake', '--builder', 'multiarch', '-f', 'docker-bake.hcl', '--no-cache', 'default']]);
    });

    test('one make invocation of the CI security targets runs no build', () => {
      const r = makeDryRun(dir, makefile, 'ci-security');
      expect(r.stdout).not.toContain('buildx bake');
      expect(r.stdout).toContain('multiarch.sh scan');
    });

    test('help lists every target and variable', () => {
      const help = makefile === 'Makefile' ? 'help' : 'multiarch-help';
      const r = spawnSync('make', ['-f', makefile, help, 'REGISTRY=example.com/x'], { cwd: dir, encoding: 'utf8' });
      expect(r.status).toBe(0);
      for (const t of targets.filter(x => x !== help)) expect(r.stdout).toMatch(new RegExp(`^  ${t} +\\S`, 'm'));
      expect(r.stdout).toMatch(/^  REGISTRY +registry\/namespace to push to \[example\.com\/x\]$/m);
      expect(r.stdout).toMatch(/^  PLATFORMS +comma-separated target platforms \[linux\/amd64,linux\/arm64\]$/m);
    });

    test('a bad BUILDX_DRIVER is refused by setup-buildx with the allowed values', () => {
      const r = spawnSync('make', ['-f', makefile, 'setup-buildx', 'BUILDX_DRIVER=podman'], { cwd: dir, encoding: 'utf8' });
      expect(r.status).not.toBe(0);
      expect(r.stderr).toContain('BUILDX_DRIVER must be docker, docker-container, kubernetes or remote, not "podman"');
    });
  });
});

describe('a generated .mk included from a Makefile the user owns', () => {
  test('leaves the user\'s default goal, shell and help alone', () => {
    // GIVEN acme's multiarch.mk and a user Makefile with its own first target, help and sh recipes
    const project = acmeProject();
    synthToDisk(project);
    const dir = project.outdir;
    fs.writeFileSync(path.join(dir, 'Makefile'), [
      'all:', '\t@echo "user all: $$0"', 'help:', '\t@echo "user help"', 'include multiarch.mk', '',
    ].join('\n'));
    // WHEN make runs with no goal, the user's help, and the included help
    const all = spawnSync('make', [], { cwd: dir, encoding: 'utf8' });
    const help = spawnSync('make', ['help'], { cwd: dir, encoding: 'utf8' });
    const included = spawnSync('make', ['multiarch-help'], { cwd: dir, encoding: 'utf8' });
    const dry = spawnSync('make', ['-n', 'build-multiarch'], { cwd: dir, encoding: 'utf8' });
    // THEN the user's targets keep /bin/sh and their meaning; the included ones still work
    expect(all.stdout.trim()).toBe('user all: /bin/sh');
    expect(help.stdout.trim()).toBe('user help');
    expect(included.status).toBe(0);
    expect(included.stdout).toContain('build-multiarch');
    expect(dry.status).toBe(0);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

describe('injection attempts', () => {
  test('a registry with Make/shell metacharacters is refused before it reaches any file', () => {
    for (const registry of ['ghcr.io/o; rm -rf /', 'ghcr.io/$(shell id)', 'ghcr.io/o"}\ntarget "x" {']) {
      expect(() => new MultiArchPipeline(newProject(), { registry })).toThrow(/Invalid registry/);
    }
  });

  test('description and labels with quotes are refused; values with backslashes in the Dockerfile are escaped', () => {
    expect(() => new GoService(newProject(), 'svc', { description: 'x" \\\nRUN evil' })).toThrow(/Invalid description/);
    const p = newProject();
    new GoService(p, 'svc', { description: 'a plain, safe description (v2)', platforms: [Platform.LINUX_AMD64] });
    const f = synth(p)['cmd/svc/Dockerfile'];
    expect(lintDockerfile(f)).toEqual([]);
    expect(f).toContain('org.opencontainers.image.description="a plain, safe description (v2)"');
  });
});
