import * as fs from 'fs';
import * as path from 'path';
import { Component, Project } from 'projen';
import { GeneratedFile, refuseForeignFile, refusePipelineFiles } from './generated-file';
import { MultiArchPipeline } from './pipeline';
import { applyRuntimeOptions, resolveRuntimeOptions, RuntimeOptions, ServiceFile } from './runtime-options';
import { RecordedInput, recordInput, SynthesisInput } from './synthesis-inputs';
import { BakeTarget } from '../bake';
import { BAKE, buildArgs, DESCRIPTION_LABEL, imageBuildArgs, imageReference, IMultiArchService, RESERVED_SERVICE_NAMES, secretFileVariable } from '../contract/internal';
import { DockerfileModel, DockerIgnoreFile, HealthcheckProbe } from '../dockerfile';
import { Platform } from '../platform';
import { closeMatch, imageName, invalid, noControlCharacters, noRepeats, nonRootUser, plainText, port, relativePath, serviceName, variableName } from '../validation';

/** Options every service accepts. */
export interface ServiceOptions {
  /**
   * The image repository under the pipeline's registry: `${REGISTRY}/<imageName>:${VERSION}`.
   * @default - the service name
   */
  readonly imageName?: string;
  /**
   * Platforms for this service only, instead of the pipeline's `PLATFORMS`.
   * @default - the pipeline's platforms (the `PLATFORMS` Make and bake variable)
   */
  readonly platforms?: Platform[];
  /**
   * The port the service listens on (`EXPOSE`).
   * @default - nothing exposed
   */
  readonly port?: number;
  /**
   * The numeric `uid:gid` the container runs as. Root is refused.
   * @default "65532:65532"
   */
  readonly user?: string;
  /**
   * A one-line description (`org.opencontainers.image.description`).
   * @default - no description label
   */
  readonly description?: string;
  /**
   * Extra ignore patterns for this service's build context, in its Dockerfile's ignore file
   * (`<Dockerfile>.dockerignore`, which BuildKit reads instead of the context's `.dockerignore`),
   * after the generated ones: a `!pattern` takes a file back in (e.g. a certificate that `files`
   * copies, which the credential patterns `**\/*.pem`, `**\/*.key`, … keep out otherwise).
   * @default []
   */
  readonly dockerignore?: string[];
  /**
   * Arguments of the service's program, exec form: a GoService's binary gets them as the image's
   * `CMD` (after its `ENTRYPOINT`); a PythonService appends them to its `command`. E.g.
   * `["serve", "/etc/app/config.json"]`.
   * @default - none
   */
  readonly args?: string[];
  /**
   * Environment variables of the image (`ENV`), taken literally (`$` is not expanded). Names are
   * `[A-Za-z_][A-Za-z0-9_]*`; refused: PATH, the names the service's image sets itself (a Python
   * image's VIRTUAL_ENV, HOME, PYTHON…, APP_VERSION) and names that look like credentials (an image's
   * ENV is readable by anyone who pulls it: give secrets at run time).
   * @default {}
   */
  readonly env?: { [name: string]: string };
  /**
   * Files and directories of the build context copied into the image, root-owned and read-only for
   * the service, with the same file times as the rest of the image (reproducible).
   * @default []
   */
  readonly files?: ServiceFile[];
  /**
   * A `HEALTHCHECK` in exec form. A runtime without a shell (distroless) has no curl or wget: probe
   * with the service's own binary, e.g. `{ command: ["/usr/local/bin/server", "health"] }`.
   * @default - no health check
   */
  readonly healthcheck?: HealthcheckProbe;
}

/**
 * What a kind of service tells `MultiArchService` about itself: the extension seam for services of
 * other languages. The common options (`ServiceOptions`) are the user's; the rest is the kind's.
 */
