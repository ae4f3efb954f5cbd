import { Mount } from './mount';
import { imageReference, invalid, noControlCharacters, nonRootUser, notASecret, port, variableName } from '../validation';

/** The platform ARGs BuildKit sets itself; a default on them can override the real value. */
export const AUTOMATIC_PLATFORM_ARGS = [
  'BUILDPLATFORM', 'BUILDOS', 'BUILDARCH', 'BUILDVARIANT',
  'TARGETPLATFORM', 'TARGETOS', 'TARGETARCH', 'TARGETVARIANT',
];

/**
 * A check that refuses instructions known to build broken images. The generic model checks what
 * holds for every Dockerfile; services register rules for their own toolchain (Go, pip).
 */
export interface IDockerfileRule {
  /**
   * Checks an instruction before it is added to a stage, and throws an Error that says what to
   * change when it is refused.
   * @param stage the stage the instruction is added to
   * @param keyword the instruction keyword, upper case (`RUN`, `ENV`, ...)
   * @param value the instruction's value, with line continuations joined into one line
   */
  check(stage: DockerfileStage, keyword: string, value: string): void;
}

/** Options of a build stage. */
export interface DockerfileStageOptions {
  /** The base image (`FROM <image>`), or the name of an earlier stage. */
  readonly from: string;
  /**
   * The stage name (`AS <name>`).
   * @default - an unnamed stage
   */
  readonly name?: string;
  /**
   * The platform the stage runs on, e.g. `$BUILDPLATFORM` for a cross-compiling builder.
   * @default - the target platform
   */
  readonly platform?: string;
  /**
   * Whether the base image has a shell. Shell-form `RUN`, `CMD`, `ENTRYPOINT` and `HEALTHCHECK` are
   * refused in a stage without one.
   * @default - false for `scratch` and distroless or chainguard static images, true otherwise
   */
  readonly hasShell?: boolean;
  /**
   * A comment written above the `FROM` line.
   * @default - no comment
   */
  readonly comment?: string;
}

/** Options of a `RUN` instruction. */
export interface RunOptions {
  /**
   * Shell commands, joined with `&&`. Each is one line (no newlines).
   */
  readonly commands: string[];
  /**
   * Mounts for this step (cache, bind, secret).
   * @default []
   */
  readonly mounts?: Mount[];
  /**
   * A comment written above the instruction.
   * @default - no comment
   */
  readonly comment?: string;
}

/** Options of a `COPY` instruction. */
export interface CopyOptions {
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
  /**
   * A comment written above the instruction.
   * @default - no comment
   */
  readonly comment?: string;
}

/** Options of a `HEALTHCHECK` instruction. */
export interface HealthcheckOptions {
  /** The probe, exec form: the binary and its arguments. Distroless images have no shell. */
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
}

/** One instruction of a stage, as rendered (escape hatch: read, remove, or add raw ones). */
export interface DockerfileInstruction {
  /** The keyword, e.g. `RUN`. */
  readonly keyword: string;
  /** Everything after the keyword, possibly spanning lines joined with ` \` continuations. */
  readonly value: string;
  /**
   * A comment written above the instruction.
   * @default - no comment
   */
  readonly comment?: string;
}

// ONBUILD is left out: its instruction runs in someone else's build, where no check here applies.
const KEYWORDS = ['ADD', 'ARG', 'CMD', 'COPY', 'ENTRYPOINT', 'ENV', 'EXPOSE', 'HEALTHCHECK', 'LABEL', 'RUN', 'SHELL', 'STOPSIGNAL', 'USER', 'VOLUME', 'WORKDIR'];
const CONTINUATION = ' \\\n    ';

/**
 * One stage of a Dockerfile: `FROM` and its instructions. Every add method validates its input,
 * and the raw `addInstruction` escape hatch runs the same checks on what it is given.
 */
export class DockerfileStage {
  /** The base image or earlier stage. */
  public readonly from: string;
  /** The stage name, if any. */
  public readonly name?: string;
  /** The `--platform` of the `FROM` line, if any. */
  public readonly platform?: string;
  /** Whether the base has a shell. */
  public readonly hasShell: boolean;
  /** A comment above the `FROM` line. */
  public readonly comment?: string;
  private readonly _instructions: DockerfileInstruction[] = [];
  private _rules: IDockerfileRule[] = [];

