/**
 * What the Makefile checks before it runs anything (issue #23): the tools (`check-tools`: docker, and a
 * buildx new enough), and that the files synthesis read have not changed since (`check-inputs`). The
 * generated helper runs for real, with fake `docker` commands on PATH and files edited after synthesis.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { GoService, MultiArchPipeline, Platform, PythonService } from '../../src';
import { helperScript } from '../../src/components/pipeline-script';
import { recordInput } from '../../src/components/synthesis-inputs';
import { newProject, synthToDisk } from '../helpers';

const BASH = spawnSync('bash', ['-c', 'command -v bash'], { encoding: 'utf8' }).stdout.trim();

/** A directory holding a fake `docker` whose `docker buildx version` runs `buildx` (shell), or no docker at all. */
function fakeDocker(buildx?: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fake-docker-'));
  if (buildx !== undefined) {
    fs.writeFileSync(path.join(dir, 'docker'), `#!/bin/sh\nif [ "$1 $2" = "buildx version" ]; then ${buildx}; fi\nexit 0\n`, { mode: 0o755 });
  }
  return dir;
}

/** Runs a command of the helper script in `cwd` with this PATH (bash itself is found by its full path). */
function helper(cwd: string, args: string[], env: NodeJS.ProcessEnv = process.env) {
  const r = spawnSync(BASH, [path.join(cwd, 'multiarch.sh'), ...args], { cwd, env, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('check-tools: docker and buildx, before anything runs them', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'check-tools-'));
  fs.writeFileSync(path.join(dir, 'multiarch.sh'), helperScript('marker'));
  const withPath = (bin: string) => helper(dir, ['check-tools'], { PATH: bin });

  test('no docker on PATH: says to install Docker 26.1 or newer, exit 127', () => {
    // GIVEN a PATH without docker
    // WHEN the tools are checked
    const r = withPath(fakeDocker());
    // THEN the message names what is missing and the version needed
    expect(r).toEqual({ status: 127, stdout: '', stderr: 'docker is not installed (or not on PATH): install Docker 26.1 or newer, with the buildx plugin 0.13 or newer\n' });
  });

  test('docker without the buildx plugin: says to install buildx 0.13 or newer, exit 127', () => {
    // GIVEN a docker that knows no buildx command (as docker says: "'buildx' is not a docker command")
    const r = withPath(fakeDocker('echo "docker: \'buildx\' is not a docker command." >&2; exit 1'));
    // THEN
    expect(r.status).toBe(127);
    expect(r.stderr).toMatch(/^docker buildx is missing: install the buildx plugin 0\.13 or newer \(Debian, Ubuntu: apt-get install docker-buildx; Alpine: apk add docker-cli-buildx/);
  });

  test('buildx 0.12.1: too old, 0.13 or newer is needed, exit 1', () => {
    // GIVEN Docker's buildx 0.12.1 ("github.com/docker/buildx v0.12.1 <commit>")
    const r = withPath(fakeDocker('echo "github.com/docker/buildx v0.12.1 30feaa1"'));
    // THEN
    expect(r.status).toBe(1);
    expect(r.stderr).toBe('buildx 0.12.1 is too old: 0.13 or newer is needed (docker buildx version says: github.com/docker/buildx v0.12.1 30feaa1)\n');
  });

  test.each([
    ['Docker\'s buildx 0.29.1', 'github.com/docker/buildx v0.29.1 a8d0c1d'],
    ['Debian\'s buildx 0.13.1 (no "v", a +ds1 suffix)', 'github.com/docker/buildx 0.13.1+ds1 0.13.1+ds1-3'],
    ['Docker Desktop\'s buildx 0.13.0-desktop.1', 'github.com/docker/buildx v0.13.0-desktop.1 abc123'],
    ['a buildx 1.0', 'github.com/docker/buildx v1.0.0 abc123'],
  ])('%s passes in silence', (_, version) => {
    const r = withPath(fakeDocker(`echo "${version}"`));
    expect(r).toEqual({ status: 0, stdout: '', stderr: '' });
  });

  test('a version it cannot read: says so, and goes on (buildx itself decides)', () => {
    const r = withPath(fakeDocker('echo "buildx (unknown version)"'));
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('check-tools: cannot read the buildx version from "buildx (unknown version)"; 0.13 or newer is needed\n');
  });
});

describe('check-inputs: the files synthesis read have not changed since', () => {
  /** A Go and a Python service synthesized to disk from the files as they are. */
  function synthesized(files: { [file: string]: string }) {
    const project = newProject();
    for (const [file, text] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(project.outdir, file)), { recursive: true });
      fs.writeFileSync(path.join(project.outdir, file), text);
    }
    new MultiArchPipeline(project, { platforms: [Platform.LINUX_AMD64] });
    new GoService(project, 'api');
    new PythonService(project, 'ml', { directory: 'ml' });
    synthToDisk(project);
    const dir = project.outdir;
    return {
      dir,
      edit: (file: string, text: string) => fs.writeFileSync(path.join(dir, file), text),
      check: (env: NodeJS.ProcessEnv = {}) => helper(dir, ['check-inputs'], { ...process.env, ...env }),
    };
  }
  const GO_MOD = 'module example.org/app\n\ngo 1.24\n\nrequire golang.org/x/text v0.20.0\n';
  const REQUIREMENTS = 'flask==3.0.0\n';

  test('unchanged files pass in silence', () => {
    const p = synthesized({ 'go.mod': GO_MOD, 'ml/requirements.txt': REQUIREMENTS });
    expect(p.check()).toEqual({ status: 0, stdout: '', stderr: '' });
  });

  test('a local replace added to go.mod stops the build, naming go.mod and npx projen', () => {
    // GIVEN a synthesized Go service
    const p = synthesized({ 'go.mod': GO_MOD, 'ml/requirements.txt': REQUIREMENTS });
    // WHEN go.mod gets a local replace, without npx projen
    p.edit('go.mod', `${GO_MOD}\nreplace example.org/lib => ./lib\n`);
    // THEN
    expect(p.check()).toEqual({
      status: 1,
      stdout: '',
      stderr: 'go.mod changed since the files were generated: run npx projen (the generated files follow its go, toolchain and replace lines)\n',
    });
  });

  test.each([
    ['the go line', GO_MOD.replace('go 1.24', 'go 1.25')],
    ['a toolchain line', `${GO_MOD}toolchain go1.25.1\n`],
    ['a replace block', `${GO_MOD}replace (\n\texample.org/lib => ./lib\n)\n`],
  ])('go.mod: %s changed is a change', (_, text) => {
    const p = synthesized({ 'go.mod': GO_MOD, 'ml/requirements.txt': REQUIREMENTS });
    p.edit('go.mod', text);
    expect(p.check().status).toBe(1);
  });

  test.each([
    ['a dependency bump', GO_MOD.replace('v0.20.0', 'v0.21.0')],
    ['a new requirement of a module whose path ends in "go"', `${GO_MOD}require github.com/aws/aws-sdk-go v1.55.0\n`],
    ['a comment', `// the app\n${GO_MOD}`],
  ])('go.mod: %s is not (the generated files do not follow it)', (_, text) => {
    const p = synthesized({ 'go.mod': GO_MOD, 'ml/requirements.txt': REQUIREMENTS });
    p.edit('go.mod', text);
    expect(p.check()).toEqual({ status: 0, stdout: '', stderr: '' });
  });

  test('a go.work and a vendor tree that appear, each named', () => {
    const p = synthesized({ 'go.mod': GO_MOD, 'ml/requirements.txt': REQUIREMENTS });
    p.edit('go.work', 'go 1.24\n\nuse .\n');
    fs.mkdirSync(path.join(p.dir, 'vendor'));
    p.edit('vendor/modules.txt', '# golang.org/x/text v0.20.0\n');
    expect(p.check()).toEqual({
      status: 1,
      stdout: '',
      stderr: 'go.work was created since the files were generated: run npx projen\nvendor/modules.txt was created since the files were generated: run npx projen\n',
    });
  });

  test('requirements: pinned hashes added is a change; a version bump without hashes is not', () => {
    const p = synthesized({ 'go.mod': GO_MOD, 'ml/requirements.txt': REQUIREMENTS });
    p.edit('ml/requirements.txt', 'flask==3.1.0\n');
    expect(p.check().status).toBe(0);
    p.edit('ml/requirements.txt', 'flask==3.1.0 --hash=sha256:0123\n');
    expect(p.check()).toEqual({
      status: 1,
      stdout: '',
      stderr: 'ml/requirements.txt changed since the files were generated: run npx projen (the generated files follow its --hash lines)\n',
    });
  });

  test('SKIP_INPUT_CHECK=true builds anyway, and says so', () => {
    const p = synthesized({ 'go.mod': GO_MOD, 'ml/requirements.txt': REQUIREMENTS });
    p.edit('go.mod', `${GO_MOD}replace example.org/lib => ./lib\n`);
    expect(p.check({ SKIP_INPUT_CHECK: 'true' })).toEqual({
      status: 0,
      stdout: '',
      stderr: 'check-inputs: skipped (SKIP_INPUT_CHECK=true): the generated files may not follow the files they were generated from\n',
    });
  });

  test('a project synthesized before its code: the files that appear later are named', () => {
    const p = synthesized({});
    p.edit('go.mod', GO_MOD);
    const r = p.check();
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('go.mod was created since the files were generated: run npx projen\n');
  });
});

