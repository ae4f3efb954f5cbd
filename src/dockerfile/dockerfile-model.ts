import {
  ArgInstruction, CmdInstruction, CopyInstruction, CopyOptions, DockerfileInstruction, EntrypointInstruction, EnvInstruction,
  ExposeInstruction, HealthcheckInstruction, HealthcheckOptions, LabelInstruction, RAW_KEYWORDS, RawInstruction, RunInstruction, RunOptions,
  UserInstruction, WorkdirInstruction,
} from './instructions';
import { imageReference, invalid, noControlCharacters, nonRootUser, notASecret, port } from '../validation';

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
   * change when it is refused. Typed instructions are subclasses (`RunInstruction`,
   * `EnvInstruction`, ...); the raw escape hatch gives a `RawInstruction`, whose `keyword` and
   * `value` are all there is.
   * @param stage the stage the instruction is added to
   * @param instruction the instruction
   */
  check(stage: DockerfileStage, instruction: DockerfileInstruction): void;
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

  /** The instructions of this stage, in order (comments are attributes of them, never entries). */
  public get instructions(): DockerfileInstruction[] {
    return [...this._instructions];
  }

  /** `ARG name[=default]`. Defaults on BuildKit's automatic platform ARGs are refused. */
  public addArg(name: string, defaultValue?: string): DockerfileStage {
    return this.add(new ArgInstruction([{ name, defaultValue }]));
  }

  /** `ARG a b c`, several ARGs without defaults on one line. */
  public addArgs(names: string[]): DockerfileStage {
    return this.add(new ArgInstruction(names.map(name => ({ name }))));
  }

  /** `ENV name="value" ...` (values may reference `${ARG}`s). */
  public addEnv(variables: { [name: string]: string }, comment?: string): DockerfileStage {
    return this.add(new EnvInstruction(variables, { comment }));
  }

  /** `LABEL key="value" ...` (values may reference `${ARG}`s); nothing when `labels` is empty. */
  public addLabels(labels: { [key: string]: string }, comment?: string): DockerfileStage {
    if (Object.keys(labels).length === 0) return this;
    return this.add(new LabelInstruction(labels, { comment }));
  }

  /** `RUN [--mount ...] cmd && cmd`. Shell form; refused in a stage without a shell. */
  public addRun(options: RunOptions): DockerfileStage {
    return this.add(new RunInstruction(options));
  }

  /** `COPY [--from] [--chown] [--link] src... dest`. */
  public addCopy(options: CopyOptions): DockerfileStage {
    return this.add(new CopyInstruction(options));
  }

  /** `WORKDIR path`. */
  public addWorkdir(path: string): DockerfileStage {
    return this.add(new WorkdirInstruction(path));
  }

  /** `USER uid:gid` — numeric and non-root only. */
  public addUser(user: string): DockerfileStage {
    return this.add(new UserInstruction(user));
  }

  /** `EXPOSE port`. */
  public addExpose(portNumber: number): DockerfileStage {
    return this.add(new ExposeInstruction(String(port('EXPOSE port', portNumber))));
  }

  /** `ENTRYPOINT ["..."]`, exec form. */
  public addEntrypoint(argv: string[]): DockerfileStage {
    return this.add(new EntrypointInstruction(argv));
  }

  /** `CMD ["..."]`, exec form. */
  public addCmd(argv: string[]): DockerfileStage {
    return this.add(new CmdInstruction(argv));
  }

  /** `HEALTHCHECK ... CMD ["..."]`, exec form (a shell-form probe needs a shell the runtime may not have). */
  public addHealthcheck(options: HealthcheckOptions): DockerfileStage {
    return this.add(new HealthcheckInstruction(options));
  }

  /**
   * Escape hatch: adds any instruction as text (a `RawInstruction`). It goes through the same
   * checks as the typed methods: shell form without a shell, defaults on automatic platform ARGs,
   * credentials in ARG/ENV, HEALTHCHECK not in exec form, and the rules of the model (a GoService's
   * model refuses `go mod tidy`, `go get` and single-file `go build`; a PythonService's refuses
   * `--no-cache-dir` under a pip cache mount). Multi-line values must use ` \` + newline continuations.
   */
  public addInstruction(keyword: string, value: string, comment?: string): DockerfileStage {
    return this.add(new RawInstruction(keyword, value, { comment }));
  }

  /** Adds an instruction at the end, after the checks and the model's rules. */
  public add(instruction: DockerfileInstruction): DockerfileStage {
    this._instructions.push(this.checked(instruction));
    return this;
  }

  /**
   * Escape hatch: the first instruction with this keyword whose value (its continuations joined
   * into one line) contains `contains`.
   * @param keyword the keyword, e.g. `RUN` (any case)
   * @param contains text the value must contain
   * @default - contains: any instruction with the keyword
   * @returns the instruction, or `undefined` when the stage has none that matches
   */
  public tryFindInstruction(keyword: string, contains?: string): DockerfileInstruction | undefined {
    const kw = keyword.toUpperCase();
    return this._instructions.find(i => i.keyword === kw && (contains === undefined || flatten(i.value).includes(contains)));
  }

  /** Escape hatch: inserts an instruction right before one of this stage, after the checks of `add`. */
  public insertBefore(existing: DockerfileInstruction, instruction: DockerfileInstruction): DockerfileStage {
    const at = this.indexOf(existing);
    this._instructions.splice(at, 0, this.checked(instruction));
    return this;
  }

  /** Escape hatch: inserts an instruction right after one of this stage, after the checks of `add`. */
  public insertAfter(existing: DockerfileInstruction, instruction: DockerfileInstruction): DockerfileStage {
    const at = this.indexOf(existing);
    this._instructions.splice(at + 1, 0, this.checked(instruction));
    return this;
  }

  /** Escape hatch: puts an instruction in the place of one of this stage, after the checks of `add`. */
  public replace(existing: DockerfileInstruction, replacement: DockerfileInstruction): DockerfileStage {
    const at = this.indexOf(existing);
    if (replacement === existing) return this;
    this._instructions.splice(at, 1, this.checked(replacement));
    existing._stage = undefined;
    return this;
  }

  /** Escape hatch: removes an instruction of this stage. */
  public remove(existing: DockerfileInstruction): DockerfileStage {
    this._instructions.splice(this.indexOf(existing), 1);
    existing._stage = undefined;
    return this;
  }

  /**
   * A key of what the stage builds when the build gives every ARG a value: its `FROM` and its
   * instructions, without comments and without ARG defaults. Two stages with the same key build
   * the same step from the same sources, so one build of it can serve both.
   * @param ignoredRoles instructions with one of these roles are left out
   * @default - ignoredRoles: none
   */
  public buildKey(ignoredRoles?: string[]): string {
    const ignored = ignoredRoles ?? [];
    return JSON.stringify([
      this.name, this.platform, this.from,
      ...this._instructions.filter(i => i.role === undefined || !ignored.includes(i.role))
        .flatMap(i => i.keyword === 'ARG' ? argNames(i).map(n => `ARG ${n}`) : [`${i.keyword} ${i.value}`]),
    ]);
  }

  private indexOf(existing: DockerfileInstruction): number {
    const at = this._instructions.indexOf(existing);
    if (at < 0) {
      throw new Error(`The instruction "${existing.keyword} ${flatten(existing.value).slice(0, 60)}" is not in ${stageName(this)}: find it with tryFindInstruction on the stage that has it`);
    }
    return at;
  }

  /** An instruction that passed the generic checks and the model's rules. */
  private checked(instruction: DockerfileInstruction): DockerfileInstruction {
    if (!(instruction instanceof DockerfileInstruction)) {
      throw invalid('instruction', instruction, 'must be a DockerfileInstruction (RunInstruction, CopyInstruction, ..., or RawInstruction)');
    }
    if (instruction._stage !== undefined) {
      const where = instruction._stage === this ? stageName(this) : stageName(instruction._stage as DockerfileStage);
      throw new Error(`The instruction "${instruction.keyword} ${flatten(instruction.value).slice(0, 60)}" is already in ${where}: create a new one to add it again`);
    }
    checkInstruction(this, instruction);
    for (const rule of this._rules) rule.check(this, instruction);
    instruction._stage = this;
    return instruction;
  }

  /** Renders the stage. */
  public render(): string {
    const lines: string[] = [];
    if (this.comment) lines.push(`# ${this.comment}`);
    const platform = this.platform ? `--platform=${this.platform} ` : '';
    lines.push(`FROM ${platform}${this.from}${this.name ? ` AS ${this.name}` : ''}`);
    for (const ins of this._instructions) lines.push(ins.render());
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
      for (const ins of stage.instructions) rule.check(stage, ins);
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


/** The names an ARG instruction declares, typed or raw. */
function argNames(instruction: DockerfileInstruction): string[] {
  if (instruction instanceof ArgInstruction) return instruction.names;
  return argDeclarations(flatten(instruction.value), 'an ARG').map(([, name]) => name);
}

/**
 * The shell commands of a RUN: a `RunInstruction`'s commands, or the text of a raw one (its
 * `--mount` flags left out, continuations joined), for rules that must also see the escape hatch.
 * Empty for any other instruction.
 */
export function shellCommands(instruction: DockerfileInstruction): string[] {
  if (instruction instanceof RunInstruction) return instruction.commands;
  if (instruction.keyword !== 'RUN') return [];
  return [flatten(instruction.value).replace(/--mount=\S+\s*/g, '').trim()];
}

/** The `type=cache` mount targets of a RUN, typed or raw. */
export function cacheMountTargets(instruction: DockerfileInstruction): string[] {
  if (instruction instanceof RunInstruction) return instruction.mounts.filter(m => m.type === 'cache').map(m => m.target);
  if (instruction.keyword !== 'RUN') return [];
  return [...flatten(instruction.value).matchAll(/--mount=(\S+)/g)]
    .map(m => Object.fromEntries(m[1].split(',').map(kv => [kv.split('=')[0], kv.split('=').slice(1).join('=')])))
    .filter(o => o.type === 'cache' && o.target).map(o => o.target);
}

/** The names an ENV instruction sets, typed or raw. */
function envNames(instruction: DockerfileInstruction): string[] {
  if (instruction instanceof EnvInstruction) return Object.keys(instruction.variables);
  return [...flatten(instruction.value).matchAll(/(?:^|\s)([A-Za-z_][A-Za-z0-9_]*)=/g)].map(m => m[1]);
}

/** The program of an exec-form instruction (typed, or raw in JSON form), if known. */
function execProgram(instruction: DockerfileInstruction): unknown {
  if (instruction instanceof EntrypointInstruction || instruction instanceof CmdInstruction) return instruction.argv[0];
  if (instruction instanceof HealthcheckInstruction) return instruction.command[0];
  const flat = flatten(instruction.value);
  const json = instruction.keyword === 'HEALTHCHECK' ? flat.slice(flat.indexOf('[')) : flat;
  try {
    return JSON.parse(json)[0];
  } catch {
    return undefined;
  }
}

/**
 * The single place where instructions that built broken images in the field are refused. Typed
 * instructions are checked by their fields; raw ones by their text.
 */
function checkInstruction(stage: DockerfileStage, instruction: DockerfileInstruction): void {
  const { keyword, value } = instruction;
  if (!RAW_KEYWORDS.includes(keyword)) {
    throw invalid('Dockerfile keyword', keyword, `must be one of ${RAW_KEYWORDS.join(', ')} (FROM is added with DockerfileModel.addStage)`);
  }
  if (typeof value !== 'string') throw invalid(`${keyword} value`, value, 'must be a string');
  if (value.split(' \\\n').some(line => /[\u0000-\u001f\u007f]/.test(line))) {
    throw invalid(`${keyword} value`, value, 'must not contain newlines except " \\" line continuations, nor other control characters');
  }
  if (value.split(' \\\n').some(line => line.endsWith('\\'))) {
    throw invalid(`${keyword} value`, value, 'must not end a line with a backslash: it would join the next instruction to this one');
  }
  const where = stageName(stage);
  const flat = flatten(value);
  const raw = instruction instanceof RawInstruction;
  switch (keyword) {
    case 'RUN':
      // a typed RUN is shell form; a raw one may be exec form
      if (!stage.hasShell && (!raw || !shellCommands(instruction)[0].startsWith('['))) {
        throw new Error(`Shell-form RUN in ${where}, whose base image "${stage.from}" has no shell: use a builder stage, or exec form (["/bin/tool", "arg"])`);
      }
      break;
    case 'ARG': {
      const declarations: Array<[string, boolean]> = instruction instanceof ArgInstruction
        ? instruction.declarations.map(d => [d.name, d.defaultValue !== undefined])
        : argDeclarations(flat, where).map(([, name, hasDefault]) => [name, hasDefault]);
      for (const [name, hasDefault] of declarations) {
        if (hasDefault && AUTOMATIC_PLATFORM_ARGS.includes(name)) {
          throw new Error(`ARG ${name} must not have a default (${where}): BuildKit sets it for each platform, and a default can override it and put one architecture's binary in every image`);
        }
        notASecret('ARG name', name);
      }
      break;
    }
    case 'ENV':
      for (const name of envNames(instruction)) {
        notASecret('ENV name', name);
        if (AUTOMATIC_PLATFORM_ARGS.includes(name)) {
          throw new Error(`ENV ${name} in ${where} pins a platform for every build: BuildKit sets it for each platform; declare "ARG ${name}" without a default instead`);
        }
      }
      break;
    case 'HEALTHCHECK':
      if (raw) checkRawHealthcheck(flat);
      if (/CMD\s+\[/.test(flat)) needsNoShellTool(stage, keyword, where, execProgram(instruction));
      break;
    case 'CMD':
    case 'ENTRYPOINT':
      if (!stage.hasShell && !flat.startsWith('[')) {
        throw new Error(`Shell-form ${keyword} in ${where}, whose base image "${stage.from}" has no shell: use exec form (a JSON array)`);
      }
      if (flat.startsWith('[')) needsNoShellTool(stage, keyword, where, execProgram(instruction));
      break;
    case 'USER':
      if (raw) nonRootUser('USER', flat);
      break;
    default:
      break;
  }
}

/** A raw HEALTHCHECK: `NONE`, or options then an exec-form CMD and nothing after it. */
function checkRawHealthcheck(flat: string): void {
  if (!/^NONE$/.test(flat) && !/^(--[a-z-]+=\S+\s+)*CMD\s+\[.*\]$/.test(flat)) {
    throw invalid('HEALTHCHECK', flat, 'must be "NONE" or "[--option=value ...] CMD [\\"binary\\", \\"arg\\"]" in exec form (a shell-form probe needs a shell)');
  }
  if (/CMD\s+\[/.test(flat)) {
    try {
      const parsed = JSON.parse(flat.slice(flat.indexOf('[')));
      if (!Array.isArray(parsed) || parsed.some((x: unknown) => typeof x !== 'string')) throw new Error();
    } catch {
      throw invalid('HEALTHCHECK', flat, 'its CMD must be a JSON array of strings and nothing after it (e.g. no "|| exit 1")');
    }
  }
}
