// A third kind of service, written as a user of the library would write it: everything it uses
// comes from the package's public entry (in a consumer, `from 'projen-multiarch'`). Nothing here may
// import from a file under src/ other than its index: test/extension/public-seam.test.ts checks that.
import * as fs from 'fs';
import * as path from 'path';
import { Project } from 'projen';
import { BuildSecretFile, DockerfileModel, DockerfileStage, ImageMetadata, Mount, MultiArchService, ServiceOptions, UserInstruction } from '../../src';

/** Options of a shell script service. */
export interface ShellScriptServiceOptions extends ServiceOptions {
  /** The POSIX shell script the container runs, relative to `directory`. It must start with `#!/bin/sh`. */
  readonly script: string;
  /**
   * The service's directory, used as the build context; the Dockerfile is written there.
   * @default "."
   */
  readonly directory?: string;
  /**
   * The image the script runs on: it must have `/bin/sh`.
   * @default "debian:bookworm-slim"
   */
  readonly baseImage?: string;
  /**
   * Arguments given to the script (`CMD`).
   * @default []
   */
  readonly arguments?: string[];
}

/** The build secret a script service may read while it is built (see the Dockerfile's prepare stage). */
export const SCRIPT_TOKEN: BuildSecretFile = {
  variable: 'SCRIPT_TOKEN',
  id: 'script_token',
  description: 'a token file the script service build may read, passed as a build secret (never an ARG)',
};

/** Where the prepare stage puts what the runtime gets, copied in one `COPY --from=prepare /out/rootfs/ /`. */
const ROOTFS = ImageMetadata.ROOTFS;
/** The kind's name, in the construct id and in its errors. */
const KIND = 'ShellScriptService';

/**
 * A POSIX shell script on a small image with a shell: the script is made executable by a stage on
 * the build platform (nothing runs under emulation), then copied into the runtime, which runs it as
 * a numeric non-root user with an exec-form entrypoint.
 */
export class ShellScriptService extends MultiArchService {
  /** The script, relative to the directory. */
  public readonly script: string;
  /** The service directory (build context). */
  public readonly directory: string;
  /** The base image. */
  public readonly baseImage: string;

  constructor(project: Project, name: string, options: ShellScriptServiceOptions) {
    const s = resolveScript(project, name, options);
    super(project, name, {
      ...options,
      kind: KIND,
      context: s.directory,
      dockerfilePath: s.directory === '.' ? 'Dockerfile' : `${s.directory}/Dockerfile`,
      dockerfileOption: 'directory',
      dockerfile: scriptDockerfile(name, options, s),
      secretFiles: [SCRIPT_TOKEN],
      languageIgnorePatterns: ['**/*.swp', '**/*~'],
    });
    this.script = s.script;
    this.directory = s.directory;
    this.baseImage = s.baseImage;
    this.dockerignore.requirePath(this.script, this.dockerfilePath);
  }

  /** Warns about a script that does not exist yet (projects are synthesized before their code exists). */
  public preSynthesize(): void {
    super.preSynthesize();
    const at = path.join(this.directory, this.script);
    if (!fs.existsSync(path.join(this.project.outdir, at))) {
      this.project.logger.warn(`${KIND} "${this.name}": ${at} does not exist yet (script "${this.script}"): the Dockerfile copies it.`);
    }
  }
}

interface ResolvedScript {
  readonly directory: string;
  readonly script: string;
  readonly baseImage: string;
  readonly arguments: string[];
  readonly user: string;
}