export interface MultiArchServiceProps extends ServiceOptions {
  /** The kind of service, e.g. "RustService": the construct id is `<kind>:<name>`. */
  readonly kind: string;
  /** The build context, relative to the project root. */
  readonly context: string;
  /** Where the Dockerfile is written, relative to the project root. */
  readonly dockerfilePath: string;
  /**
   * The service's Dockerfile model, built by the kind of service before it calls the constructor:
   * the pipeline reads it as the service joins (does a stage run on the target platform?).
   */
  readonly dockerfile: DockerfileModel;
  /**
   * Write the model at `dockerfilePath`, with the pipeline's `# syntax=` directive unless the model
   * sets its own. False for a service that joins a Dockerfile another service already writes.
   * @default true
   */
  readonly writeDockerfile?: boolean;
  /**
   * The option of this kind of service that moves its Dockerfile, named in the error when another
   * file already has the path.
   * @default "dockerfilePath"
   */
  readonly dockerfileOption?: string;
  /**
   * The Dockerfile may be one this library already generates for another service (a Dockerfile
   * shared by several services, which the first of them writes).
   * @default false
   */
  readonly sharesDockerfile?: boolean;
  /**
   * Build secret files this kind of service reads (a netrc, a pip.conf): each is a Make and bake
   * variable holding the file's path (empty by default, e.g. `make build-multiarch GO_NETRC=~/.netrc`),
   * passed to the build as a build secret only when set, and written by CI from a repository secret.
   * @default []
   */
  readonly secretFiles?: BuildSecretFile[];
  /**
   * Ignore patterns of this language's tools and caches (e.g. ".venv"), added to the Dockerfile's
   * ignore file after the patterns every build context gets.
   * @default []
   */
  readonly languageIgnorePatterns?: string[];
  /**
   * The stage of the kind's Dockerfile that fills `ImageMetadata.ROOTFS` (run as root, with a shell
   * and coreutils), which the runtime copies: `files` are copied there by a step of their own.
   * @default - the kind takes no `files`: they are refused
   */
  readonly rootfsStage?: string;
  /**
   * Paths the kind writes into the image (its binary, its application directory): a `files`
   * destination may not be one of them, inside one or above one.
   * @default []
   */
  readonly reservedPaths?: string[];
  /**
   * The files this kind of service read to build its Dockerfile (a Go module's go.mod, a requirements
   * file), relative to the project root. The helper script records what was read of each, and every
   * build target first checks that none changed since (`make check-inputs`): the message names the
   * file and says to run `npx projen`.
   * @default []
   */
  readonly synthesisInputs?: SynthesisInput[];
}

/** A build secret file a kind of service reads (see `MultiArchServiceProps.secretFiles`). */
export interface BuildSecretFile {
  /** The Make and bake variable holding the file's path, e.g. `GO_NETRC`. */
  readonly variable: string;
  /** The build secret's id, as the Dockerfile mounts it (`RUN --mount=type=secret,id=<id>`). */
  readonly id: string;
  /** One line for `make help`: what the file holds. */
  readonly description: string;
  /**
   * The comment of the bake variable.
   * @default - the description, and the secret's id
   */
  readonly bakeDescription?: string;
}

/** What resolveService validates: the props without the Dockerfile model, which a kind builds after validating its own options. */
export type ServiceDeclaration = Omit<MultiArchServiceProps, 'dockerfile' | 'writeDockerfile'>;

/** The common options of a service, validated and normalized (see resolveService). */
export interface ResolvedService {
  readonly id: string;
  readonly name: string;
  readonly imageName: string;
  readonly platforms?: Platform[];
  readonly port?: number;
  readonly user: string;
  readonly description?: string;
  readonly context: string;
  readonly dockerfilePath: string;
  readonly ignorePath: string;
  /** The ignore file of the Dockerfile, when another service sharing it created it. */
  readonly ignore?: DockerIgnoreFile;
  readonly languageIgnorePatterns: string[];
  readonly dockerignore: string[];
  /** args, env, files and healthcheck. */
  readonly runtime: RuntimeOptions;
  /** What synthesis read of each of its inputs. */
  readonly inputs: RecordedInput[];
}