describe('the recorded digest is the one the helper computes (grep -E on the bytes, in the C locale)', () => {
  const input = { path: 'go.mod', linesStartingWith: ['go', 'toolchain'], linesContaining: ['=>'] };
  test.each([
    ['Windows line ends', 'module m\r\n\r\ngo 1.24\r\nreplace a => ./a\r\n'],
    ['no final newline', 'module m\n\ngo 1.24'],
    ['tabs and spaces before the directive', 'module m\n\t go\t1.24\n  toolchain go1.25.1\n'],
    ['bytes that are not UTF-8', 'module m\n// caf\xe9\ngo 1.24 // \xff\xfe\nreplace a => ./\xe9\n'],
    ['an empty file', ''],
    ['no selected line', 'module m\n'],
  ])('%s', (_, text) => {
    // GIVEN a file with those bytes, recorded at synthesis
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'digest-'));
    fs.writeFileSync(path.join(dir, 'go.mod'), Buffer.from(text, 'latin1'));
    const recorded = recordInput(dir, input);
    fs.writeFileSync(path.join(dir, 'multiarch.sh'), helperScript('marker', [recorded]));
    // WHEN the helper compares the same file
    // THEN it finds it unchanged
    expect(helper(dir, ['check-inputs'])).toEqual({ status: 0, stdout: '', stderr: '' });
  });

  test('the selections are validated: no pattern syntax, no presence together with lines', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'digest-'));
    expect(() => recordInput(dir, { path: 'go.mod', linesContaining: ['a|b'] })).toThrow(/synthesisInputs linesContaining.*may only hold letters, digits/);
    expect(() => recordInput(dir, { path: 'go.mod', linesStartingWith: ['go.'] })).toThrow(/synthesisInputs linesStartingWith/);
    expect(() => recordInput(dir, { path: 'go.mod', presenceOnly: true, linesContaining: ['=>'] })).toThrow(/presenceOnly/);
    expect(() => recordInput(dir, { path: '../go.mod' })).toThrow(/synthesisInputs path/);
  });
});

