import * as path from 'path';
import { ImageMetadata } from './image-metadata';
import {
  CmdInstruction, DockerfileModel, DockerfileStage, EnvInstruction, HealthcheckInstruction, HealthcheckProbe, Mount, RunInstruction,
  UserInstruction,
} from '../dockerfile';
import { invalid, noControlCharacters, noRepeats, notASecret, relativePath, stringList, stringMap, variableName } from '../validation';

/** A file or directory of the repository copied into a service's image (`ServiceOptions.files`). */
export interface ServiceFile {
  /**
   * The file or directory to copy, relative to the service's build context (a GoService's
   * `moduleRoot`, a PythonService's `directory`), inside it.
   */
  readonly source: string;
  /** Where it goes in the image: an absolute path, e.g. `/etc/app/config.json`. */
  readonly destination: string;
  /**
   * The octal mode of every file copied, e.g. "0440". Root owns them and the service runs as another
   * user, so the mode must let others read and must not let them write. Directories get 0555.
   * @default - read-only for everyone: 0444, or 0555 for a file that is executable in the repository
   */
  readonly mode?: string;
}

/** What the runtime options of a service (`ServiceOptions`) are, validated and normalized. */
export interface RuntimeOptions {
  readonly args: string[];
  readonly env: { [name: string]: string };
  readonly files: ServiceFile[];
  readonly healthcheck?: HealthcheckProbe;
}

/** What the kind of service says about its image (see MultiArchServiceProps). */
interface RuntimeDeclaration {
  readonly kind: string;
  readonly args?: string[];
  readonly env?: { [name: string]: string };
  readonly files?: ServiceFile[];
  readonly healthcheck?: HealthcheckProbe;
  readonly sharesDockerfile?: boolean;
  readonly rootfsStage?: string;
  readonly reservedPaths?: string[];
}

/** ENV names no service sets: the base image's PATH, which a literal value would replace. */
const RESERVED_ENV = ['PATH'];

/**
 * Where no file goes: directories the container runtime, the kernel or the user accounts own (a
 * copy would replace their owner and mode in the image, e.g. /tmp's 1777), and the account files.
 */
const SYSTEM_DIRS = ['/tmp', '/var/tmp', '/home', '/root', '/proc', '/sys', '/dev', '/run', '/var/run'];
const SYSTEM_FILES = ['/etc/passwd', '/etc/group', '/etc/shadow', '/etc/hosts', '/etc/hostname', '/etc/resolv.conf'];

/** Where the `files` step mounts each source, one directory entry per file. */
const FILES_MOUNT = '/service-files';

/** The role of the step that copies `files` into the rootfs tree (see applyRuntimeOptions). */
export const FILES_ROLE = 'service-files';

/**
 * Validates `args`, `env`, `files` and `healthcheck`, before anything is created: each check names
 * the option, the value and what is allowed. The checks that need the kind's Dockerfile (the names
 * its runtime's ENV sets, a probe the runtime can run) are in applyRuntimeOptions.
 */
export function resolveRuntimeOptions(name: string, props: RuntimeDeclaration): RuntimeOptions {
  const given = (['args', 'env', 'files', 'healthcheck'] as const).filter(o => props[o] !== undefined);
  if (props.sharesDockerfile && given.length) {
    throw invalid(given[0], props[given[0]], `applies to one image, and ${props.kind} "${name}" builds from a Dockerfile shared with other services (one runtime stage for all of them): give it a Dockerfile of its own (sharedDockerfile: false) to set ${given.join(', ')}`);
  }
  const args = stringList('args', props.args ?? []);
  if (args.length) new CmdInstruction(args); // exec form, no control characters
  const env = resolveEnv(props.env);
  const files = (props.files === undefined ? [] : listOf('files', props.files)).map(f => resolveFile(f, props));
  noRepeats('files destination', files.map(f => f.destination));
  for (const f of files) {
    const outer = files.find(o => o !== f && inside(f.destination, o.destination));
    if (outer) throw invalid('files destination', f.destination, `is inside "${outer.destination}", the destination of "${outer.source}": give each file a place of its own`);
  }
  let healthcheck: HealthcheckProbe | undefined;
  if (props.healthcheck !== undefined) {
    const probe = stringMap('healthcheck', props.healthcheck, '{ command: ["/usr/local/bin/server", "health"] }') as unknown as HealthcheckProbe;
    stringList('healthcheck command', probe.command);
    new HealthcheckInstruction(probe); // exec form, positive integers
    healthcheck = { ...probe, command: [...probe.command] };
  }
  return { args: [...args], env, files, healthcheck };
}