/**
 * Validates and normalizes the options every service has, before anything is created: a service
 * whose options are refused leaves no construct, file, bake target or registration behind.
 */
export function resolveService(project: Project, name: string, props: ServiceDeclaration): ResolvedService {
  serviceName(name);
  if (!/^[A-Z][A-Za-z0-9]*$/.test(props.kind ?? '')) {
    throw invalid('kind', props.kind, 'must name the kind of service in PascalCase, e.g. "RustService"');
  }
  if (RESERVED_SERVICE_NAMES.includes(name)) {
    throw new Error(`Invalid service name "${name}": it is reserved (its targets would collide with the pipeline's own: build-${name}, bake target or group "${name}"). Reserved: ${RESERVED_SERVICE_NAMES.join(', ')}`);
  }
  const pipeline = MultiArchPipeline.of(project);
  if (pipeline?._findService(name, '').byName) {
    throw new Error(`A service named "${name}" already exists in this project; service names must be unique`);
  }
  if (props.platforms !== undefined && !Array.isArray(props.platforms)) {
    throw invalid('platforms', props.platforms, 'must be a list, e.g. [Platform.LINUX_AMD64]');
  }
  if (props.platforms !== undefined && props.platforms.length === 0) {
    throw new Error(`Invalid platforms for service "${name}": give at least one platform, or omit the option to use the pipeline's`);
  }
  const context = relativePath('context', props.context);
  const dockerfilePath = relativePath('dockerfilePath', props.dockerfilePath);
  // BuildKit reads `<Dockerfile>.dockerignore` instead of the context's `.dockerignore`, which
  // stays the repository's own
  const ignorePath = `${dockerfilePath}.dockerignore`;
  // another service's Dockerfile; another file of the project at the path is refused when the file
  // is created, a file of the repository's own here
  const owner = pipeline?._findService('', '', dockerfilePath).byDockerfile;
  if (owner && !props.sharesDockerfile) {
    throw new Error(dockerfileTaken(dockerfilePath, props, name));
  }
  if (owner && owner.context !== context) {
    throw new Error(`${props.kind} "${name}" shares ${dockerfilePath} with "${owner.name}" but builds from ${context} instead of ${owner.context}: services sharing a Dockerfile share its build context (and its ignore file)`);
  }
  if (!pipeline) refusePipelineFiles(project);
  if (!owner) {
    const remedy = `Keep yours and give ${props.kind} "${name}" another "${props.dockerfileOption ?? 'dockerfilePath'}".`;
    refuseForeignFile(project, dockerfilePath, remedy);
    refuseForeignFile(project, ignorePath, remedy);
  }
  for (const f of props.secretFiles ?? []) {
    variableName('secretFiles variable', f.variable);
    if (!/^[a-z][a-z0-9_-]*$/.test(f.id)) throw invalid('secretFiles id', f.id, 'must be a build secret id of lowercase letters, digits, "_" and "-", e.g. "netrc"');
    plainText('secretFiles description', f.description);
  }
  if (props.platforms) noRepeats('platforms', props.platforms.map(p => String(p)));
  const runtime = resolveRuntimeOptions(name, props);
  const image = imageName('imageName', props.imageName ?? name);
  const sameImage = pipeline?._findService('', image).byImage;
  if (sameImage) {
    throw invalid('imageName', image, `is already the image of service "${sameImage.name}": both would push to \${REGISTRY}/${image}. Give one of them another imageName`);
  }
  return {
    id: `${props.kind}:${name}`,
    name,
    imageName: image,
    platforms: props.platforms?.map(p => {
      try {
        return Platform.of(String(p));
      } catch (e) {
        throw invalid('platforms', String(p), `is not a platform this library knows: use Platform.LINUX_AMD64, Platform.LINUX_ARM64, ... (${(e as Error).message})`);
      }
    }),
    port: props.port === undefined ? undefined : port('port', props.port),
    user: nonRootUser('user', props.user ?? '65532:65532'),
    description: props.description === undefined ? undefined : plainText('description', props.description),
    context,
    dockerfilePath,
    ignorePath,
    ignore: pipeline?._ignoreFile(ignorePath),
    languageIgnorePatterns: (props.languageIgnorePatterns ?? []).map(p => noControlCharacters('languageIgnorePatterns', p)),
    dockerignore: (props.dockerignore ?? []).map(p => noControlCharacters('dockerignore', p)),
    runtime,
    inputs: (props.synthesisInputs ?? []).map(i => recordInput(project.outdir, i)),
  };
}

