import * as fs from 'fs';
import * as path from 'path';
import { Component, Project } from 'projen';
import { GeneratedFile } from './generated-file';
import { BakeTarget } from '../bake';
import { BAKE, buildArgs, DESCRIPTION_LABEL, imageBuildArgs, imageReference, IMultiArchService, RESERVED_SERVICE_NAMES } from '../contract/internal';
import { DockerfileModel, DockerIgnoreFile } from '../dockerfile';
import { Platform } from '../platform';
import { imageName, invalid, noControlCharacters, noRepeats, nonRootUser, plainText, port, relativePath, serviceName } from '../validation';

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
   * Extra `.dockerignore` patterns for this service's build context.
   * @default []
   */
  readonly dockerignore?: string[];
}

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
  readonly dockerignore: string[];
}

/**
 * Validates and normalizes the options every service has, before anything is created: a service
 * whose options are refused leaves no construct, file, bake target or registration behind.
 * `sharesDockerfile` says the Dockerfile path may already be one of this library's shared files.
 */
export function resolveService(
  project: Project,
  name: string,
  kind: string,
  options: ServiceOptions & { context: string; dockerfilePath: string },
  sharesDockerfile = false,
): ResolvedService {
  serviceName(name);
  if (RESERVED_SERVICE_NAMES.includes(name)) {
    throw new Error(`Invalid service name "${name}": it is reserved (its targets would collide with the pipeline's own: build-${name}, bake target or group "${name}"). Reserved: ${RESERVED_SERVICE_NAMES.join(', ')}`);
  }
  if (servicesOf(project).some(s => s.name === name)) {
    throw new Error(`A service named "${name}" already exists in this project; service names must be unique`);
  }
  if (options.platforms !== undefined && !Array.isArray(options.platforms)) {
    throw invalid('platforms', options.platforms, 'must be a list, e.g. [Platform.LINUX_AMD64]');
  }
  if (options.platforms !== undefined && options.platforms.length === 0) {
    throw new Error(`Invalid platforms for service "${name}": give at least one platform, or omit the option to use the pipeline's`);
  }
  const context = relativePath('context', options.context);
  const dockerfilePath = relativePath('dockerfilePath', options.dockerfilePath);
  const ignorePath = context === '.' ? '.dockerignore' : `${context}/.dockerignore`;
  const existingIgnore = project.tryFindFile(ignorePath);
  if (existingIgnore && !(existingIgnore instanceof DockerIgnoreFile)) {
    throw new Error(`${ignorePath} already exists and is not managed by projen-multiarch; remove it from the project to let services share it`);
  }
  const existingDockerfile = project.tryFindFile(dockerfilePath);
  if (existingDockerfile && !(sharesDockerfile && existingDockerfile instanceof GeneratedFile)) {
    throw new Error(`Another file already uses ${dockerfilePath}: give this service another "dockerfilePath" (GoService) or "directory" (PythonService)`);
  }
  if (options.platforms) noRepeats('platforms', options.platforms.map(p => String(p)));
  const image = imageName('imageName', options.imageName ?? name);
  const sameImage = servicesOf(project).find(s => s.imageName === image);
  if (sameImage) {
    throw invalid('imageName', image, `is already the image of service "${sameImage.name}": both would push to \${REGISTRY}/${image}. Give one of them another imageName`);
  }
  return {
    id: `${kind}:${name}`,
    name,
    imageName: image,
    platforms: options.platforms?.map(p => {
      try {
        return Platform.of(String(p));
      } catch (e) {
        throw invalid('platforms', String(p), `is not a platform this library knows: use Platform.LINUX_AMD64, Platform.LINUX_ARM64, ... (${(e as Error).message})`);
      }
    }),
    port: options.port === undefined ? undefined : port('port', options.port),
    user: nonRootUser('user', options.user ?? '65532:65532'),
    description: options.description === undefined ? undefined : plainText('description', options.description),
    context,
    dockerfilePath,
    ignorePath,
    dockerignore: (options.dockerignore ?? []).map(p => noControlCharacters('dockerignore', p)),
  };
}

/** The services of a project, in creation order: the construct tree is the only registry. */
export function servicesOf(project: Project): ServiceBase[] {
  return project.components.filter((c): c is ServiceBase => c instanceof ServiceBase);
}

/**
 * @internal
 * What GoService and PythonService share: validation of the common options, the `.dockerignore` of
 * the build context and the bake target. The pipeline finds services in the construct tree.
 */
export abstract class ServiceBase extends Component implements IMultiArchService {
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
  /** The `.dockerignore` of this service's build context (shared with services of the same context). */
  public readonly dockerignore: DockerIgnoreFile;
  /** The description, if any. */
  public readonly description?: string;
  /** The Dockerfile model (escape hatch). */
  public abstract readonly dockerfile: DockerfileModel;

  /** `service` comes from resolveService, so nothing here can refuse the options half-way. */
  protected constructor(project: Project, service: ResolvedService) {
    super(project, service.id);
    this.name = service.name;
    this.imageName = service.imageName;
    this.platforms = service.platforms;
    this.port = service.port;
    this.user = service.user;
    this.description = service.description;
    this.context = service.context;
    this.dockerfilePath = service.dockerfilePath;
    const sharedIgnore = project.tryFindFile(service.ignorePath) as DockerIgnoreFile | undefined;
    this.dockerignore = sharedIgnore ?? new DockerIgnoreFile(project, service.ignorePath);
    // Credentials never enter a build context (a Python image copies its whole context), nor do
    // the repository's tooling, dependencies, caches and build files, at any depth (the pipeline adds
    // other services' directories, the Makefile and the bake file at synthesis).
    this.dockerignore.addPatterns('**/.env', '**/.env.*', '**/*.pem', '**/*.key', '**/.npmrc', '**/.netrc',
      '**/.git', '.github', '.projen', '**/.idea', '**/.vscode', '**/node_modules', 'coverage', 'test-reports', '**/*.tgz',
      '**/Dockerfile', '**/.dockerignore', '**/.venv', '**/__pycache__', '**/*.py[cod]', '**/.pytest_cache',
      '**/.mypy_cache', '**/.ruff_cache', '**/.tox');
    this.dockerignore.addPatterns(...service.dockerignore);

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
  }
}

/**
 * Warns, at synthesis, about each path a service builds from that does not exist yet: projects are
 * synthesized before their code exists, so this never fails, but a typo does not pass in silence.
 * Each entry: the option, its value, the path (relative to the project) and why the build needs it.
 */
export function warnMissing(project: Project, who: string, paths: Array<[string, string, string, string]>): void {
  for (const [option, value, at, why] of paths) {
    if (!fs.existsSync(path.join(project.outdir, at))) {
      project.logger.warn(`${who}: ${at} does not exist yet (${option} "${value}"): ${why}. Check the option for a typo if the code is already there.`);
    }
  }
}

