import * as fs from 'fs';
import * as path from 'path';
import { Component, DependencyType, InitProject, Project, ProjectOptions, javascript, typescript } from 'projen';
import { detectLayout, isUserFile, renderProjenrc } from './projenrc-sample';
import { cleanupWouldDelete, generatedBefore } from '../components/generated-file';
import { MultiArchPipeline } from '../components/pipeline';
import { METADATA_DIR, SBOM_DIR } from '../contract/internal';

/**
 * The versions the first `package.json` pins: the projen and constructs this library is built
 * against (its peer dependencies), and what runs `.projenrc.ts`. Not part of the public API.
 */
export const BOOTSTRAP_DEV_DEPS = [
  'projen@>=0.103.0 <0.104.0',
  'constructs@^10.8.1',
  'ts-node@^10.9.2',
  'typescript@^6.0.3',
];

const LIBRARY = 'projen-multiarch';
const PROJENRC = '.projenrc.ts';
const TSCONFIG = 'tsconfig.projen.json';
/** What the package.json of `npm install <x>` in a directory without one holds. */
const NPM_INSTALL_KEYS = ['dependencies', 'devDependencies'];

export interface MultiArchProjectOptions extends ProjectOptions {
  /**
   * Development dependencies of the project (`name`, `name@version` or the path of a packed
   * `projen-multiarch` tarball), added to the ones `.projenrc.ts` needs (projen, constructs,
   * ts-node, typescript, and projen-multiarch: at the version package.json has, unless named here).
   * A tarball inside the project is named by its path relative to the project (`file:./…`).
   * @default []
   */
  readonly devDeps?: string[];
}

/**
 * A project whose `.projenrc.ts` declares multi-arch images, for any repository: a Go or Python
 * one, empty or not, with or without a package.json.
 *
 * `npx projen new --from projen-multiarch` writes a `.projenrc.ts` with a `MultiArchPipeline`
 * and one `GoService` per main package under `cmd/` (a Makefile or bake file of your own is
 * kept: the generated ones get other names), a `package.json` with what runs it (projen,
 * constructs, ts-node, typescript, this library) and installs them. Nothing of Node.js is generated
 * beyond that and the `tsconfig.projen.json` ts-node reads: no build, lint or test setup. A
 * `.gitignore` or `.gitattributes` that projen did not write stays as it is (synthesis says what to
 * add to the `.gitignore`: `/node_modules/`, and the pipeline's `/.multiarch/` and `/sbom/`); one
 * that replaced the file an earlier synthesis wrote stops synthesis until its line is removed from
 * `.projen/files.json` (projen's cleanup would delete it). A `package.json` of your own stays too
 * (add the development dependencies it lists).
 *
 * @pjid multiarch
 */
export class MultiArchProject extends Project {
  /**
   * The package.json, when this project writes it (none when the repository has its own).
   */
  public readonly package?: javascript.NodePackage;
  /** The `.projenrc.ts` component. */
  public readonly projenrc: typescript.ProjenrcTs;

  constructor(options: MultiArchProjectOptions) {
    super({ ...options, projenrcJson: false });
    const outdir = this.outdir;
    this.keepUserFile('.gitignore');
    this.keepUserFile('.gitattributes');

    const userDeps = (options.devDeps ?? []).map(d => tarballSpec(this.outdir, d));
    const devDeps = [...BOOTSTRAP_DEV_DEPS, ...libraryDep(outdir, userDeps), ...userDeps];
    if (ownPackageJson(outdir)) {
      this.logger.warn(`package.json was not written by projen: it stays as it is. ${PROJENRC} needs these development dependencies: npm install --save-dev ${devDeps.map(d => `'${d}'`).join(' ')}`);
      for (const dep of devDeps) this.deps.addDependency(dep, DependencyType.DEVENV);
    } else {
      this.package = new ProjectPackage(this, {
        packageManager: javascript.NodePackageManager.NPM,
        entrypoint: '',
        devDeps,
      });
      this.package.addField('private', true);
      // nothing here is published
      this.package.file.addDeletionOverride('publishConfig');
      this.package.file.addDeletionOverride('license');
      this.addGitIgnore('/node_modules/');
    }

    // before ProjenrcTs, whose own first .projenrc.ts would have only the project in it
    new FirstProjenrc(this, options);
    this.projenrc = new typescript.ProjenrcTs(this, { filename: PROJENRC, tsconfigFileName: TSCONFIG });
    this.projenrc.tsconfig.file.addOverride('compilerOptions', {
      target: 'ES2022',
      module: 'node16',
      moduleResolution: 'node16',
      strict: true,
      skipLibCheck: true,
      noEmit: true,
    });
    // ts-node from the project's own node_modules (the PATH of every task has its .bin), not `npx -p`
    this.tasks.addEnvironment('PATH', '$(npx -c "node --print process.env.PATH")');
    this.defaultTask!.reset(`ts-node --project ${TSCONFIG} ${PROJENRC}`);
  }

  /**
   * Called before all components are synthesized: a `.gitignore` of the repository's own is told
   * what it lacks (`node_modules`, and with a pipeline what its targets write: pushed digests, SBOMs).
   */
  public preSynthesize(): void {
    super.preSynthesize();
    const needed = ['/node_modules/'];
    if (MultiArchPipeline.of(this)) needed.push(`/${METADATA_DIR}/`, `/${SBOM_DIR}/`);
    const file = path.join(this.outdir, '.gitignore');
    if (!this.tryFindFile('.gitignore') && isUserFile(file)) {
      const missing = missingIgnorePatterns(fs.readFileSync(file, 'utf-8'), needed);
      if (missing.length > 0) {
        this.logger.warn(`.gitignore was not written by projen: it stays as it is. Add to it: ${missing.join(' ')}`);
      }
    }
  }