  constructor(options: DockerfileStageOptions) {
    this.from = options.from.startsWith('$') ? noControlCharacters('from', options.from) : imageReferenceOrStage(options.from);
    if (options.name !== undefined && !/^[a-z][a-z0-9_.-]*$/.test(options.name)) {
      throw invalid('stage name', options.name, 'must start with a lowercase letter and contain only lowercase letters, digits, "_", "." and "-"');
    }
    this.name = options.name;
    if (options.platform !== undefined) {
      noControlCharacters('stage platform', options.platform);
      if (!/^(\$[A-Z_]+|\$\{[A-Z_]+\}|[a-z0-9]+\/[a-z0-9]+(\/[a-z0-9]+)?)$/.test(options.platform)) {
        throw invalid('stage platform', options.platform, 'must be "$BUILDPLATFORM", "$TARGETPLATFORM" or an os/arch[/variant] platform');
      }
    }
    this.platform = options.platform;
    this.hasShell = options.hasShell ?? !isShellless(options.from);
    this.comment = options.comment === undefined ? undefined : noControlCharacters('comment', options.comment);
  }

  /**
   * @internal
   * Checks instructions with the rules of the model the stage belongs to (shared, so a rule added to
   * the model later applies to every stage).
   */
  public _useRules(rules: IDockerfileRule[]): void {
    this._rules = rules;
  }

  /** The instructions of this stage, in order. */
  public get instructions(): DockerfileInstruction[] {
    return [...this._instructions];
  }

  /** `ARG name[=default]`. Defaults on BuildKit's automatic platform ARGs are refused. */
  public addArg(name: string, defaultValue?: string): DockerfileStage {
    variableName('ARG name', name);
    const value = defaultValue === undefined ? name : `${name}=${quoteIfNeeded('ARG default', defaultValue)}`;
    return this.addInstruction('ARG', value);
  }

  /** `ARG a b c`, several ARGs without defaults on one line. */
  public addArgs(names: string[]): DockerfileStage {
    return this.addInstruction('ARG', names.map(n => variableName('ARG name', n)).join(' '));
  }

  /** `ENV name="value" ...` (values may reference `${ARG}`s). */
  public addEnv(variables: { [name: string]: string }, comment?: string): DockerfileStage {
    const entries = Object.entries(variables).map(([k, v]) => `${variableName('ENV name', k)}=${quote('ENV value', v)}`);
    return this.addInstruction('ENV', entries.join(CONTINUATION), comment);
  }

  /** `LABEL key="value" ...` (values may reference `${ARG}`s). */
  public addLabels(labels: { [key: string]: string }, comment?: string): DockerfileStage {
    const entries = Object.entries(labels).map(([k, v]) => {
      if (!/^[a-z0-9][a-z0-9._-]*$/.test(k)) {
        throw invalid('label key', k, 'must be lowercase letters, digits, ".", "_" and "-", e.g. "org.opencontainers.image.version"');
      }
      return `${k}=${quote('label value', v)}`;
    });
    if (entries.length === 0) return this;
    return this.addInstruction('LABEL', entries.join(CONTINUATION), comment);
  }

  /** `RUN [--mount ...] cmd && cmd`. Shell form; refused in a stage without a shell. */
  public addRun(options: RunOptions): DockerfileStage {
    return this.addInstruction('RUN', runValue(options), options.comment);
  }

  /** Escape hatch: `RUN` at a position (see `findInstruction`), with the checks of `addRun`. */
  public insertRun(position: number, options: RunOptions): DockerfileStage {
    return this.insertInstruction(position, 'RUN', runValue(options), options.comment);
  }

  /** Escape hatch: replaces the instruction at a position (see `findInstruction`) with a `RUN`, with the checks of `addRun`. */
  public replaceRun(position: number, options: RunOptions): DockerfileStage {
    return this.replaceInstruction(position, 'RUN', runValue(options), options.comment);
  }