function resolveEnv(value: { [name: string]: string } | undefined): { [name: string]: string } {
  if (value === undefined) return {};
  const env = stringMap('env', value, '{ LOG_LEVEL: "info" }');
  const out: { [name: string]: string } = {};
  for (const [name, v] of Object.entries(env)) {
    variableName('env name', name);
    if (RESERVED_ENV.includes(name)) {
      throw invalid('env name', name, 'is the base image\'s search path, which a value here would replace: call binaries by their absolute path instead');
    }
    notASecret('env name', name);
    if (typeof v !== 'string') throw invalid(`env value of ${name}`, v, 'must be a string');
    out[name] = noControlCharacters(`env value of ${name}`, v);
  }
  if (Object.keys(out).length) new EnvInstruction(out, { literal: true });
  return out;
}

function resolveFile(file: ServiceFile, props: RuntimeDeclaration): ServiceFile {
  stringMap('files entry', file, '{ source: "config/app.json", destination: "/etc/app/config.json" }');
  if (typeof file.source !== 'string' || file.source.split('/').includes('..')) {
    throw invalid('files source', file.source, 'must be a path inside the build context, relative to it, without ".." (e.g. "config/app.json")');
  }
  const source = relativePath('files source', file.source);
  if (source === '.') throw invalid('files source', file.source, 'must name a file or directory in the build context, not the whole context');
  const destination = absolutePath(file.destination);
  if (destination === '/') throw invalid('files destination', file.destination, 'must be a path below "/", e.g. "/etc/app/config.json"');
  const system = SYSTEM_DIRS.find(d => destination === d || inside(destination, d))
    ?? SYSTEM_FILES.find(f => f === destination || inside(f, destination));
  if (system) {
    const where = 'put configuration under /etc/<service>/ or data under /usr/share/<service>/';
    throw invalid('files destination', destination, `would replace ${system}, which the container runtime or the user accounts own: ${where}`);
  }
  for (const reserved of props.reservedPaths ?? []) {
    if (destination === reserved || inside(destination, reserved) || inside(reserved, destination)) {
      throw invalid('files destination', destination, `collides with ${reserved}, which ${props.kind} writes into the image itself: choose a path apart from it, e.g. /etc/<service>/${path.posix.basename(source)}`);
    }
  }
  return { source, destination, ...(file.mode === undefined ? {} : { mode: fileMode(file.mode) }) };
}

/** An absolute path in the image, of characters that need no quoting in a shell or a mount option. */
function absolutePath(value: string): string {
  noControlCharacters('files destination', value);
  const normalized = value.length > 1 ? value.replace(/\/+$/, '') : value;
  if (!/^\/([A-Za-z0-9._+@-]+(\/[A-Za-z0-9._+@-]+)*)?$/.test(normalized) || normalized.split('/').some(p => p === '.' || p === '..')) {
    throw invalid('files destination', value, 'must be an absolute path of letters, digits, ".", "_", "-", "+", "@" and "/", without "." or ".." segments, e.g. "/etc/app/config.json"');
  }
  return normalized;
}

/** An octal file mode the service user can read and not write, without setuid, setgid or sticky bits. */
function fileMode(value: string): string {
  noControlCharacters('files mode', value);
  if (!/^0?[0-7]{3}$/.test(value)) throw invalid('files mode', value, 'must be an octal mode such as "0444" or "0440"');
  const [group, other] = value.slice(-2).split('').map(Number);
  const writes = (digit: number) => [2, 3, 6, 7].includes(digit);
  if (other < 4 || writes(group) || writes(other)) {
    throw invalid('files mode', value, 'must let others read and not write (root owns the file and the service runs as another user), e.g. "0444", or "0555" for a program');
  }
  return value.padStart(4, '0');
}

function listOf<T>(option: string, value: T[]): T[] {
  if (!Array.isArray(value)) throw invalid(option, value, 'must be a list');
  return value;
}

/** Whether `p` is strictly inside the directory `dir`. */
function inside(p: string, dir: string): boolean {
  return p.startsWith(dir === '/' ? '/' : `${dir}/`) && p !== dir;
}

