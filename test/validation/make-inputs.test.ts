import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { MultiArchPipeline } from '../../src';
import { nephoranProject, synthToDisk } from '../helpers';

/**
 * Values given to the generated Makefile on the command line or in the environment are data, never
 * code: a hostile value stops make before any recipe runs. A fake `docker` (and `git`, `cosign`) on
 * PATH records every call, so a value that got through to a recipe would show.
 */
const project = nephoranProject();
synthToDisk(project);
const dir = project.outdir;
const bin = fs.mkdtempSync(path.join(os.tmpdir(), 'fake-tools-'));
const calls = path.join(bin, 'calls.log');
for (const tool of ['docker', 'cosign', 'syft', 'grype']) {
  fs.writeFileSync(path.join(bin, tool), `#!/bin/sh\necho "${tool} $*" >> "${calls}"\n`, { mode: 0o755 });
}
const pwned = path.join(bin, 'PWNED');

/** make <target> with VAR=value on the command line (or in the environment). */
function make(target: string, name: string, value: string, via: 'command line' | 'environment') {
  fs.rmSync(calls, { force: true });
  const env = { ...process.env, PATH: `${bin}:${process.env.PATH}`, ...(via === 'environment' ? { [name]: value } : {}) };
  const args = ['-f', 'Makefile', target, ...(via === 'command line' ? [`${name}=${value}`] : [])];
  const r = spawnSync('make', args, { cwd: dir, env, encoding: 'utf8' });
  return { status: r.status, stderr: r.stderr, ran: fs.existsSync(calls) ? fs.readFileSync(calls, 'utf8') : '' };
}

// every variable of the Makefile: the contract's and the ones the Go and Python services add
const variables = MultiArchPipeline.of(project)!.variables;
test('the Go and Python services added their secret files to the contract', () => {
  expect(variables.filter(v => v.secretFile).map(v => v.name)).toEqual(['GO_NETRC', 'PIP_CONF', 'PIP_NETRC']);
});
const HOSTILE = [
  `x;touch ${pwned}`,
  `$(shell touch ${pwned})`,
  `\`touch ${pwned}\``,
  `$$(touch ${pwned})`,
  `x && touch ${pwned}`,
  `x|touch ${pwned}`,
  'x"y',
  "x'y",
  'x#y',
  'x>y',
  'x\\y',
  '${HOME}',
];

describe.each(['command line', 'environment'] as const)('a hostile value from the %s stops make before any recipe runs', via => {
  const cases = variables.flatMap(v => HOSTILE.filter(h => !(v.grammar.characters.includes(' ') && /^x (&&|\|)/.test(h))).map(h => [v.name, h] as const));
  test.each(cases)('%s=%j', (name, value) => {
    // WHEN the value reaches a target that runs docker
    const r = make('build-multiarch', name, value, via);
    // THEN make stops at parse time, naming the variable and what it may hold, and nothing ran
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`\\*\\*\\* ${name} may only hold [^;]+; not "`));
    expect(r.ran).toBe('');
    expect(fs.existsSync(pwned)).toBe(false);
  });
});

describe('the grammar of each input', () => {
  test.each(variables.filter(v => !v.grammar.flags).map(v => [v.name]))('%s may not start with "-" (it would read as an option)', name => {
    const r = make('build-multiarch', name, '--output=type=local', 'command line');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`\\*\\*\\* ${name} (must not start with "-", which would read as an option|may only hold)`));
    expect(r.ran).toBe('');
  });

  test.each(variables.filter(v => v.grammar.required).map(v => [v.name]))('%s must not be empty', name => {
    const r = make('build-multiarch', name, '', 'command line');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`*** ${name} must not be empty.`);
  });

  test.each([
    ['PUSH', 'yes', 'PUSH must be true or false, not "yes"'],
    ['PUSH', 'TRUE', 'PUSH may only hold lowercase letters and "-"; not "TRUE"'],
    ['BUILDX_DRIVER', 'podman', 'BUILDX_DRIVER must be docker, docker-container, kubernetes or remote, not "podman"'],
    ['SCAN_SEVERITY', 'severe', 'SCAN_SEVERITY must be negligible, low, medium, high or critical, not "severe"'],
  ])('%s=%j is not one of its values', (name, value, message) => {
    const r = make('build-multiarch', name, value, 'command line');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(message);
  });

  test('real values pass: the recipes run with them, quoted', () => {
    const good = ['VERSION=1.2.3-rc.1', 'REGISTRY=registry.example:5000/team/app', 'PLATFORMS=linux/amd64,linux/arm/v7', 'CACHE_REGISTRY=ghcr.io/acme/cache',
      'BAKE_FLAGS=--no-cache --set=*.platform=linux/arm64', 'COSIGN_KEY=awskms:///arn:aws:kms:eu-west-1:1:key/k', 'GO_NETRC=/home/ci/.netrc', 'METADATA_FILES=/tmp/a.json /tmp/b.json',
      'SOURCE_DATE_EPOCH=1700000000', 'BUILD_DATE=2023-11-14T22:13:20Z', 'VCS_REF=0a1b2c3', 'BUILDX_DRIVER=docker', 'PUSH=true'];
    const r = spawnSync('make', ['-n', '-f', 'Makefile', 'build-multiarch', ...good], { cwd: dir, encoding: 'utf8', env: { ...process.env, PATH: `${bin}:${process.env.PATH}` } });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('REGISTRY="registry.example:5000/team/app" VERSION="1.2.3-rc.1" PLATFORMS="linux/amd64,linux/arm/v7"');
    expect(r.stdout).toMatch(/-f \/tmp\/a\.json -f \/tmp\/b\.json .* +--no-cache --set=\*\.platform=linux\/arm64/);
  });

  test.each([
    ['/home/ci/.netrc', '/home/ci/.netrc'],
    // zsh (macOS) passes VAR=~/x to make as written, and buildx expands no "~"
    ['~/.netrc', `${os.homedir()}/.netrc`],
    ['secrets/netrc', `${dir}/secrets/netrc`],
  ])('GO_NETRC=%s reaches bake as an absolute path on the command line, for every target that mounts it (buildx >= 0.20 grants those without asking)', (given, absolute) => {
    const r = spawnSync('make', ['-n', '-f', 'Makefile', 'build-multiarch', `GO_NETRC=${given}`], { cwd: dir, encoding: 'utf8', env: { ...process.env, HOME: os.homedir(), PATH: `${bin}:${process.env.PATH}` } });
    expect(r.status).toBe(0);
    const bake = r.stdout.split('\n').find(l => l.includes('docker buildx bake'))!;
    for (const target of ['llm-processor', 'nephio-bridge', 'oran-adaptor', '_go-deps']) expect(bake).toContain(`'--set=${target}.secrets=id=netrc,src=${absolute}'`);
    expect(bake).not.toContain('rag-api.secrets');
  });

  test('without GO_NETRC, no secret reaches bake\'s command line', () => {
    const r = spawnSync('make', ['-n', '-f', 'Makefile', 'build-multiarch'], { cwd: dir, encoding: 'utf8', env: { ...process.env, PATH: `${bin}:${process.env.PATH}` } });
    expect(r.stdout).not.toContain('.secrets=');
  });

  test('the defaults of the Makefile itself (git describe, the commit time) are not inputs and are not checked', () => {
    const r = spawnSync('make', ['-n', '-f', 'Makefile', 'build-multiarch'], { cwd: dir, encoding: 'utf8', env: { ...process.env, PATH: `${bin}:${process.env.PATH}` } });
    expect(r.status).toBe(0);
  });
});