  /** `COPY [--from] [--chown] [--link] src... dest`. */
  public addCopy(options: CopyOptions): DockerfileStage {
    if (options.sources.length === 0) {
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
    return this.addInstruction('COPY', [...flags, ...paths].join(' '), options.comment);
  }

  /** `WORKDIR path`. */
  public addWorkdir(path: string): DockerfileStage {
    if (!path.startsWith('/') || /[\s"'\\]/.test(path)) {
      throw invalid('WORKDIR', path, 'must be an absolute path without spaces or quotes');
    }
    return this.addInstruction('WORKDIR', path);
  }

  /** `USER uid:gid` — numeric and non-root only. */
  public addUser(user: string): DockerfileStage {
    return this.addInstruction('USER', nonRootUser('USER', user));
  }

  /** `EXPOSE port`. */
  public addExpose(portNumber: number): DockerfileStage {
    return this.addInstruction('EXPOSE', String(port('EXPOSE port', portNumber)));
  }

  /** `ENTRYPOINT ["..."]`, exec form. */
  public addEntrypoint(argv: string[]): DockerfileStage {
    return this.addInstruction('ENTRYPOINT', execForm('ENTRYPOINT', argv));
  }

  /** `CMD ["..."]`, exec form. */
  public addCmd(argv: string[]): DockerfileStage {
    return this.addInstruction('CMD', execForm('CMD', argv));
  }

  /** `HEALTHCHECK ... CMD ["..."]`, exec form (a shell-form probe needs a shell the runtime may not have). */
  public addHealthcheck(options: HealthcheckOptions): DockerfileStage {
    const flags = [
      `--interval=${positive('intervalSeconds', options.intervalSeconds ?? 30)}s`,
      `--timeout=${positive('timeoutSeconds', options.timeoutSeconds ?? 5)}s`,
      `--retries=${positive('retries', options.retries ?? 3)}`,
    ];
    return this.addInstruction('HEALTHCHECK', `${flags.join(' ')} CMD ${execForm('HEALTHCHECK', options.command)}`);
  }

  /** A comment line of its own, above the next instruction. */
  public addComment(text: string): DockerfileStage {
    this._instructions.push({ keyword: '#', value: noControlCharacters('comment', text) });
    return this;
  }

  /**
   * Escape hatch: adds any instruction. It goes through the same checks as the typed methods: shell
   * form without a shell, defaults on automatic platform ARGs, credentials in ARG/ENV, HEALTHCHECK not
   * in exec form, and the rules of the model (a GoService's model refuses `go mod tidy`, `go get` and
   * single-file `go build`; a PythonService's refuses `--no-cache-dir` under a pip cache mount).
   * Multi-line values must use ` \` + newline continuations.
   */
  public addInstruction(keyword: string, value: string, comment?: string): DockerfileStage {
    this._instructions.push(this.checked(keyword, value, comment));
    return this;
  }

  /**
   * Escape hatch: the position of the first instruction with this keyword whose value contains
   * `match` (every one of the keyword when `match` is omitted), or -1. Comments count as positions.
   */
  public findInstruction(keyword: string, match?: string): number {
    return this._instructions.findIndex(ins => ins.keyword === keyword.toUpperCase() && (match === undefined || ins.value.includes(match)));
  }

  /**
   * Escape hatch: inserts an instruction at a position (0 is right after `FROM`; see
   * `findInstruction`). It goes through the same checks as `addInstruction`.
   */
  public insertInstruction(position: number, keyword: string, value: string, comment?: string): DockerfileStage {
    if (!Number.isInteger(position) || position < 0 || position > this._instructions.length) {
      throw invalid('instruction position', position, `must be an integer from 0 to ${this._instructions.length} (the stage has ${this._instructions.length} instructions)`);
    }
    const instruction = this.checked(keyword, value, comment);
    this._instructions.splice(position, 0, instruction);
    return this;
  }

  /** Escape hatch: replaces the instruction at a position (see `findInstruction`), with the same checks as `addInstruction`. */
  public replaceInstruction(position: number, keyword: string, value: string, comment?: string): DockerfileStage {
    if (!Number.isInteger(position) || position < 0 || position >= this._instructions.length) {
      throw invalid('instruction position', position, `must be an integer from 0 to ${this._instructions.length - 1} (the stage has ${this._instructions.length} instructions)`);
    }
    const instruction = this.checked(keyword, value, comment);
    this._instructions.splice(position, 1, instruction);
    return this;
  }

  /** Escape hatch: removes every instruction with this keyword whose value contains `match`; returns how many. */
  public removeInstructions(keyword: string, match?: string): number {
    const before = this._instructions.length;
    for (let i = this._instructions.length - 1; i >= 0; i--) {
      const ins = this._instructions[i];
      if (ins.keyword === keyword.toUpperCase() && (match === undefined || ins.value.includes(match))) {
        this._instructions.splice(i, 1);
      }
    }
    return before - this._instructions.length;
  }

  /** An instruction that passed the generic checks and the model's rules. */
  private checked(keyword: string, value: string, comment?: string): DockerfileInstruction {
    const kw = keyword.toUpperCase();
    if (!KEYWORDS.includes(kw)) {
      throw invalid('Dockerfile keyword', keyword, `must be one of ${KEYWORDS.join(', ')} (FROM is added with DockerfileModel.addStage)`);
    }
    checkInstruction(this, kw, value);
    const flat = flatten(value);
    for (const rule of this._rules) rule.check(this, kw, flat);
    return { keyword: kw, value, comment: comment === undefined ? undefined : noControlCharacters('comment', comment) };
  }

  /** Renders the stage. */
  public render(): string {
    const lines: string[] = [];
    if (this.comment) lines.push(`# ${this.comment}`);
    const platform = this.platform ? `--platform=${this.platform} ` : '';
    lines.push(`FROM ${platform}${this.from}${this.name ? ` AS ${this.name}` : ''}`);
    for (const ins of this._instructions) {
      if (ins.keyword === '#') {
        lines.push(`# ${ins.value}`);
        continue;
      }
      if (ins.comment) lines.push(`# ${ins.comment}`);
      lines.push(`${ins.keyword} ${ins.value}`);
    }
    return lines.join('\n');
  }
}

/** Options of a Dockerfile model. */
export interface DockerfileModelOptions {
  /**
   * The `# syntax=` directive (the frontend image). Empty string omits the line.
   * @default - the pipeline's `dockerfileSyntax`
   */
  readonly syntax?: string;
}

/**
 * A typed Dockerfile: stages of validated instructions, rendered in order. Services expose theirs
 * as an escape hatch (`service.dockerfile`) for adding or removing instructions.
 */
export class DockerfileModel {
  /** The `# syntax=` directive; `undefined` uses the pipeline's setting, `''` omits it. */
  public syntax?: string;
  private readonly _stages: DockerfileStage[] = [];
  private readonly _rules: IDockerfileRule[] = [];

  constructor(options: DockerfileModelOptions = {}) {
    this.syntax = options.syntax;
  }

  /** The stages, in order. */
  public get stages(): DockerfileStage[] {
    return [...this._stages];
  }

  /** Adds a stage at the end. */
  public addStage(options: DockerfileStageOptions): DockerfileStage {
    if (options.name && this.tryFindStage(options.name)) {
      throw new Error(`The Dockerfile already has a stage named "${options.name}"; stage names must be unique`);
    }
    const stage = new DockerfileStage(options);
    stage._useRules(this._rules);
    this._stages.push(stage);
    return stage;
  }

  /**
   * Adds a rule that every instruction of every stage must pass: the ones already there (so a rule
   * cannot be dodged by adding it late) and every one added after.
   */
  public addRule(rule: IDockerfileRule): void {
    for (const stage of this._stages) {
      for (const ins of stage.instructions) {
        if (ins.keyword !== '#') rule.check(stage, ins.keyword, flatten(ins.value));
      }
    }
    this._rules.push(rule);
  }

  /** Finds a stage by name. */
  public tryFindStage(name: string): DockerfileStage | undefined {
    return this._stages.find(s => s.name === name);
  }

  /**
   * Whether a stage that runs on the target platform runs a command: building for another
   * architecture then needs emulation (QEMU) or a native node. A cross-compiling builder on
   * `$BUILDPLATFORM` and a runtime that only copies files need neither.
   */
  public get runsOnTargetPlatform(): boolean {
    // a stage built FROM an earlier stage runs on that stage's platform
    const platformOf = (stage: DockerfileStage): string | undefined => {
      if (stage.platform !== undefined) return stage.platform;
      const parent = this._stages.slice(0, this._stages.indexOf(stage)).find(s => s.name === stage.from);
      return parent ? platformOf(parent) : undefined;
    };
    return this._stages.some(s => !/^\$\{?BUILDPLATFORM\}?$/.test(platformOf(s) ?? '') && s.instructions.some(i => i.keyword === 'RUN'));
  }

  /** The last stage: the image that is built when no target is given. */
  public get finalStage(): DockerfileStage {
    if (this._stages.length === 0) throw new Error('The Dockerfile has no stages');
    return this._stages[this._stages.length - 1];
  }

  /**
   * Renders the Dockerfile.
   * @param marker a comment placed after the syntax directive (the projen marker)
   * @param defaultSyntax the syntax directive used when `syntax` is undefined
   */
  public render(marker?: string, defaultSyntax?: string): string {
    const syntax = this.syntax ?? defaultSyntax ?? '';
    const head: string[] = [];
    if (syntax) head.push(`# syntax=${imageReference('dockerfileSyntax', syntax)}`);
    if (marker) head.push(`# ${marker}`);
    const body = this._stages.map(s => s.render());
    return [head.join('\n'), ...body].filter(x => x).join('\n\n') + '\n';
  }
}

/** The value of a RUN instruction: its mounts, then its commands joined with `&&`. */
function runValue(options: RunOptions): string {
  if (options.commands.length === 0) {
    throw new Error('RUN needs at least one command in "commands"');
  }
  options.commands.forEach(c => noControlCharacters('RUN command', c));
  return [...(options.mounts ?? []).map(m => m.render()), options.commands.join(` &&${CONTINUATION}`)].join(CONTINUATION);
}

function imageReferenceOrStage(from: string): string {
  return /^[a-z][a-z0-9_.-]*$/.test(from) ? from : imageReference('FROM image', from);
}

/** Programs a shell-less runtime (distroless, scratch) does not have, though probes often call them. */
const SHELL_TOOLS = ['sh', 'bash', 'ash', 'dash', 'zsh', 'curl', 'wget', 'nc'];

/** Refuses an exec-form command whose program is a shell or a shell tool, in a stage without a shell. */
function needsNoShellTool(stage: DockerfileStage, keyword: string, where: string, program: unknown): void {
  if (stage.hasShell || typeof program !== 'string') return;
  const base = program.split('/').pop()!;
  if (SHELL_TOOLS.includes(base)) {
    throw new Error(`${keyword} in ${where} runs "${program}", which the base image "${stage.from}" does not have (no shell, no ${SHELL_TOOLS.slice(4).join('/')}): run a binary of the image, e.g. ["/usr/local/bin/app", "healthcheck"], or use a runtime with a shell (runtimeHasShell)`);
  }
}

/** Images known to ship without a shell. */
export function isShellless(image: string): boolean {
  return image === 'scratch' || /distroless/.test(image) || /chainguard\/static|cgr\.dev\/chainguard\/static/.test(image);
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

/** An instruction value with its ` \` line continuations joined into one line. */
export function flatten(value: string): string {
  return value.replace(/ \\\n\s*/g, ' ');
}

/** How errors name a stage: `stage builder`, or `stage <image>` for an unnamed one. */
export function stageName(stage: DockerfileStage): string {
  return `stage ${stage.name ?? stage.from}`;
}

/** `ARG a b=1 c="x y"` → [[text, name, hasDefault], ...]; throws on anything else. */
function argDeclarations(flat: string, where: string): Array<[string, string, boolean]> {
  const out: Array<[string, string, boolean]> = [];
  const re = /\s*([A-Za-z_][A-Za-z0-9_]*)(=(?:"(?:[^"\\]|\\.)*"|[^\s"]*))?/y;
  let i = 0;
  while (i < flat.length) {
    re.lastIndex = i;
    const m = re.exec(flat);
    if (!m || m[0].length === 0) throw invalid('ARG', flat, `in ${where} must be NAME or NAME=value declarations`);
    out.push([m[0], m[1], m[2] !== undefined]);
    notASecret('ARG name', m[1]);
    i = re.lastIndex;
    if (i < flat.length && !/\s/.test(flat[i])) throw invalid('ARG', flat, `in ${where} must be NAME or NAME=value declarations`);
  }
  return out;
}