/** The error for a Dockerfile path another file already has. */
function dockerfileTaken(dockerfilePath: string, props: ServiceDeclaration, name: string): string {
  return `Another file already uses ${dockerfilePath}: give ${props.kind} "${name}" another "${props.dockerfileOption ?? 'dockerfilePath'}"`;
}

/**
 * A service built into a multi-architecture image: the base of GoService and PythonService, and the
 * extension seam for other kinds of services. A kind of service resolves its options and builds its
 * Dockerfile model, then calls this constructor, which validates the common options, writes the
 * Dockerfile and its ignore file (`<Dockerfile>.dockerignore`), creates the service's bake target, and joins the
 * project's pipeline (creating it with the defaults when there is none): the service is whole, and in
 * every generated file, when its constructor returns.
 */
export abstract class MultiArchService extends Component implements IMultiArchService {
  /** The service name. */
  public readonly name: string;
  /** Image repository under the registry. */
  public readonly imageName: string;
  /** Platform override, if any. */
  public readonly platforms?: Platform[];
  /** The port, if any. */
  public readonly port?: number;
  /** The runtime user. */
  public readonly user: string;
  /** The build context, relative to the project root. */
  public readonly context: string;
  /** The Dockerfile path, relative to the project root. */
  public readonly dockerfilePath: string;
  /** The bake target of this service (escape hatch: set any attribute). */
  public readonly bakeTarget: BakeTarget;
  /**
   * The ignore file of this service's Dockerfile, `<Dockerfile>.dockerignore` (shared with the services
   * that share the Dockerfile). BuildKit reads it instead of the context's `.dockerignore`, which stays
   * the repository's own.
   */
  public readonly dockerignore: DockerIgnoreFile;
  /** The description, if any. */
  public readonly description?: string;
  /** The pipeline this service belongs to. */
  public readonly pipeline: MultiArchPipeline;
  /** The Dockerfile model (escape hatch; shared with other services when they share the file). */
  public readonly dockerfile: DockerfileModel;
  /** The arguments of the service's program (`args`). */
  public readonly args: string[];
  /** The image's environment variables (`env`). */
  public readonly env: { [name: string]: string };
  /** The files copied into the image (`files`). */
  public readonly files: ServiceFile[];
  /** The health check, if any. */
  public readonly healthcheck?: HealthcheckProbe;

