/**
 * The generated Makefile on a Mac: GNU make 3.81 (no .SHELLFLAGS, no ::= or !=) and bash 3.2. Neither
 * can be installed here, so this checks what they lack instead: every Make construct newer than
 * 3.81 and every bash construct newer than 3.2 is looked for in the file and in what each target
 * runs (`make -n`), and failures must stop a target without .SHELLFLAGS. It does not run them.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Project } from 'projen';
import { GoService, MultiArchPipeline } from '../../src';
import { acmeProject, makeDryRun, nephoranProject, newProject, synthToDisk } from '../helpers';

/** GNU make features added after 3.81. */
const MAKE_382 = [
  [/^\s*\.SHELLFLAGS\b|\.SHELLFLAGS\s*:?=/m, '.SHELLFLAGS (3.82)'],
  [/^\s*\.ONESHELL\b/m, '.ONESHELL (3.82)'],
  [/^\s*\.RECIPEPREFIX\b/m, '.RECIPEPREFIX (3.82)'],
  [/::=/, '::= (4.0)'],
  [/^[A-Za-z_][A-Za-z0-9_]*\s*!=/m, '!= (4.0)'],
  [/\$\(file\s/, '$(file ...) (4.0)'],
  [/^\s*undefine\s/m, 'undefine (3.82)'],
  [/^\s*private\s/m, 'private (3.82)'],
  [/\$\(guile\s/, '$(guile ...) (4.0)'],
] as const;

/** bash features added after 3.2 (macOS's /bin/bash). */
const BASH_4 = [
  [/;;&|;&(?!&)/, 'case fall-through ;;& or ;& (4.0)'],
  [/\$\{[A-Za-z_][A-Za-z0-9_]*(,,?|\^\^?)[^}]*\}/, 'case modification ${x,,} ${x^^} (4.0)'],
  [/\b(declare|local|typeset)\s+-[a-zA-Z]*[An]/, 'associative arrays or namerefs (declare -A, -n; 4.x)'],
  [/\b(mapfile|readarray|coproc)\b/, 'mapfile/readarray/coproc (4.0)'],
  [/&>>|\|&/, '&>> or |& (4.0)'],
  [/\bwait\s+-n\b/, 'wait -n (4.3)'],
  [/\$\{?EPOCH(SECONDS|REALTIME)\b/, '$EPOCHSECONDS (5.0)'],
  [/\$\{[^}]*@[QEPAKa]\}/, '${x@Q} transformations (4.4)'],
  [/\[\[\s+-v\b/, '[[ -v ]] (4.2)'],
  [/\bshopt\s+-s\s+(globstar|lastpipe)/, 'globstar/lastpipe (4.x)'],
  [/printf\s+[^|;]*%\([^)]*\)T/, 'printf %(...)T (4.2)'],
  [/\{[0-9]+\.\.[0-9]+\.\.[0-9]+\}|\{0[0-9]+\.\./, 'brace steps or zero padding (4.0)'],
  [/\bread\s+[^|;]*-i\b/, 'read -i (4.0)'],
] as const;

function offenders(text: string, rules: ReadonlyArray<readonly [RegExp, string]>): string[] {
  return rules.filter(([re]) => re.test(text)).map(([, what]) => what);
}

const consumers: Array<[string, () => Project, string]> = [
  ['nephoran', nephoranProject, 'Makefile'],
  ['acme', acmeProject, 'multiarch.mk'],
];

describe.each(consumers)('%s: portable to GNU make 3.81 and bash 3.2', (_, create, makefile) => {
  const project = create();
  synthToDisk(project);
  const dir = project.outdir;
  const text = fs.readFileSync(path.join(dir, makefile), 'utf8');
  const targets = [...text.matchAll(/^([a-z0-9][a-z0-9_.-]*):/gm)].map(m => m[1]);
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('no Make construct newer than 3.81', () => {
    expect(offenders(text, MAKE_382)).toEqual([]);
  });

  test('no bash construct newer than 3.2 in the file', () => {
    expect(offenders(text, BASH_4)).toEqual([]);
  });

  test.each(targets)('no bash construct newer than 3.2 in what make -n %s runs', target => {
    const r = makeDryRun(dir, makefile, target, ['BUILDX_DRIVER=kubernetes']);
    expect(r.status).toBe(0);
    expect(offenders(r.stdout, BASH_4)).toEqual([]);
  });
});

/** A directory with fake tools on PATH: each logs its arguments; `script` says what docker answers. */
function fakeTools(script: string): { bin: string; log: string; env: NodeJS.ProcessEnv } {
  const bin = fs.mkdtempSync(path.join(os.tmpdir(), 'fake-tools-'));
  const log = path.join(bin, 'calls.log');
  // the tools check (prerequisite-checks.test.ts) sees buildx 0.29.1, and is not logged
  fs.writeFileSync(path.join(bin, 'docker'), `#!/bin/bash\n[ "$1 $2" != "buildx version" ] || { echo "github.com/docker/buildx v0.29.1 a8d0c1d"; exit 0; }\necho "docker $*" >> ${log}\n${script}\n`, { mode: 0o755 });
  fs.writeFileSync(path.join(bin, 'cosign'), `#!/bin/bash\necho "cosign $*" >> ${log}\n`, { mode: 0o755 });
  return { bin, log, env: { ...process.env, PATH: `${bin}:${process.env.PATH}` } };
}

describe('failures stop a target without .SHELLFLAGS (as with GNU make 3.81)', () => {
  test('a failing command inside a loop stops build-sbom at once', () => {
    // GIVEN pushed digests, and a syft that fails
    const project = newProject();
    new GoService(project, 'a');
    new GoService(project, 'b');
    synthToDisk(project);
    fs.mkdirSync(path.join(project.outdir, '.multiarch/digests'), { recursive: true });
    for (const s of ['a', 'b']) fs.writeFileSync(path.join(project.outdir, `.multiarch/digests/${s}`), `localhost:5000/${s}@sha256:${'0'.repeat(64)}\n`);
    const tools = fakeTools('');
    fs.writeFileSync(path.join(tools.bin, 'syft'), `#!/bin/bash\necho "syft $*" >> ${tools.log}\nexit 1\n`, { mode: 0o755 });
    // WHEN build-sbom runs, with make's own .SHELLFLAGS left at -c
    const r = spawnSync('make', ['build-sbom', '.SHELLFLAGS=-c'], { cwd: project.outdir, env: tools.env, encoding: 'utf8' });
    // THEN the target fails after the first scan: no other platform or service was scanned
    expect(r.status).not.toBe(0);
    expect(fs.readFileSync(tools.log, 'utf8').trim().split('\n')).toEqual([expect.stringMatching(/^syft scan --platform linux\/amd64 registry:localhost:5000\/a@sha256:0{64} /)]);
  });
});

describe('setup-buildx checks that the builder can build every platform', () => {
  const inspect = (platforms: string) => `case "$1 $2" in "buildx inspect") echo "Name: default"; echo "Platforms: ${platforms}" ;; "context show") echo default ;; esac`;

  test('a missing platform is an error, naming the services that need emulation and how to get it', () => {
    // GIVEN a Python service (it installs on the target platform) and a builder without arm64
    const project = nephoranProject();
    synthToDisk(project);
    const tools = fakeTools(inspect('linux/amd64, linux/amd64/v2, linux/386'));
    // WHEN
    const r = spawnSync('make', ['setup-buildx', 'BUILDX_DRIVER=docker'], { cwd: project.outdir, env: tools.env, encoding: 'utf8' });
    // THEN
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('setup-buildx: builder default cannot run linux/arm64, and rag-api run commands on the target platform.');
    expect(r.stderr).toContain('docker run --privileged --rm tonistiigi/binfmt --install all');
    expect(r.stderr).toContain('BUILDX_DRIVER=kubernetes');
  });

  test('Go services alone need no emulation: a builder without arm64 is fine, and says so', () => {
    const project = newProject();
    new MultiArchPipeline(project);
    new GoService(project, 'api');
    synthToDisk(project);
    const tools = fakeTools(inspect('linux/amd64'));
    const r = spawnSync('make', ['setup-buildx', 'BUILDX_DRIVER=docker'], { cwd: project.outdir, env: tools.env, encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('setup-buildx: builder default has no linux/arm64 emulation; not needed: every service cross-compiles');
  });

  test('the docker driver uses the builder of the current docker context (Docker Desktop, colima), not "default"', () => {
    const project = newProject();
    new GoService(project, 'api');
    synthToDisk(project);
    const tools = fakeTools('case "$1 $2" in "context show") echo desktop-linux ;; "buildx inspect") echo "Platforms: linux/amd64, linux/arm64" ;; esac');
    const r = spawnSync('make', ['setup-buildx', 'build-multiarch', 'BUILDX_DRIVER=docker'], { cwd: project.outdir, env: tools.env, encoding: 'utf8' });
    expect(r.status).toBe(0);
    const calls = fs.readFileSync(tools.log, 'utf8');
    expect(calls).toContain('docker buildx inspect --bootstrap desktop-linux');
    expect(calls).toMatch(/docker buildx bake --builder desktop-linux -f docker-bake\.hcl/);
  });
});

describe('the construct lists find what they look for', () => {
  test.each([
    ['case "$x" in a) ;;& b) ;; esac', 'case fall-through ;;& or ;& (4.0)'],
    ['echo "${name,,}"', 'case modification ${x,,} ${x^^} (4.0)'],
    ['declare -A m', 'associative arrays or namerefs (declare -A, -n; 4.x)'],
    ['cmd |& tee log', '&>> or |& (4.0)'],
    ['echo $EPOCHSECONDS', '$EPOCHSECONDS (5.0)'],
  ])('bash: %s', (line, what) => {
    expect(offenders(line, BASH_4)).toContain(what);
  });

  test.each([
    ['x: .SHELLFLAGS := -eu -c', '.SHELLFLAGS (3.82)'],
    ['X ::= 1', '::= (4.0)'],
    ['X != date', '!= (4.0)'],
  ])('make: %s', (line, what) => {
    expect(offenders(line, MAKE_382)).toContain(what);
  });

  test('a bash 3.2 line passes: ${p#*/} ${node//\\//-} ${node%%-*} $(...) case ;;', () => {
    expect(offenders('node=${p#*/}; node=${node//\\//-}; arch=${node%%-*}; x=$(echo a | tr a b); case "$x" in b) ;; esac', BASH_4)).toEqual([]);
  });
});

describe('an included multiarch.mk keeps the includer\'s default goal', () => {
  const project = acmeProject();
  synthToDisk(project);
  const dir = project.outdir;
  const mk = fs.readdirSync(dir).find(f => f.endsWith('.mk'))!;
  test.each([
    ['at the top', `include ${mk}\n\nall:\n\t@echo includer-default\n`],
    ['at the bottom', `all:\n\t@echo includer-default\n\ninclude ${mk}\n`],
    ['in the middle', `all:\n\t@echo includer-default\n\ninclude ${mk}\n\nother:\n\t@echo other\n`],
  ])('included %s, a plain make runs the includer\'s first target', (_, makefile) => {
    fs.writeFileSync(path.join(dir, 'Includer.mk'), makefile);
    const r = spawnSync('make', ['-f', 'Includer.mk'], { cwd: dir, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('includer-default');
  });

  test('its own targets still run when named', () => {
    fs.writeFileSync(path.join(dir, 'Includer.mk'), `include ${mk}\n\nall:\n\t@echo includer-default\n`);
    const r = spawnSync('make', ['-f', 'Includer.mk', 'multiarch-help'], { cwd: dir, encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('build-multiarch');
  });
});