/**
 * The single place where instructions that built broken images in the field are refused.
 */
function checkInstruction(stage: DockerfileStage, keyword: string, value: string): void {
  if (value.split(' \\\n').some(line => /[\u0000-\u001f\u007f]/.test(line))) {
    throw invalid(`${keyword} value`, value, 'must not contain newlines except " \\" line continuations, nor other control characters');
  }
  if (value.split(' \\\n').some(line => line.endsWith('\\'))) {
    throw invalid(`${keyword} value`, value, 'must not end a line with a backslash: it would join the next instruction to this one');
  }
  const where = stageName(stage);
  const flat = flatten(value);
  switch (keyword) {
    case 'RUN': {
      const command = flat.replace(/--mount=\S+\s*/g, '').trim();
      if (!stage.hasShell && !command.startsWith('[')) {
        throw new Error(`Shell-form RUN in ${where}, whose base image "${stage.from}" has no shell: use a builder stage, or exec form (["/bin/tool", "arg"])`);
      }
      break;
    }
    case 'ARG':
      for (const [, name, hasDefault] of argDeclarations(flat, where)) {
        if (hasDefault && AUTOMATIC_PLATFORM_ARGS.includes(name)) {
          throw new Error(`ARG ${name} must not have a default (${where}): BuildKit sets it for each platform, and a default can override it and put one architecture's binary in every image`);
        }
        notASecret('ARG name', name);
      }
      break;
    case 'ENV':
      for (const m of flat.matchAll(/(?:^|\s)([A-Za-z_][A-Za-z0-9_]*)=/g)) {
        notASecret('ENV name', m[1]);
        if (AUTOMATIC_PLATFORM_ARGS.includes(m[1])) {
          throw new Error(`ENV ${m[1]} in ${where} pins a platform for every build: BuildKit sets it for each platform; declare "ARG ${m[1]}" without a default instead`);
        }
      }
      break;
    case 'HEALTHCHECK':
      if (!/^NONE$/.test(flat) && !/^(--[a-z-]+=\S+\s+)*CMD\s+\[.*\]$/.test(flat)) {
        throw invalid('HEALTHCHECK', flat, 'must be "NONE" or "[--option=value ...] CMD [\\"binary\\", \\"arg\\"]" in exec form (a shell-form probe needs a shell)');
      }
      if (/CMD\s+\[/.test(flat)) {
        const json = flat.slice(flat.indexOf('['));
        try {
          const parsed = JSON.parse(json);
          if (!Array.isArray(parsed) || parsed.some((x: unknown) => typeof x !== 'string')) throw new Error();
        } catch {
          throw invalid('HEALTHCHECK', flat, 'its CMD must be a JSON array of strings and nothing after it (e.g. no "|| exit 1")');
        }
        needsNoShellTool(stage, keyword, where, JSON.parse(json)[0]);
      }
      break;
    case 'CMD':
    case 'ENTRYPOINT':
      if (!stage.hasShell && !flat.startsWith('[')) {
        throw new Error(`Shell-form ${keyword} in ${where}, whose base image "${stage.from}" has no shell: use exec form (a JSON array)`);
      }
      if (flat.startsWith('[')) {
        try {
          needsNoShellTool(stage, keyword, where, JSON.parse(flat)[0]);
        } catch (e) {
          if (!(e instanceof SyntaxError)) throw e;
        }
      }
      break;
    case 'USER':
      nonRootUser('USER', flat);
      break;
    default:
      break;
  }
}