  protected constructor(project: Project, name: string, props: MultiArchServiceProps) {
    const service = resolveService(project, name, props);
    // into the kind's model before anything exists, so a refused option leaves nothing behind
    applyRuntimeOptions(props.dockerfile, service.runtime, props, `${props.kind} "${name}"`);
    super(project, service.id);
    this.name = service.name;
    this.imageName = service.imageName;
    this.platforms = service.platforms;
    this.port = service.port;
    this.user = service.user;
    this.description = service.description;
    this.context = service.context;
    this.dockerfilePath = service.dockerfilePath;
    this.dockerfile = props.dockerfile;
    this.args = service.runtime.args;
    this.env = service.runtime.env;
    this.files = service.runtime.files;
    this.healthcheck = service.runtime.healthcheck;
    try {
      this.dockerignore = service.ignore ?? new DockerIgnoreFile(project, service.ignorePath);
    } catch (e) {
      project.node.tryRemoveChild(this.node.id);
      throw /already a file under/.test((e as Error).message) ? new Error(dockerfileTaken(service.ignorePath, props, name)) : e;
    }
    this.pipeline = MultiArchPipeline._ensure(project);
    this.dockerignore._markerCache = this.pipeline._marker;
    if (props.writeDockerfile ?? true) {
      if (this.dockerfile.syntax === undefined) this.dockerfile.syntax = this.pipeline.dockerfileSyntax;
      const model = this.dockerfile;
      try {
        new GeneratedFile(project, this.dockerfilePath, marker => model.render(marker), this.pipeline._marker);
      } catch (e) {
        // a file of the project that is not a service's has the path: nothing of this service stays
        if (!service.ignore) project.node.tryRemoveChild(this.dockerignore.node.id);
        project.node.tryRemoveChild(this.node.id);
        throw /already a file under/.test((e as Error).message) ? new Error(dockerfileTaken(this.dockerfilePath, props, name)) : e;
      }
    }
    // Credentials never enter a build context (an image may copy its whole context), nor do the
    // repository's tooling (projen's own files too: an edit of .projenrc.ts must not rebuild an
    // image), dependencies, caches and build files, at any depth (the pipeline adds other services'
    // directories, the Makefile and the bake file).
    this.dockerignore.addPatterns(...CREDENTIAL_PATTERNS,
      '**/.git', '.github', '.projen', '.projenrc.*', 'tsconfig.projen.json', '**/.idea', '**/.vscode', '**/node_modules',
      'coverage', 'test-reports', '**/*.tgz',
      '**/Dockerfile', '**/.dockerignore', '**/*.dockerignore');
    this.dockerignore.addPatterns(...service.languageIgnorePatterns);
    this.dockerignore.addPatterns(...service.dockerignore);
    for (const f of this.files) this.dockerignore.requirePath(f.source, `${this.dockerfilePath} (files)`);

    this.bakeTarget = new BakeTarget(this.name, {
      description: this.description,
      context: this.context,
      dockerfile: path.posix.relative(this.context, this.dockerfilePath) || 'Dockerfile',
      platforms: this.platforms?.map(p => p.value),
      tags: [imageReference(BAKE, this.imageName)],
      args: buildArgs(imageBuildArgs()),
      annotateIndex: true,
    });
    // a label of the target, so the index annotation comes from it as from every other label, once
    if (this.description) this.bakeTarget.labels[DESCRIPTION_LABEL] = this.description;
    // each secret file is passed only when its variable is set
    const secretFiles = props.secretFiles ?? [];
    for (const f of secretFiles) this.bakeTarget.addSecret({ id: f.id, source: `\${${f.variable}}`, whenSet: f.variable });
    const variables = secretFiles.map(f => secretFileVariable(f.variable, f.description,
      f.bakeDescription ?? `${f.description}: the build secret "${f.id}"; empty passes none`));
    this.pipeline._join(this, variables, this.dockerignore, service.inputs);
  }

  /** Warns about `files` that do not exist yet. */
  public preSynthesize(): void {
    super.preSynthesize();
    warnMissing(this.project, `${this.node.id.split(':')[0]} "${this.name}"`, this.files.map(f =>
      ['files', f.source, path.posix.join(this.context, f.source), `the image gets it at ${f.destination}`] as [string, string, string, string]));
  }
}

/**
 * Files that hold credentials, kept out of every build context at any depth: an image may copy its
 * whole context, and a context is sent to the builder (a remote one too). Environment files
 * (dotenv, direnv), keys and certificates (PEM, PKCS#12, Java key stores, SSH keys), the credential
 * files of npm, netrc, git, Docker, the cloud CLIs and kubectl. A bare `kubeconfig` is not among
 * them: it is a common Go package name (`pkg/kubeconfig`), and a pattern excludes directories too.
 * A file the image needs anyway goes in with `files` after a `!pattern` in `dockerignore`.
 */