/** The kind's own options, validated before anything is created (the base validates the common ones). */
function resolveScript(project: Project, name: string, options: ShellScriptServiceOptions): ResolvedScript {
  const fail = (option: string, value: unknown, allowed: string) =>
    new Error(`Invalid ${option} ${JSON.stringify(value)} of ${KIND} "${name}": ${allowed}`);
  const directory = options.directory ?? '.';
  if (!isRelativePath(directory)) throw fail('directory', directory, 'must be a path relative to the project root, of letters, digits, ".", "_", "-" and "/", without ".."');
  if (typeof options.script !== 'string' || !isRelativePath(options.script) || options.script === '.') {
    throw fail('script', options.script, 'must name the script, relative to "directory", e.g. "run.sh"');
  }
  const script = path.posix.normalize(options.script);
  const at = path.join(project.outdir, directory, script);
  if (fs.existsSync(at) && !fs.readFileSync(at, 'utf8').startsWith('#!/bin/sh')) {
    throw fail('script', options.script, `must be a POSIX shell script that starts with "#!/bin/sh" (the entrypoint runs it directly); ${path.join(directory, script)} does not`);
  }
  const baseImage = options.baseImage ?? 'debian:bookworm-slim';
  let base: DockerfileStage;
  try {
    base = new DockerfileStage({ from: baseImage });
  } catch (e) {
    throw fail('baseImage', baseImage, (e as Error).message);
  }
  if (!base.hasShell) throw fail('baseImage', baseImage, 'has no shell, and the script needs /bin/sh: use an image with one, e.g. "debian:bookworm-slim" or "busybox"');
  const args = options.arguments ?? [];
  if (!Array.isArray(args) || args.some(a => typeof a !== 'string' || /[\u0000-\u001f\u007f]/.test(a))) {
    throw fail('arguments', args, 'must be a list of strings without control characters, e.g. ["--once"]');
  }
  // The Dockerfile is built before MultiArchService validates the common options, so the ones it
  // writes are checked here (the library's resolveService, which would do it, is not exported).
  let user: string;
  try {
    user = new UserInstruction(options.user ?? '65532:65532').value;
  } catch (e) {
    throw fail('user', options.user, (e as Error).message.replace(/^Invalid USER "[^"]*": /, ''));
  }
  if (options.port !== undefined && !(Number.isInteger(options.port) && options.port >= 1 && options.port <= 65535)) {
    throw fail('port', options.port, 'must be an integer from 1 to 65535');
  }
  return { directory: path.posix.normalize(directory), script, baseImage, arguments: args, user };
}

function isRelativePath(p: unknown): p is string {
  return typeof p === 'string' && /^[A-Za-z0-9._/-]+$/.test(p) && !p.startsWith('/') && !p.split('/').includes('..');
}

/**
 * The Dockerfile: a prepare stage on the build platform makes the script executable under the
 * rootfs tree (and reads the optional build secret, to show where one goes); the runtime copies the
 * tree and runs the script as the user, with the labels every service's image has.
 */
function scriptDockerfile(name: string, options: ShellScriptServiceOptions, s: ResolvedScript): DockerfileModel {
  const model = new DockerfileModel();
  const bin = `/usr/local/bin/${name}`;
  const prepare = model.addStage({ from: s.baseImage, name: 'prepare', platform: '$BUILDPLATFORM', comment: 'The script, executable, on the build platform: nothing runs under emulation.' });
  prepare.addCopy({ sources: [s.script], destination: `${ROOTFS}${bin}` });
  prepare.addRun({
    comment: 'The optional build secret (make build-<service> SCRIPT_TOKEN=<file>) is read here and never stored in a layer.',
    mounts: [Mount.secret({ id: SCRIPT_TOKEN.id })],
    commands: [
      `if [ -s /run/secrets/${SCRIPT_TOKEN.id} ]; then echo "${SCRIPT_TOKEN.variable} given: $(wc -c < /run/secrets/${SCRIPT_TOKEN.id}) bytes, not stored"; fi`,
      `chmod 0555 ${ROOTFS}${bin}`,
      ImageMetadata.normalizeTimesCommand(),
    ],
  });
  const runtime = model.addStage({ from: s.baseImage, comment: 'Runtime: the script and the shell it needs.' });
  // the contract's build args and labels, as every service's image has them
  ImageMetadata.addTo(runtime, name, options.description);
  runtime.addEnv({ APP_VERSION: '${VERSION}' });
  runtime.addCopy({ from: 'prepare', sources: [`${ROOTFS}/`], destination: '/' });
  runtime.addUser(s.user);
  if (options.port !== undefined) runtime.addExpose(options.port);
  runtime.addEntrypoint([bin]);
  if (s.arguments.length) runtime.addCmd(s.arguments);
  return model;
}