  /**
   * Keeps `file` when the repository has one that projen did not write: projen's is not written.
   * When an earlier synthesis wrote it (`.projen/files.json` lists it), projen's cleanup would
   * delete the repository's one: refused, as for the pipeline's files (see refuseCleanupOfOwnFiles),
   * before anything is written.
   */
  private keepUserFile(file: string) {
    if (!isUserFile(path.join(this.outdir, file))) return;
    if (generatedBefore(this.outdir).includes(file)) throw cleanupWouldDelete(file);
    this.tryRemoveFile(file);
  }
}

/**
 * The `needed` patterns (`/dir/`) a .gitignore has no equivalent of: `dir`, `dir/`, `/dir`,
 * `**\/dir`, `dir/**` … each ignore the directory (a pattern without the leading slash at any depth).
 */
function missingIgnorePatterns(gitignore: string, needed: string[]): string[] {
  const normal = (pattern: string) => pattern.trim().replace(/^\*\*\//, '').replace(/^\//, '').replace(/\/\*\*$/, '').replace(/\/$/, '');
  const present = new Set(gitignore.split('\n').map(normal));
  return needed.filter(n => !present.has(normal(n)));
}

/**
 * The package.json, installed with `npm install` while there is no package-lock.json: projen
 * installs with `npm ci` whenever `CI` is set, and `npm ci` refuses to run without a lockfile, so
 * `projen new` (which has not written one yet) would fail in every CI job.
 */
class ProjectPackage extends javascript.NodePackage {
  protected installDependencies(trigger: javascript.InstallTrigger): void {
    if (fs.existsSync(path.join(this.project.outdir, 'package-lock.json'))) {
      super.installDependencies(trigger);
    } else {
      this.project.tasks.runTask(this.installTask.name);
    }
  }
}

/** Writes the first `.projenrc.ts` when `projen new` creates the project. */
class FirstProjenrc extends Component {
  constructor(project: Project, private readonly options: MultiArchProjectOptions) {
    super(project);
  }

  public projectCreation(_initProject: InitProject): void {
    const file = path.join(this.project.outdir, PROJENRC);
    if (fs.existsSync(file)) return;
    const layout = detectLayout(this.project.outdir);
    // `projen new --from projen-multiarch` passes the library as a devDep: the project adds it anyway
    const devDeps = this.options.devDeps?.map(d => tarballSpec(this.project.outdir, d)).filter(d => d !== LIBRARY);
    fs.writeFileSync(file, renderProjenrc(layout, { name: this.options.name, devDeps }));
    this.project.logger.info(`${PROJENRC} was written: ${layout.goServices.length} Go service(s) found; run "npx projen" to generate the files.`);
  }
}

/**
 * A path to a packed projen-multiarch tarball becomes `projen-multiarch@file:<path>`; an absolute
 * path inside the project becomes relative to it (`file:./third_party/…`), so the project installs
 * on another machine or a CI runner too (an absolute path elsewhere is only this machine's).
 */
function tarballSpec(outdir: string, spec: string): string {
  const named = /^((?:@[^/@]+\/)?[^/@]+)@file:(.+)$/.exec(spec);
  const [name, file] = named ? [named[1], named[2]] : [LIBRARY, /\.tgz$/.test(spec) ? spec : undefined];
  return file === undefined ? spec : `${name}@file:${inProject(outdir, file) ?? file}`;
}

/** `./<relative path>` of an absolute `file` inside `outdir` (either side may be a symbolic link), else undefined. */
function inProject(outdir: string, file: string): string | undefined {
  if (!path.isAbsolute(file)) return undefined;
  const real = (p: string) => (fs.existsSync(p) ? fs.realpathSync(p) : path.resolve(p));
  for (const [dir, f] of [[path.resolve(outdir), path.resolve(file)], [real(outdir), real(file)]]) {
    const rel = path.relative(dir, f);
    if (rel && !rel.startsWith('..') && !path.isAbsolute(rel)) return `./${rel.split(path.sep).join('/')}`;
  }
  return undefined;
}

/**
 * This library, unless `devDeps` names it: with the version package.json has (e.g. the `file:`
 * tarball of a manual install), or the newest.
 */
function libraryDep(outdir: string, devDeps: string[]): string[] {
  if (devDeps.some(d => d === LIBRARY || d.startsWith(`${LIBRARY}@`))) return [];
  const manifest = readPackageJson(outdir);
  const spec = manifest?.devDependencies?.[LIBRARY] ?? manifest?.dependencies?.[LIBRARY];
  return [spec ? `${LIBRARY}@${spec}` : LIBRARY];
}

function readPackageJson(outdir: string): any {
  const file = path.join(outdir, 'package.json');
  return fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf-8')) : undefined;
}

/** A package.json the repository has that is neither projen's nor the bare one `npm install` writes. */
function ownPackageJson(outdir: string): boolean {
  const manifest = readPackageJson(outdir);
  if (!manifest) return false;
  if (typeof manifest['//'] === 'string' && manifest['//'].includes('~~ Generated by projen')) return false;
  return Object.keys(manifest).some(k => !NPM_INSTALL_KEYS.includes(k));
}