/**
 * Writes the runtime options into the kind's Dockerfile model: `env` as one literal ENV in the runtime
 * (before its USER), `args` appended to its CMD (or as the CMD after the kind's ENTRYPOINT), the
 * HEALTHCHECK, and `files` copied by a step of the kind's rootfs stage. Throws, naming the option,
 * when the model refuses one: nothing of the service exists yet.
 */
export function applyRuntimeOptions(model: DockerfileModel, runtime: RuntimeOptions, props: RuntimeDeclaration, who: string): void {
  const stage = model.finalStage;
  const owned = stage.instructions.filter((i): i is EnvInstruction => i instanceof EnvInstruction).flatMap(i => Object.entries(i.variables));
  for (const name of Object.keys(runtime.env)) {
    const set = owned.find(([n]) => n === name);
    if (set) throw invalid('env name', name, `is set by ${who} itself (${name}=${set[1]}), and the image needs it: choose another name`);
  }
  const option = (name: string, add: () => void) => {
    try {
      add();
    } catch (e) {
      throw new Error(`${who}: ${name}: ${(e as Error).message}`);
    }
  };
  if (Object.keys(runtime.env).length) {
    option('env', () => addBeforeUser(stage, new EnvInstruction(runtime.env, { literal: true, comment: 'The service\'s environment (env), taken literally.' })));
  }
  if (runtime.args.length) option('args', () => addArgs(stage, runtime.args));
  if (runtime.healthcheck) option('healthcheck', () => stage.add(new HealthcheckInstruction(runtime.healthcheck!)));
  if (runtime.files.length) option('files', () => addFiles(model, runtime.files, props, who));
}

function addBeforeUser(stage: DockerfileStage, instruction: EnvInstruction): void {
  const user = stage.instructions.find(i => i instanceof UserInstruction);
  if (user) stage.insertBefore(user, instruction);
  else stage.add(instruction);
}

/** The kind's CMD with `args` after it, or `args` as the CMD (the arguments of the kind's ENTRYPOINT). */
function addArgs(stage: DockerfileStage, args: string[]): void {
  const cmd = stage.instructions.find((i): i is CmdInstruction => i instanceof CmdInstruction);
  if (cmd) stage.replace(cmd, new CmdInstruction([...cmd.argv, ...args], { comment: cmd.comment }));
  else stage.add(new CmdInstruction(args, { comment: 'The arguments of the entrypoint (args).' }));
}

/**
 * One step of the rootfs stage: each source bind-mounted from the build context (the step's cache
 * key is their content), copied to its destination under the rootfs tree, root-owned and read-only,
 * with the constant file time on what it wrote and on the directories it changed. Only those: a
 * step that re-dated the whole tree would copy all of it into its layer.
 */
function addFiles(model: DockerfileModel, files: ServiceFile[], props: RuntimeDeclaration, who: string): void {
  const stage = props.rootfsStage === undefined ? undefined : model.tryFindStage(props.rootfsStage);
  if (!stage) throw new Error(`${who} does not copy files into its image (its kind names no rootfsStage): build them into the image with the kind's own options`);
  const rootfs = ImageMetadata.ROOTFS;
  const time = ImageMetadata.FILE_TIME;
  const dirs = new Set<string>([rootfs]);
  const commands: string[] = [];
  files.forEach((f, i) => {
    const to = `${rootfs}${f.destination}`;
    for (let d = path.posix.dirname(f.destination); d !== '/'; d = path.posix.dirname(d)) dirs.add(`${rootfs}${d}`);
    commands.push(
      `mkdir -p ${path.posix.dirname(to)}`,
      `cp -R ${FILES_MOUNT}/${i} ${to}`,
      `find ${to} -type d -exec chmod 0555 {} +`,
      `find ${to} -type f -exec chmod ${f.mode ?? 'a=rX'} {} +`,
      `find ${to} -exec touch -h -d ${time} {} +`,
    );
  });
  commands.push(`touch -h -d ${time} ${[...dirs].sort().join(' ')}`);
  stage.add(new RunInstruction({
    role: FILES_ROLE,
    comment: `The service's files (files), root-owned and read-only, with the constant file time: ${files.map(f => `${f.source} -> ${f.destination}`).join(', ')}.`,
    mounts: files.map((f, i) => Mount.bind({ source: f.source, target: `${FILES_MOUNT}/${i}` })),
    commands,
  }));
}
