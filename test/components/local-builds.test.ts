/**
 * build-local and run-<service>, run by make with a fake docker on PATH: what reaches docker, and
 * what setup-buildx asks of the builder.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { GoService, MultiArchPipeline, Platform, PythonService } from '../../src';
import { newProject, synthToDisk } from '../helpers';

/** api (both platforms), legacy (amd64 only) and ml (Python: runs commands on the target platform). */
function project(): string {
  const p = newProject();
  new MultiArchPipeline(p, { registry: 'ghcr.io/acme', dockerfileSyntax: '' });
  new GoService(p, 'api', { port: 8080 });
  new GoService(p, 'legacy', { platforms: [Platform.LINUX_AMD64] });
  new PythonService(p, 'ml', { directory: 'ml' });
  synthToDisk(p);
  return p.outdir;
}

/** A fake docker whose builder runs `builderPlatforms` only; it logs each call's arguments as [a][b]... */
function fakeDocker(builderPlatforms: string): { env: NodeJS.ProcessEnv; calls: () => string[] } {
  const bin = fs.mkdtempSync(path.join(os.tmpdir(), 'fake-docker-'));
  const log = path.join(bin, 'calls.log');
  fs.writeFileSync(log, '');
  fs.writeFileSync(path.join(bin, 'docker'), [
    '#!/bin/bash',
    // the tools check (prerequisite-checks.test.ts) sees buildx 0.29.1, and is not logged
    '[ "$1 $2" != "buildx version" ] || { echo "github.com/docker/buildx v0.29.1 a8d0c1d"; exit 0; }',
    `printf '[%s]' "$@" >> ${log}; echo >> ${log}`,
    '[ "$1 $2" = "context show" ] && echo default',
    `[ "$1 $2" = "buildx inspect" ] && printf 'Name: default\\nPlatforms: ${builderPlatforms}\\n'`,
    'exit 0',
  ].join('\n'), { mode: 0o755 });
  return { env: { ...process.env, PATH: `${bin}:${process.env.PATH}` }, calls: () => fs.readFileSync(log, 'utf8').trim().split('\n').filter(x => x) };
}

function make(dir: string, env: NodeJS.ProcessEnv, ...args: string[]) {
  return spawnSync('make', ['-f', 'Makefile', ...args], { cwd: dir, env, encoding: 'utf8' });
}

describe('build-local and run-<service>', () => {
  const dir = project();

  test('a builder without emulation is enough for the local platform, even when a service runs commands on the target platform', () => {
    // GIVEN a builder that runs amd64 only (no QEMU), and PLATFORMS amd64 + arm64
    const docker = fakeDocker('linux/amd64, linux/amd64/v2, linux/386');
    // WHEN a Python service is built and run for this amd64 machine
    const r = make(dir, docker.env, 'run-ml', 'BUILDX_DRIVER=docker', 'LOCAL_PLATFORM=linux/amd64', 'VERSION=1.0.0');
    // THEN setup-buildx checks linux/amd64 only, and the build and the run happen
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('setup-buildx: builder default can build linux/amd64');
    const bake = docker.calls().find(c => c.startsWith('[buildx][bake]'))!;
    expect(bake).toMatch(/\[--load\]\[ml\]$/);
    expect(docker.calls()).toContain('[run][--rm][ghcr.io/acme/ml:1.0.0]');
  });

  test('the same builder still refuses a multi-platform build of that service', () => {
    const docker = fakeDocker('linux/amd64, linux/386');
    const r = make(dir, docker.env, 'build-ml', 'BUILDX_DRIVER=docker');
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('cannot run linux/arm64, and ml run commands on the target platform');
  });

  test('a service with its own platforms is built for one of them, never for a platform it does not list', () => {
    // GIVEN an arm64 machine
    const docker = fakeDocker('linux/arm64, linux/amd64');
    // WHEN every service is built locally
    const r = make(dir, docker.env, 'build-local', 'BUILDX_DRIVER=docker', 'LOCAL_PLATFORM=linux/arm64');
    expect(r.stderr).toBe('');
    // THEN the others get LOCAL_PLATFORM through PLATFORMS, legacy its own amd64, and setup-buildx checks both
    const bake = docker.calls().find(c => c.startsWith('[buildx][bake]'))!;
    expect(bake).toContain('[--set=legacy.platform=linux/amd64]');
    expect(bake).not.toContain('[--set=*.platform');
    expect(r.stdout).toContain('setup-buildx: builder default can build linux/arm64 linux/amd64');
    // and on an amd64 machine legacy is built for amd64 too
    const amd64 = fakeDocker('linux/amd64');
    make(dir, amd64.env, 'run-legacy', 'BUILDX_DRIVER=docker', 'LOCAL_PLATFORM=linux/amd64');
    expect(amd64.calls().find(c => c.startsWith('[buildx][bake]'))).toContain('[--set=legacy.platform=linux/amd64]');
  });

  test('bake sees LOCAL_PLATFORM as PLATFORMS and no index annotations', () => {
    const r = spawnSync('make', ['-n', '-f', 'Makefile', 'build-local', 'BUILDX_DRIVER=docker', 'LOCAL_PLATFORM=linux/arm64'], { cwd: dir, encoding: 'utf8' });
    const line = r.stdout.split('\n').find(l => l.includes('docker buildx bake'))!;
    expect(line).toContain('PLATFORMS="linux/arm64"');
    expect(line).toContain('INDEX_ANNOTATIONS="false"');
  });

  test('run-<service> publishes the port on this machine\'s loopback only', () => {
    const docker = fakeDocker('linux/amd64');
    make(dir, docker.env, 'run-api', 'BUILDX_DRIVER=docker', 'LOCAL_PLATFORM=linux/amd64', 'VERSION=1.0.0', 'RUN_FLAGS=-e LOG_LEVEL=debug');
    expect(docker.calls()).toContain('[run][--rm][-p][127.0.0.1:8080:8080][-e][LOG_LEVEL=debug][ghcr.io/acme/api:1.0.0]');
  });

  test('LOCAL_PLATFORM is one platform: a list is refused before anything runs', () => {
    const docker = fakeDocker('linux/amd64');
    const r = make(dir, docker.env, 'build-local', 'LOCAL_PLATFORM=linux/amd64,linux/arm64');
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/LOCAL_PLATFORM may only hold/);
    expect(docker.calls()).toEqual([]);
  });
});

