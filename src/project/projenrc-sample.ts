import * as fs from 'fs';
import * as path from 'path';
import { PROJEN_MARKER } from 'projen/lib/common';
import { RESERVED_SERVICE_NAMES } from '../contract/internal';

/** The names `npx projen new` would give the generated files the user may already own. */
const MAKEFILE = 'Makefile';
const BAKE_FILES = ['docker-bake.hcl', 'docker-bake.json', 'docker-bake.override.hcl'];
const SERVICE_NAME = /^[a-z0-9]+(?:[-_][a-z0-9]+)*$/;

/** A Go main package found in the repository, and the service `.projenrc.ts` declares for it. */
export interface DetectedGoService {
  /** The service name (a valid one, derived from the directory). */
  readonly name: string;
  /** `./cmd/<dir>`, or `.` for a main package in the module root. */
  readonly mainPackage: string;
}

/** What the first `.projenrc.ts` is written from: the repository as `projen new` found it. */
export interface RepositoryLayout {
  /** The repository has a go.mod in its root. */
  readonly goModule: boolean;
  /** One entry per Go main package under `cmd/` (or the root's, when there is no `cmd/`). */
  readonly goServices: DetectedGoService[];
  /** A Makefile that projen did not write: the generated one goes to `multiarch.mk`. */
  readonly ownMakefile: boolean;
  /** A bake file that projen did not write: the generated one gets another name. */
  readonly ownBakeFile?: string;
}

/** Reads the repository in `dir` (nothing is written). */
export function detectLayout(dir: string): RepositoryLayout {
  const goModule = fs.existsSync(path.join(dir, 'go.mod'));
  return {
    goModule,
    goServices: goModule ? detectGoServices(dir) : [],
    ownMakefile: isUserFile(path.join(dir, MAKEFILE)),
    ownBakeFile: BAKE_FILES.find(f => isUserFile(path.join(dir, f))),
  };
}

/** True when `file` exists and does not carry projen's marker. */
export function isUserFile(file: string): boolean {
  if (!fs.existsSync(file) || !fs.statSync(file).isFile()) return false;
  return !fs.readFileSync(file, 'utf-8').includes(PROJEN_MARKER);
}

function detectGoServices(dir: string): DetectedGoService[] {
  const cmd = path.join(dir, 'cmd');
  if (fs.existsSync(cmd) && fs.statSync(cmd).isDirectory()) {
    const dirs = fs.readdirSync(cmd, { withFileTypes: true })
      .filter(e => e.isDirectory() && isMainPackage(path.join(cmd, e.name)))
      .map(e => e.name)
      .sort();
    const taken = new Set<string>();
    return dirs.map(d => ({ name: uniqueName(serviceName(d), taken), mainPackage: `./cmd/${d}` }));
  }
  if (isMainPackage(dir)) {
    return [{ name: serviceName(moduleBaseName(dir) ?? path.basename(path.resolve(dir))), mainPackage: '.' }];
  }
  return [];
}

/** A directory with a non-test .go file that declares `package main`. */
function isMainPackage(dir: string): boolean {
  return fs.readdirSync(dir).some(f => f.endsWith('.go') && !f.endsWith('_test.go')
    && fs.statSync(path.join(dir, f)).isFile()
    && /^\s*package\s+main\b/m.test(fs.readFileSync(path.join(dir, f), 'utf-8')));
}

function moduleBaseName(dir: string): string | undefined {
  const match = /^\s*module\s+("?)([^\s"]+)\1/m.exec(fs.readFileSync(path.join(dir, 'go.mod'), 'utf-8'));
  return match ? match[2].split('/').filter(p => !/^v\d+$/.test(p)).pop() : undefined;
}

/** A valid service name from a directory name: lower case, other characters become `-`. */
function serviceName(dir: string): string {
  let name = dir.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 59) || 'app';
  if (RESERVED_SERVICE_NAMES.includes(name)) name = `${name}-svc`;
  return SERVICE_NAME.test(name) ? name : 'app';
}

function uniqueName(name: string, taken: Set<string>): string {
  let unique = name;
  for (let i = 2; taken.has(unique); i++) unique = `${name}-${i}`;
  taken.add(unique);
  return unique;
}

/** Options of the project type that `projen new` passed on and the sample keeps. */
export interface SampleProjectOptions {
  readonly name: string;
  readonly devDeps?: string[];
}

/** The first `.projenrc.ts`: the project, a pipeline and one service per main package found. */
export function renderProjenrc(layout: RepositoryLayout, options: SampleProjectOptions): string {
  const lines = [
    "import { GoService, MultiArchPipeline, MultiArchProject } from 'projen-multiarch';",
    '',
    'const project = new MultiArchProject({',
    `  name: ${quote(options.name)},`,
    ...(options.devDeps?.length ? [`  devDeps: [${options.devDeps.map(quote).join(', ')}],`] : []),
    '});',
    '',
    ...renderPipeline(layout),
    '',
    ...renderServices(layout),
    '',
    'project.synth();',
    '',
  ];
  return lines.join('\n');
}

function renderPipeline(layout: RepositoryLayout): string[] {
  const lines = ['// `npx projen` writes the Dockerfiles, the bake file and the Makefile (`make help` lists its targets).'];
  const options = ['  registry: \'localhost:5000\', // where `make build-multiarch PUSH=true` pushes: e.g. \'ghcr.io/<you>\''];
  if (layout.ownMakefile) {
    lines.push('// Your Makefile stays yours: the generated targets go to multiarch.mk. Add this line to your Makefile:');
    lines.push('//   include multiarch.mk');
    options.push("  makefile: 'multiarch.mk',");
  }
  if (layout.ownBakeFile) {
    lines.push(`// Your ${layout.ownBakeFile} stays yours: the generated bake file is docker-bake.multiarch.hcl.`);
    options.push("  bakeFile: 'docker-bake.multiarch.hcl',");
  }
  return [...lines, 'new MultiArchPipeline(project, {', ...options, '});'];
}

function renderServices(layout: RepositoryLayout): string[] {
  if (layout.goServices.length > 0) {
    return [
      '// One service per Go main package found (see the README for ports, build tags, cgo, Python services).',
      ...layout.goServices.map(s => `new GoService(project, ${quote(s.name)}${serviceOptions(s)});`),
    ];
  }
  return [
    layout.goModule
      ? '// No main package was found under cmd/: a service builds ./cmd/<name> unless `mainPackage` says otherwise.'
      : '// A Go service in ./cmd/api of the module in go.mod (create both, e.g. `go mod init example.com/app`).',
    "new GoService(project, 'api', { port: 8080 });",
    "// new PythonService(project, 'worker', { directory: 'worker' }); // import PythonService from 'projen-multiarch'",
  ];
}

function serviceOptions(s: DetectedGoService): string {
  return s.mainPackage === `./cmd/${s.name}` ? '' : `, { mainPackage: ${quote(s.mainPackage)} }`;
}

function quote(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, '\\\'')}'`;
}
