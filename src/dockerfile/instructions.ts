import { Mount } from './mount';
import { invalid, noControlCharacters, nonRootUser, port, variableName } from '../validation';

/** What every instruction can carry besides its arguments. */
export interface InstructionOptions {
  /**
   * A comment written above the instruction. It belongs to the instruction: it moves, and goes,
   * with it.
   * @default - no comment
   */
  readonly comment?: string;
  /**
   * What the instruction is for, set by the code that adds it so that the same code finds it again
   * by this name instead of by its text (e.g. `go-upx-tool` on the Go service's UPX tool). It is
   * not rendered.
   * @default - no role
   */
  readonly role?: string;
}

/** The parts of an instruction's rendering every kind shares. */
const CONTINUATION = ' \\\n    ';

/**
 * One instruction of a stage: a typed object that renders itself when the Dockerfile is
 * synthesized. Find one with `DockerfileStage.tryFindInstruction` (or in `instructions`), and
 * edit a stage with it: `insertBefore`, `insertAfter`, `replace`, `remove`. Comments are an
 * attribute of the instruction, so adding one moves nothing.
 */
export abstract class DockerfileInstruction {
  /** The keyword, upper case, e.g. `RUN`. */
  public readonly keyword: string;
  /**
   * Everything after the keyword, as rendered (long values span lines joined with ` \`
   * continuations).
   */
  public readonly value: string;
  /**
   * What the instruction is for (see `InstructionOptions.role`).
   * @default - no role
   */
  public readonly role?: string;
  /**
   * @internal
   * The stage the instruction is in: an instruction is in one stage at most, so that finding,
   * commenting and removing it mean one thing.
   */
  public _stage?: object;
  private _comment?: string;

  protected constructor(keyword: string, value: string, options: InstructionOptions = {}) {
    this.keyword = keyword;
    this.value = value;
    this.role = options.role === undefined ? undefined : noControlCharacters('instruction role', options.role);
    this.comment = options.comment;
  }

  /**
   * The comment written above the instruction; set it to add, change or drop one.
   * @default - no comment
   */
  public get comment(): string | undefined {
    return this._comment;
  }

  public set comment(text: string | undefined) {
    this._comment = text === undefined ? undefined : noControlCharacters('comment', text);
  }

  /** The instruction's lines: its comment, if any, then `KEYWORD value`. */
  public render(): string {
    return [...(this.comment ? [`# ${this.comment}`] : []), `${this.keyword} ${this.value}`].join('\n');
  }
}

/** Options of a `RUN` instruction. */
export interface RunOptions extends InstructionOptions {
  /**
   * Shell commands, joined with `&&`. Each is one line (no newlines).
   */
  readonly commands: string[];
  /**
   * Mounts for this step (cache, bind, secret).
   * @default []
   */
  readonly mounts?: Mount[];
}

/** `RUN [--mount ...] cmd && cmd`, shell form (refused in a stage without a shell). */
export class RunInstruction extends DockerfileInstruction {
  private readonly _commands: string[];
  private readonly _mounts: Mount[];

  constructor(options: RunOptions) {
    if (!Array.isArray(options.commands) || options.commands.length === 0) {
      throw new Error('RUN needs at least one command in "commands"');
    }
    options.commands.forEach(c => noControlCharacters('RUN command', c));
    const mounts = options.mounts ?? [];
    super('RUN', [...mounts.map(m => m.render()), options.commands.join(` &&${CONTINUATION}`)].join(CONTINUATION), options);
    this._commands = [...options.commands];
    this._mounts = [...mounts];
  }

  /** The shell commands, in order. */
  public get commands(): string[] {
    return [...this._commands];
  }

  /** The mounts of the step. */
  public get mounts(): Mount[] {
    return [...this._mounts];
  }
}