describe('the Makefile runs the checks first, only where they are needed', () => {
  const project = newProject();
  fs.writeFileSync(path.join(project.outdir, 'go.mod'), 'module example.org/app\n\ngo 1.24\n');
  new MultiArchPipeline(project, { platforms: [Platform.LINUX_AMD64] });
  new GoService(project, 'api');
  synthToDisk(project);
  const dir = project.outdir;
  /** PATH without any docker, with a fake one first when given. */
  const pathWithout = (fake?: string) => [...(fake ? [fake] : []), ...(process.env.PATH ?? '').split(':')
    .filter(d => d && !fs.existsSync(path.join(d, 'docker')))].join(':');
  const make = (args: string[], env: NodeJS.ProcessEnv = {}) => {
    const r = spawnSync('make', args, { cwd: dir, env: { ...process.env, ...env }, encoding: 'utf8' });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  };

  test('without docker, make build-multiarch says what to install, and runs nothing else', () => {
    // GIVEN a machine without docker
    // WHEN a build is asked for
    const r = make(['build-multiarch'], { PATH: pathWithout() });
    // THEN the first failure is the tools check, and no docker command was tried
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^docker is not installed \(or not on PATH\): install Docker 26\.1 or newer, with the buildx plugin 0\.13 or newer\nmake: \*\*\* \[Makefile:\d+: check-tools\] Error 127\n$/);
    expect(r.stdout + r.stderr).not.toMatch(/command not found/);
  });

  test('with buildx 0.12.1, make ci-build says it is too old', () => {
    const fake = fakeDocker('echo "github.com/docker/buildx v0.12.1 30feaa1"');
    const r = make(['ci-build'], { PATH: pathWithout(fake) });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^buildx 0\.12\.1 is too old: 0\.13 or newer is needed/);
  });

  test('a stale go.mod stops make build-multiarch before the tools check', () => {
    // GIVEN go.mod changed after synthesis, and no docker at all
    fs.appendFileSync(path.join(dir, 'go.mod'), 'replace example.org/lib => ./lib\n');
    try {
      // WHEN
      const r = make(['build-multiarch'], { PATH: pathWithout() });
      // THEN the stale input is the message, first and alone
      expect(r.stderr).toMatch(/^go\.mod changed since the files were generated: run npx projen .*\nmake: \*\*\* \[Makefile:\d+: check-inputs\] Error 1\n$/);
    } finally {
      fs.writeFileSync(path.join(dir, 'go.mod'), 'module example.org/app\n\ngo 1.24\n');
    }
  });

  test('make help needs neither docker nor current inputs', () => {
    fs.appendFileSync(path.join(dir, 'go.mod'), 'replace example.org/lib => ./lib\n');
    try {
      const r = make(['help'], { PATH: pathWithout() });
      expect(r.status).toBe(0);
      expect(r.stdout).toMatch(/check-tools +Check that docker and buildx 0\.13 or newer are installed/);
    } finally {
      fs.writeFileSync(path.join(dir, 'go.mod'), 'module example.org/app\n\ngo 1.24\n');
    }
  });

  test.each([
    ['build-multiarch', ['check-inputs', 'check-tools', 'setup-buildx']],
    ['build-api', ['check-inputs', 'check-tools', 'setup-buildx']],
    ['build-local', ['check-inputs', 'check-tools', 'setup-buildx']],
    ['ci-push', ['check-inputs', 'check-tools', 'setup-buildx']],
    ['setup-buildx', ['check-tools']],
    ['build-verify', ['check-tools']],
    ['ci-publish', ['check-tools']],
    ['build-sbom', []],
  ])('make %s runs %j first', (target, first) => {
    // make -d would be noisy: -n prints each recipe, and the helper commands name themselves
    const r = make(['-n', target]);
    const checks = [...r.stdout.matchAll(/bash multiarch\.sh (check-inputs|check-tools|setup-buildx)/g)].map(m => m[1]);
    expect(checks.slice(0, first.length)).toEqual(first);
    if (!first.length) expect(checks).toEqual([]);
  });
});