const CREDENTIAL_PATTERNS: readonly string[] = [
  '**/.env', '**/.env.*', '**/.envrc',
  '**/*.pem', '**/*.key', '**/*.p12', '**/*.pfx', '**/*.jks', '**/*.keystore',
  '**/id_rsa*', '**/id_dsa*', '**/id_ecdsa*', '**/id_ed25519*', '**/.ssh', '**/.gnupg',
  '**/.npmrc', '**/.netrc', '**/.git-credentials', '**/.docker/config.json',
  '**/.aws', '**/.azure', '**/.config/gcloud', '**/.kube', '**/*.kubeconfig',
];

/**
 * Warns, at synthesis, about each path a service builds from that does not exist yet: projects are
 * synthesized before their code exists, so this never fails, but a typo does not pass in silence.
 * Each entry: the option, its value, the path (relative to the project), why the build needs it and,
 * optionally, what to check for a typo when it is not an option (e.g. "go.mod's replace line").
 */
export function warnMissing(project: Project, who: string, paths: Array<[string, string, string, string, string?]>): void {
  for (const [option, value, at, why, check] of paths) {
    if (!fs.existsSync(path.join(project.outdir, at))) {
      project.logger.warn(`${who}: ${at} does not exist yet (${option} "${value}"): ${why}. Check ${check ?? 'the option'} for a typo if the code is already there.`);
    }
  }
}


/**
 * How a path option's value came from a default derived from the service name (e.g. GoService's
 * `mainPackage`, "./cmd/<name>"): the name is then the typo the error names.
 */
export interface DerivedDefault {
  /** The service name the default was derived from. */
  readonly name: string;
  /** The default's pattern, for the message (e.g. "./cmd/<name>"). */
  readonly pattern: string;
}

/**
 * Refuses a directory option whose path does not exist when one of a close name does (a typo): the
 * error names the option and the match, before anything is created, so a typo writes no Dockerfile
 * into a new directory and deletes none. A path with no close match is left to `warnMissing` (code
 * may come later). `value` is relative to `base` (a directory of the project); the match keeps a
 * leading "./". With `derived`, the value is the option's default derived from the service name:
 * only its last part (the name's) is checked, and only where its parent exists.
 */
export function refuseTypo(project: Project, who: string, option: string, value: string | undefined, base = '.', derived?: DerivedDefault): void {
  if (value === undefined) return;
  const parts = value.replace(/^\.\//, '').split('/').filter(p => p !== '' && p !== '.');
  if (derived && (parts.length === 0 || !isDirectory(path.join(project.outdir, base, ...parts.slice(0, -1))))) return;
  let dir = path.join(project.outdir, base);
  const found: string[] = [];
  for (const part of parts) {
    if (!isDirectory(path.join(dir, part))) {
      const match = closeMatch(part, subdirectories(dir));
      if (!match) return; // not a typo of anything there: warnMissing tells at synthesis
      found.push(match);
    } else {
      found.push(part);
    }
    dir = path.join(dir, found[found.length - 1]);
  }
  if (found.join('/') === parts.join('/')) return;
  const suggestion = `${value.startsWith('./') ? './' : ''}${found.join('/')}`;
  const at = path.posix.join(base, parts.join('/'));
  const newOne = `(For a new ${option === 'mainPackage' ? 'package' : 'directory'} that is only close to an existing one, create ${at} first.)`;
  if (derived) {
    throw new Error(`${who}: ${at} does not exist (${option} defaults to "${derived.pattern}", "${value}" from the service name "${derived.name}"): `
      + `did you mean \`${suggestion}\`? Name the service "${found[found.length - 1]}", or give ${option}: '${suggestion}'. ${newOne}`);
  }
  throw new Error(`${who}: ${option} "${value}" does not exist (${at}): did you mean \`${suggestion}\`? ${newOne}`);
}

function isDirectory(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** The directories in `dir`, without node_modules and .git. */
function subdirectories(dir: string): string[] {
  try {
    return fs.readdirSync(dir, { withFileTypes: true })
      .filter(e => e.isDirectory() && e.name !== 'node_modules' && e.name !== '.git').map(e => e.name);
  } catch {
    return [];
  }
}