describe('flags reach bake as written', () => {
  test('a file whose name matches a --set=*... flag does not replace it (no globbing)', () => {
    // GIVEN a file in the project that the flag's "*" would match as a glob
    const dir = project();
    fs.writeFileSync(path.join(dir, '--set=api.args.X=1'), '');
    const docker = fakeDocker('linux/amd64, linux/arm64');
    // WHEN the flag is given to a build
    const r = make(dir, docker.env, 'build-api', 'BUILDX_DRIVER=docker', 'BAKE_FLAGS=--set=*.args.X=1');
    // THEN bake receives the pattern itself
    expect(r.stderr).toBe('');
    const bake = docker.calls().find(c => c.startsWith('[buildx][bake]'))!;
    expect(bake).toContain('[--set=*.args.X=1]');
    expect(bake).not.toContain('[--set=api.args.X=1]');
  });

  test.each(['RUN_FLAGS', 'COSIGN_FLAGS'])('%s, given to commands that would glob, cannot hold "*"', variable => {
    const dir = project();
    const docker = fakeDocker('linux/amd64');
    const r = make(dir, docker.env, 'help', `${variable}=-e X=*`);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(`${variable} may only hold`);
  });
});

describe('ci-build for one platform (a pull-request job per native runner)', () => {
  const dir = project();
  const bakeCall = (calls: string[]) => calls.find(c => c.startsWith('[buildx][bake]'))!;

  test('builds only the services that have PLATFORM, for PLATFORM: an amd64-only service stays off the arm64 runner', () => {
    const docker = fakeDocker('linux/arm64');
    const r = make(dir, docker.env, 'ci-build', 'BUILDX_DRIVER=docker', 'PLATFORMS=linux/arm64', 'PLATFORM=linux/arm64');
    expect(r.stderr).toBe('');
    expect(bakeCall(docker.calls())).toMatch(/\[docker-bake\.hcl\]\[--set=\*\.platform=linux\/arm64\]\[api\]\[ml\]$/);
  });

  test('on the amd64 runner it builds all three, and without PLATFORM every service for every platform', () => {
    const amd64 = fakeDocker('linux/amd64');
    make(dir, amd64.env, 'ci-build', 'BUILDX_DRIVER=docker', 'PLATFORMS=linux/amd64', 'PLATFORM=linux/amd64');
    expect(bakeCall(amd64.calls())).toMatch(/\[--set=\*\.platform=linux\/amd64\]\[api\]\[legacy\]\[ml\]$/);
    const all = fakeDocker('linux/amd64, linux/arm64');
    make(dir, all.env, 'ci-build', 'BUILDX_DRIVER=docker');
    expect(bakeCall(all.calls())).toMatch(/\[docker-bake\.hcl\]\[default\]$/);
  });

  test('a PLATFORM no service builds stops with a message instead of building everything', () => {
    const docker = fakeDocker('linux/s390x');
    const r = make(dir, docker.env, 'ci-build', 'BUILDX_DRIVER=docker', 'PLATFORMS=linux/s390x', 'PLATFORM=linux/ppc64le');
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('ci-build: no service builds linux/ppc64le');
    expect(docker.calls().some(c => c.startsWith('[buildx][bake]'))).toBe(false);
  });
});