/** Options of a `COPY` instruction. */
export interface CopyOptions extends InstructionOptions {
  /** Source paths (in the build context, or in the `from` stage). */
  readonly sources: string[];
  /** Destination path in the image. */
  readonly destination: string;
  /**
   * A stage or image to copy from.
   * @default - the build context
   */
  readonly from?: string;
  /**
   * Owner of the copied files, numeric `uid:gid`.
   * @default - root-owned (read-only for a non-root user, which is usually what you want)
   */
  readonly chown?: string;
  /**
   * Use `COPY --link` (an independent layer that survives base image changes).
   * @default false
   */
  readonly link?: boolean;
}

/** `COPY [--from] [--chown] [--link] src... dest`. */
export class CopyInstruction extends DockerfileInstruction {
  /** Source paths. */
  public readonly sources: string[];
  /** Destination path in the image. */
  public readonly destination: string;
  /**
   * The stage or image copied from.
   * @default - the build context
   */
  public readonly from?: string;
  /**
   * The owner of the copied files.
   * @default - root-owned
   */
  public readonly chown?: string;
  /** Whether it is `COPY --link`. */
  public readonly link: boolean;

  constructor(options: CopyOptions) {
    if (!Array.isArray(options.sources) || options.sources.length === 0) {
      throw new Error('COPY needs at least one entry in "sources"');
    }
    const flags: string[] = [];
    if (options.from) flags.push(`--from=${noControlCharacters('COPY from', options.from)}`);
    if (options.chown) flags.push(`--chown=${nonRootUser('COPY chown', options.chown)}`);
    if (options.link) flags.push('--link');
    const paths = [...options.sources, options.destination].map(p => {
      noControlCharacters('COPY path', p);
      if (/[\s"'\\]/.test(p)) throw invalid('COPY path', p, 'must not contain spaces, quotes or backslashes');
      return p;
    });
    super('COPY', [...flags, ...paths].join(' '), options);
    this.sources = [...options.sources];
    this.destination = options.destination;
    this.from = options.from || undefined;
    this.chown = options.chown || undefined;
    this.link = options.link ?? false;
  }
}

/** One build argument of an `ARG` instruction. */
export interface ArgDeclaration {
  /** The argument's name. */
  readonly name: string;
  /**
   * The value used when the build gives none.
   * @default - no default (empty unless the build sets it)
   */
  readonly defaultValue?: string;
}

/** `ARG name[=default] ...`: one or more build arguments on one line. */
export class ArgInstruction extends DockerfileInstruction {
  private readonly _declarations: ArgDeclaration[];

  constructor(declarations: ArgDeclaration[], options?: InstructionOptions) {
    if (!Array.isArray(declarations) || declarations.length === 0) {
      throw new Error('ARG needs at least one declaration');
    }
    const rendered = declarations.map(d => {
      variableName('ARG name', d.name);
      return d.defaultValue === undefined ? d.name : `${d.name}=${quoteIfNeeded('ARG default', d.defaultValue)}`;
    });
    super('ARG', rendered.join(' '), options);
    this._declarations = declarations.map(d => ({ name: d.name, defaultValue: d.defaultValue }));
  }

  /** The declarations, in order. */
  public get declarations(): ArgDeclaration[] {
    return this._declarations.map(d => ({ ...d }));
  }

  /** The names of the declared arguments, in order. */
  public get names(): string[] {
    return this._declarations.map(d => d.name);
  }
}

/** Options of an `ENV` instruction. */
export interface EnvOptions extends InstructionOptions {
  /**
   * Take the values as they are: `$` is escaped, so `${NAME}` in a value stays text instead of
   * being replaced by an ARG or ENV (values from users' options, e.g. `ServiceOptions.env`).
   * @default false
   */
  readonly literal?: boolean;
}

/** `ENV name="value" ...` (values may reference `${ARG}`s, unless `literal`). */
export class EnvInstruction extends DockerfileInstruction {
  private readonly _variables: { [name: string]: string };

  constructor(variables: { [name: string]: string }, options: EnvOptions = {}) {
    const value = (v: string) => (options.literal ? quote('ENV value', v).replace(/\$/g, () => '\\$') : quote('ENV value', v));
    const entries = Object.entries(variables).map(([k, v]) => `${variableName('ENV name', k)}=${value(v)}`);
    if (entries.length === 0) throw new Error('ENV needs at least one variable');
    super('ENV', entries.join(CONTINUATION), options);
    this._variables = { ...variables };
  }

  /** The variables and their values. */
  public get variables(): { [name: string]: string } {
    return { ...this._variables };
  }
}

/** `LABEL key="value" ...` (values may reference `${ARG}`s). */
export class LabelInstruction extends DockerfileInstruction {
  private readonly _labels: { [key: string]: string };

  constructor(labels: { [key: string]: string }, options?: InstructionOptions) {
    const entries = Object.entries(labels).map(([k, v]) => {
      if (!/^[a-z0-9][a-z0-9._-]*$/.test(k)) {
        throw invalid('label key', k, 'must be lowercase letters, digits, ".", "_" and "-", e.g. "org.opencontainers.image.version"');
      }
      return `${k}=${quote('label value', v)}`;
    });
    if (entries.length === 0) throw new Error('LABEL needs at least one label');
    super('LABEL', entries.join(CONTINUATION), options);
    this._labels = { ...labels };
  }

  /** The labels and their values. */
  public get labels(): { [key: string]: string } {
    return { ...this._labels };
  }
}

/** `USER uid:gid`, numeric and non-root only. */
export class UserInstruction extends DockerfileInstruction {
  /** The numeric `uid:gid`. */
  public readonly user: string;

  constructor(user: string, options?: InstructionOptions) {
    super('USER', nonRootUser('USER', user), options);
    this.user = user;
  }
}

/** `WORKDIR path`, absolute. */
export class WorkdirInstruction extends DockerfileInstruction {
  /** The working directory. */
  public readonly path: string;

  constructor(path: string, options?: InstructionOptions) {
    if (typeof path !== 'string' || !path.startsWith('/') || /[\s"'\\]/.test(path) || /[\u0000-\u001f\u007f]/.test(path)) {
      throw invalid('WORKDIR', path, 'must be an absolute path without spaces or quotes');
    }
    super('WORKDIR', path, options);
    this.path = path;
  }
}

/** `EXPOSE port`: a port number, or a build arg that holds one (`${PORT}`). */
export class ExposeInstruction extends DockerfileInstruction {
  /** The port number, or the `${ARG}` that holds it. */
  public readonly port: string;

  constructor(portOrVariable: string, options?: InstructionOptions) {
    noControlCharacters('EXPOSE port', portOrVariable);
    if (/^[0-9]+$/.test(portOrVariable)) {
      port('EXPOSE port', Number(portOrVariable));
    } else if (!/^\$\{[A-Za-z_][A-Za-z0-9_]*\}$/.test(portOrVariable)) {
      throw invalid('EXPOSE port', portOrVariable, 'must be a port number or a build arg reference such as "${PORT}"');
    }
    super('EXPOSE', portOrVariable, options);
    this.port = portOrVariable;
  }
}

/** `ENTRYPOINT ["..."]`, exec form. */
export class EntrypointInstruction extends DockerfileInstruction {
  private readonly _argv: string[];

  constructor(argv: string[], options?: InstructionOptions) {
    super('ENTRYPOINT', execForm('ENTRYPOINT', argv), options);
    this._argv = [...argv];
  }

  /** The executable and its arguments. */
  public get argv(): string[] {
    return [...this._argv];
  }
}

/** `CMD ["..."]`, exec form. */
export class CmdInstruction extends DockerfileInstruction {
  private readonly _argv: string[];

  constructor(argv: string[], options?: InstructionOptions) {
    super('CMD', execForm('CMD', argv), options);
    this._argv = [...argv];
  }

  /** The executable and its arguments. */
  public get argv(): string[] {
    return [...this._argv];
  }
}

/** A container health probe, exec form (`HEALTHCHECK`). */
export interface HealthcheckProbe {
  /**
   * The probe, exec form: the binary and its arguments, e.g. `["/usr/local/bin/server", "health"]`.
   * Distroless images have no shell, curl or wget: probe with a binary of the image.
   */
  readonly command: string[];
  /**
   * Seconds between probes.
   * @default 30
   */
  readonly intervalSeconds?: number;
  /**
   * Seconds before a probe times out.
   * @default 5
   */
  readonly timeoutSeconds?: number;
  /**
   * Consecutive failures before the container is unhealthy.
   * @default 3
   */
  readonly retries?: number;
  /**
   * Seconds the service gets to start, during which failed probes do not count.
   * @default - none (Docker's default, 0)
   */
  readonly startPeriodSeconds?: number;
}

/** Options of a `HEALTHCHECK` instruction. */
export interface HealthcheckOptions extends HealthcheckProbe, InstructionOptions {}

/** `HEALTHCHECK ... CMD ["..."]`, exec form (a shell-form probe needs a shell the runtime may not have). */
export class HealthcheckInstruction extends DockerfileInstruction {
  private readonly _command: string[];

  constructor(options: HealthcheckOptions) {
    const flags = [
      `--interval=${positive('intervalSeconds', options.intervalSeconds ?? 30)}s`,
      `--timeout=${positive('timeoutSeconds', options.timeoutSeconds ?? 5)}s`,
      ...(options.startPeriodSeconds === undefined ? [] : [`--start-period=${positive('startPeriodSeconds', options.startPeriodSeconds)}s`]),
      `--retries=${positive('retries', options.retries ?? 3)}`,
    ];
    super('HEALTHCHECK', `${flags.join(' ')} CMD ${execForm('HEALTHCHECK', options.command)}`, options);
    this._command = [...options.command];
  }

  /** The probe: the binary and its arguments. */
  public get command(): string[] {
    return [...this._command];
  }
}

// ONBUILD is left out: its instruction runs in someone else's build, where no check here applies.
/** The keywords a raw instruction may have. */
export const RAW_KEYWORDS = ['ADD', 'ARG', 'CMD', 'COPY', 'ENTRYPOINT', 'ENV', 'EXPOSE', 'HEALTHCHECK', 'LABEL', 'RUN', 'SHELL', 'STOPSIGNAL', 'USER', 'VOLUME', 'WORKDIR'];

/**
 * Escape hatch: an instruction given as text, for what the typed kinds do not cover. A stage runs
 * the same checks and rules on it as on a typed one. Multi-line values use ` \` + newline
 * continuations.
 */
export class RawInstruction extends DockerfileInstruction {
  constructor(keyword: string, value: string, options?: InstructionOptions) {
    const kw = typeof keyword === 'string' ? keyword.toUpperCase() : keyword;
    if (!RAW_KEYWORDS.includes(kw)) {
      throw invalid('Dockerfile keyword', keyword, `must be one of ${RAW_KEYWORDS.join(', ')} (FROM is added with DockerfileModel.addStage)`);
    }
    if (typeof value !== 'string') throw invalid(`${kw} value`, value, 'must be a string');
    super(kw, value, options);
  }
}

function quote(option: string, value: string): string {
  noControlCharacters(option, value);
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

function quoteIfNeeded(option: string, value: string): string {
  noControlCharacters(option, value);
  return /^[A-Za-z0-9._/:@+-]*$/.test(value) && value !== '' ? value : quote(option, value);
}

function execForm(what: string, argv: string[]): string {
  if (!Array.isArray(argv) || argv.length === 0) {
    throw invalid(`${what} command`, argv, 'must be a non-empty list: the executable followed by its arguments (exec form)');
  }
  argv.forEach(a => noControlCharacters(`${what} argument`, a));
  return `[${argv.map(a => JSON.stringify(a)).join(', ')}]`;
}

function positive(option: string, n: number): number {
  if (!Number.isInteger(n) || n < 1) throw invalid(option, n, 'must be a positive integer');
  return n;
}
