import { invalid, noControlCharacters, variableName } from '../validation';

/** A Make variable the user or CI can override (`make build-multiarch VERSION=1.2.3`). */
export interface MakeVariable {
  /** The name, e.g. `REGISTRY`. */
  readonly name: string;
  /** The default, a Make expression (may use `$(shell ...)`). */
  readonly default: string;
  /** One line shown by `make help`. */
  readonly description: string;
  /**
   * Evaluate the default once per `make` run (`X ?= …` then `X := $(X)`), so values such as
   * BUILD_DATE do not change between recipes.
   * @default false
   */
  readonly evaluateOnce?: boolean;
  /**
   * The characters a value given on the command line or in the environment may hold, listed one
   * by one: any other character stops make before any recipe runs, so such a value is data, never
   * code. Never "$", "#", "(", ")", quotes, backslashes or control characters.
   * @default - not checked (for variables that reach no shell)
   */
  readonly allowedCharacters?: string;
  /**
   * allowedCharacters in words, for the error message, e.g. `letters, digits, "_", "." and "-"`.
   * @default - the characters themselves
   */
  readonly allowedDescription?: string;
  /**
   * A value given on the command line or in the environment must not be empty.
   * @default false
   */
  readonly required?: boolean;
  /**
   * A value given on the command line or in the environment may start with "-" (flag lists only:
   * anywhere else it would read as an option).
   * @default false
   */
  readonly allowLeadingDash?: boolean;
}

/** Characters a checked value may never hold: Make and shell syntax. */
const NEVER_ALLOWED = /[$#()'"`\\;|&<>\u0000-\u001f\u007f]/;

/**
 * The input checks: every variable with allowedCharacters, when its value comes from the command
 * line or the environment (the origins a user or CI controls), is checked with `$(value …)`, which
 * does not expand it, so `VERSION='$(shell …)'` stops make instead of running. Pure Make (GNU make
 * 3.81): `input_strip` removes the allowed characters, listed one per word, one `$(subst)` at a
 * time; what is left is what is not allowed.
 */
function renderInputChecks(variables: MakeVariable[]): string[] {
  const checked = variables.filter(v => v.allowedCharacters !== undefined);
  if (!checked.length) return [];
  const sets = [...new Set(checked.map(v => v.allowedCharacters!))];
  const out = [
    '',
    '# Values from the command line or the environment are data, never code: each must match its grammar before any recipe runs.',
    '# $(value X) reads a value without expanding it; input_strip_N removes the characters input_allowed_N lists, leaving any other.',
    'input_from_user = $(filter command line environment environment override override,$(origin $(1)))',
    'input_empty :=',
    'input_space := $(input_empty) $(input_empty)',
    'input_comma := ,',
    '# $(call input_strip,<text>,<characters, one per word>): the text without those characters',
    'input_strip = $(if $(2),$(call input_strip,$(subst $(firstword $(2)),,$(1)),$(wordlist 2,$(words $(2)),$(2))),$(1))',
    ...Object.entries(CHARACTER_RUNS).map(([name, run]) => `input_${name} = ${[...run].join(' ')}`),
    '# $(call input_check,<variable>,<N>,<required: non-empty>,<flags: may start with "-">)',
    'input_check = $(if $(call input_from_user,$(1)),$(if $(call input_strip_$(2),$(value $(1))),$(error $(1) may only hold $(input_allowed_$(2)); not "$(value $(1))"))' +
      '$(if $(3),$(if $(value $(1)),,$(error $(1) must not be empty)))$(if $(4),,$(if $(filter -%,$(value $(1))),$(error $(1) must not start with "-", which would read as an option: "$(value $(1))"))))',
  ];
  sets.forEach((chars, i) => {
    if (NEVER_ALLOWED.test(chars)) throw new Error(`allowedCharacters ${JSON.stringify(chars)} holds Make or shell syntax ($, #, parentheses, quotes, backslashes, ;|&<> or control characters)`);
    const allowed = checked.find(v => v.allowedCharacters === chars)!.allowedDescription ?? `the characters ${chars}`;
    noControlCharacters('allowedDescription', allowed);
    if (/[$#()]/.test(allowed)) throw new Error(`allowedDescription must not hold "$", "#" or parentheses: ${JSON.stringify(allowed)}`);
    const unique = [...new Set([...chars])];
    const runs = Object.entries(CHARACTER_RUNS).filter(([, run]) => [...run].every(c => unique.includes(c)));
    const others = unique.filter(c => c !== ' ' && !runs.some(([, run]) => run.includes(c)));
    // a space cannot be a word of the list: it is removed first, where it is allowed
    const text = unique.includes(' ') ? '$(subst $(input_space),,$(1))' : '$(1)';
    const list = [...runs.map(([name]) => `$(input_${name})`), ...others.map(c => c === ',' ? '$(input_comma)' : c)].join(' ');
    out.push(`input_allowed_${i + 1} = ${allowed}`, `input_strip_${i + 1} = $(call input_strip,${text},${list})`);
  });
  for (const v of checked) {
    out.push(`$(call input_check,${v.name},${sets.indexOf(v.allowedCharacters!) + 1},${v.required ? 'required' : ''},${v.allowLeadingDash ? 'flags' : ''})`);
  }
  return out;
}

/** Runs of characters the input checks name, so the lists stay short. */
const CHARACTER_RUNS: { [name: string]: string } = {
  lowercase: 'abcdefghijklmnopqrstuvwxyz',
  uppercase: 'ABCDEFGHIJKLMNOPQRSTUVWXYZ',
  digits: '0123456789',
};

/** A Make target. */
export interface MakeTarget {
  /** The target name. */
  readonly name: string;
  /** One line shown by `make help`. */
  readonly description: string;
  /**
   * Targets that run first (each at most once per `make` invocation).
   * @default []
   */
  readonly prerequisites?: string[];
  /**
   * Recipe lines, each run by bash as written (`bash -c`, no strict flags: a line of several
   * commands goes on after a failure unless it says `set -e`). A line may span lines with ` \`
   * continuations.
   * @default []
   */
  readonly recipe?: string[];
  /**
   * Listed by `make help`.
   * @default true
   */
  readonly listed?: boolean;
  /**
   * Targets this one must wait for when they are requested in the same `make` call (order-only,
   * so `make -j build-multiarch build-verify` verifies after building, and `make build-verify`
   * alone builds nothing).
   * @default []
   */
  readonly runsAfter?: string[];
  /**
   * Target-specific variables (`target: NAME = value`), which make also gives the prerequisites it
   * runs for this target, e.g. `{ PLATFORMS: '$(LOCAL_PLATFORM)' }`.
   * @default {}
   */
  readonly variables?: { [name: string]: string };
}

/** A check evaluated when make reads the file. */
export interface MakeAssertion {
  /** A Make expression, e.g. `$(if $(filter-out true false,$(PUSH)),$(error …))`. */
  readonly expression: string;
  /** Why: written as a comment above it. */
  readonly comment: string;
}

/** A derived variable (`NAME = body`, expanded where used): a shared command or a `$(call)` function. */
export interface MakeDerivedVariable {
  /** The name. */
  readonly name: string;
  /** The body, a Make expression. */
  readonly body: string;
  /** What it is: written as a comment above it. */
  readonly comment: string;
}

/** Where `MakeModel.addVariable` places a new variable. */
export interface AddMakeVariableOptions {
  /**
   * Place the variable right before this one (in the file and in `help`); appended when that
   * variable does not exist. A variable that exists already keeps its place.
   * @default - appended
   */
  readonly before?: string;
}

/** Where `MakeModel.addTarget` places a target. */
export interface AddMakeTargetOptions {
  /**
   * Place the target right after this one, so related targets stay together in the file and in
   * `help`; appended when that target does not exist.
   * @default - appended
   */
  readonly after?: string;
}

/** Options of the Makefile model. */
export interface MakeModelOptions {
  /**
   * The file is the project's Makefile (it sets the default goal). When false, it is meant to be
   * `include`d from a Makefile the user owns: no default goal, and the help target is named
   * `multiarch-help` so it cannot clash with the user's own `help`.
   * @default true
   */
  readonly standalone?: boolean;
}

/** The Makefile model: variables, phony targets and a generated `help`. */
export class MakeModel {
  /** Whether the file is the project's own Makefile (see MakeModelOptions.standalone). */
  public readonly standalone: boolean;
  private readonly _variables: MakeVariable[] = [];
  private readonly _assertions: MakeAssertion[] = [];
  private readonly _targets: MakeTarget[] = [];
  private readonly _byName: Map<string, MakeTarget> = new Map();
  private readonly _derived: MakeDerivedVariable[] = [];

  constructor(options: MakeModelOptions = {}) {
    this.standalone = options.standalone ?? true;
  }

  /** The name of the generated help target: `help`, or `multiarch-help` when included. */
  public get helpTargetName(): string {
    return this.standalone ? 'help' : 'multiarch-help';
  }

  /**
   * Adds a check evaluated when make reads the file, e.g.
   * `$(if $(filter-out true false,$(PUSH)),$(error PUSH must be true or false))`.
   */
  public addAssertion(expression: string, comment: string): void {
    noControlCharacters('Make assertion', expression);
    noControlCharacters('Make assertion comment', comment);
    this._assertions.push({ expression, comment });
  }

  /** Adds or replaces a variable. */
  public addVariable(variable: MakeVariable, options: AddMakeVariableOptions = {}): void {
    variableName('Make variable', variable.name);
    noComment(`Make variable ${variable.name}`, variable.default);
    noControlCharacters(`Make variable ${variable.name} description`, variable.description);
    const i = this._variables.findIndex(v => v.name === variable.name);
    const before = options.before === undefined ? -1 : this._variables.findIndex(v => v.name === options.before);
    if (i >= 0) this._variables.splice(i, 1, variable);
    else if (before >= 0) this._variables.splice(before, 0, variable);
    else this._variables.push(variable);
  }

  /** Adds a target; throws if one with the same name exists (use `replaceTarget`). */
  public addTarget(target: MakeTarget, options: AddMakeTargetOptions = {}): void {
    checkTargetName(target.name);
    checkDescription(target);
    if (this.tryFindTarget(target.name)) throw new Error(`The Makefile already has a target named "${target.name}"; use replaceTarget to change it`);
    const after = options.after === undefined ? -1 : this._targets.indexOf(this._byName.get(options.after)!);
    if (after >= 0) this._targets.splice(after + 1, 0, target);
    else this._targets.push(target);
    this._byName.set(target.name, target);
  }

  /** Removes a target; returns whether there was one. */
  public removeTarget(name: string): boolean {
    const i = this._targets.findIndex(t => t.name === name);
    if (i >= 0) this._targets.splice(i, 1);
    this._byName.delete(name);
    return i >= 0;
  }

  /** Replaces a target (escape hatch). */
  public replaceTarget(target: MakeTarget): void {
    const i = this._targets.findIndex(t => t.name === target.name);
    if (i < 0) throw new Error(`The Makefile has no target named "${target.name}"`);
    checkDescription(target);
    this._targets.splice(i, 1, target);
    this._byName.set(target.name, target);
  }

  /**
   * Adds a derived variable (`NAME = value`, expanded where it is used): a command the recipes
   * share, or a function used as `$(call name,arg1,arg2)`. Not listed by `help`, not exported.
   */
  public addDerivedVariable(name: string, body: string, comment: string): void {
    variableName('Make variable', name);
    noComment(`Make variable ${name}`, body);
    noControlCharacters(`Make variable ${name} comment`, comment);
    if (this._derived.some(d => d.name === name)) throw new Error(`The Makefile already has a derived variable named "${name}"`);
    this._derived.push({ name, body, comment });
  }

  /** Adds a derived variable, or replaces the body and comment of the one with that name (keeping its place). */
  public setDerivedVariable(name: string, body: string, comment: string): void {
    const i = this._derived.findIndex(d => d.name === name);
    if (i < 0) return this.addDerivedVariable(name, body, comment);
    variableName('Make variable', name);
    noComment(`Make variable ${name}`, body);
    noControlCharacters(`Make variable ${name} comment`, comment);
    this._derived.splice(i, 1, { name, body, comment });
  }

  /** The derived variables. */
  public get derivedVariables(): MakeDerivedVariable[] {
    return [...this._derived];
  }

  /** The assertions. */
  public get assertions(): MakeAssertion[] {
    return [...this._assertions];
  }

  /** Finds a target. */
  public tryFindTarget(name: string): MakeTarget | undefined {
    return this._byName.get(name);
  }

  /** The targets. */
  public get targets(): MakeTarget[] {
    return [...this._targets];
  }

  /** The variables. */
  public get variables(): MakeVariable[] {
    return [...this._variables];
  }

  /**
   * Renders the Makefile. Comments and the lines make reads (variables, rules) are wrapped at
   * WIDTH: make joins a line continued with `\` to the next with one space, where the line had one,
   * so a wrapped value is the same value. Recipe lines are written as given.
   */
  public render(marker?: string): string {
    const out: string[] = [];
    const comment = (text: string) => out.push(...wrapComment(text));
    const line = (text: string) => out.push(wrapLine(text));
    if (marker) out.push(`# ${marker}`, '');
    if (!this.standalone) {
      comment('Included by another Makefile: its default goal is kept (restored at the end of this file), wherever the include is.');
      out.push('multiarch_default_goal := $(.DEFAULT_GOAL)', '');
    }
    comment('Variables: override on the command line or in the environment, e.g. `make build-multiarch VERSION=1.2.3 PUSH=true`.');
    const width = Math.max(...this._variables.map(v => v.name.length));
    for (const v of this._variables) {
      line(`${v.name.padEnd(width)} ?= ${v.default}`);
    }
    for (const text of renderInputChecks(this._variables)) {
      if (text.startsWith('# ')) comment(text.slice(2));
      else line(text);
    }
    const once = this._variables.filter(v => v.evaluateOnce);
    if (once.length) {
      out.push('');
      comment('Evaluated once per run, so every recipe sees the same value.');
      for (const v of once) out.push(`${v.name} := $(${v.name})`);
    }
    for (const a of this._assertions) {
      out.push('');
      comment(a.comment);
      line(a.expression);
    }
    for (const d of this._derived) {
      out.push('');
      comment(d.comment);
      line(`${d.name} = ${d.body}`);
    }
    const all = [...this._targets, this.helpTarget()];
    const names = all.map(t => t.name).join(' ');
    out.push('');
    line(`.PHONY: ${names}`);
    // Only these targets use bash: an including Makefile keeps its own SHELL. Recipe lines run as
    // written (GNU make 3.81, as on macOS, ignores .SHELLFLAGS): what needs several commands belongs
    // in a script that sets its own strict flags.
    line(`${names}: SHELL := /bin/bash`);
    if (this.standalone) out.push(`.DEFAULT_GOAL := ${this.helpTargetName}`);
    for (const t of all) {
      out.push('');
      const prereqs = (t.prerequisites ?? []).map(p => { checkTargetName(p); return p; });
      const after = (t.runsAfter ?? []).map(p => { checkTargetName(p); return p; });
      const orderOnly = after.length ? ` | $(filter ${after.join(' ')},$(MAKECMDGOALS))` : '';
      comment(t.description);
      for (const [name, value] of Object.entries(t.variables ?? {})) {
        variableName(`variable of ${t.name}`, name);
        noControlCharacters(`variable ${name} of ${t.name}`, value);
        line(`${t.name}: ${name} = ${value}`);
      }
      line(`${t.name}:${prereqs.length ? ' ' + prereqs.join(' ') : ''}${orderOnly}`);
      for (const recipe of t.recipe ?? []) {
        recipe.split(' \\\n').forEach(part => {
          noControlCharacters(`recipe of ${t.name}`, part);
          if (part.endsWith('\\')) throw new Error(`A recipe line of ${t.name} ends with a backslash, which would join it to the next line: ${JSON.stringify(part)}`);
        });
        out.push('\t' + recipe.replace(/ \\\n/g, ' \\\n\t'));
      }
    }
    if (!this.standalone) {
      out.push('');
      comment('The includer\'s default goal (empty before its first target: make then takes the next target it reads)');
      out.push('.DEFAULT_GOAL := $(multiarch_default_goal)');
    }
    return out.join('\n') + '\n';
  }

  private helpTarget(): MakeTarget {
    const listed = this._targets.filter(t => t.listed ?? true);
    const tw = Math.max(...listed.map(t => t.name.length), 4);
    const vw = Math.max(...this._variables.map(v => v.name.length));
    const line = (s: string) => `@echo ${shellQuote(s)}`;
    /** `  name  description`, the description wrapped under itself; `last` is appended to the last line. */
    const entry = (name: string, w: number, description: string, last = '') => {
      const lines = wrapWords(description, WIDTH - w - 4);
      return lines.map((text, i) => `@echo ${shellQuote(`  ${(i ? '' : name).padEnd(w)}  ${text}`)}${i === lines.length - 1 ? last : ''}`);
    };
    return {
      name: this.helpTargetName,
      description: 'List the targets and variables',
      recipe: [
        line('Targets:'),
        ...listed.flatMap(t => entry(t.name, tw, t.description)),
        line(''),
        line('Variables (current value in brackets):'),
        ...this._variables.flatMap(v => entry(v.name, vw, v.description, `" [$(${v.name})]"`)),
      ],
    };
  }
}

/** The width the renderer wraps comments, help text and the lines make reads at. */
const WIDTH = 120;

/** Words joined by spaces into lines of at most `width` characters (a longer word stays whole). */
function wrapWords(text: string, width: number): string[] {
  const lines: string[] = [];
  let current = '';
  for (const word of text.split(' ')) {
    if (current && current.length + 1 + word.length > width) {
      lines.push(current);
      current = word;
    } else {
      current = current ? `${current} ${word}` : word;
    }
  }
  return [...lines, current];
}

/** A comment, wrapped at WIDTH. */
function wrapComment(text: string): string[] {
  return wrapWords(text, WIDTH - 2).map(l => `# ${l}`);
}

/**
 * A line make reads (a variable, a rule), continued with ` \` at spaces once it is longer than
 * WIDTH. Only a space between two other characters is a break (make turns the continuation back
 * into exactly that one space), never the one after a function's name. Of the breaks that fill a
 * line at least half, the one least deep in parentheses comes first, so a continuation starts a
 * whole argument where it can.
 */
function wrapLine(text: string): string {
  const breaks: { at: number; depth: number }[] = [];
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '(') depth++;
    if (text[i] === ')') depth--;
    if (isBreak(text, i)) breaks.push({ at: i, depth });
  }
  const indent = '  ';
  const parts: string[] = [];
  let start = 0;
  const room = () => WIDTH - (parts.length ? indent.length : 0);
  while (text.length - start > room()) {
    const fitting = breaks.filter(b => b.at > start && b.at - start <= room());
    const full = fitting.filter(b => b.at - start >= room() / 2);
    const chosen = (full.length ? full : fitting).reduce<{ at: number; depth: number } | undefined>(
      (best, b) => (!best || b.depth <= best.depth ? b : best), undefined) ?? breaks.find(b => b.at > start);
    if (!chosen) break;
    parts.push(text.slice(start, chosen.at));
    start = chosen.at + 1;
  }
  parts.push(text.slice(start));
  return parts.join(` \\\n${indent}`);
}

/** A space between two other characters, not the one after a function's name (`$(if `). */
function isBreak(text: string, i: number): boolean {
  return text[i] === ' ' && /\S/.test(text[i - 1] ?? ' ') && /\S/.test(text[i + 1] ?? ' ') && !/\$\([a-z-]+$/.test(text.slice(Math.max(0, i - 20), i));
}

/** A variable value: one line, and no unescaped "#", which would start a comment and cut the value. */
function noComment(option: string, value: string): string {
  noControlCharacters(option, value);
  if (/(^|[^\\])#/.test(value)) {
    throw invalid(option, value, 'must not contain "#" (it starts a Make comment and cuts the value); write it as "\\#"');
  }
  return value;
}

function checkDescription(target: MakeTarget): void {
  noControlCharacters(`description of ${target.name}`, target.description);
  if (target.description.includes('\\')) {
    throw invalid(`description of ${target.name}`, target.description, 'must not contain backslashes (a trailing one would swallow the next line)');
  }
}

function checkTargetName(name: string): void {
  if (!/^[a-z0-9][a-z0-9_.-]*$/.test(name)) {
    throw invalid('Make target name', name, 'use lowercase letters, digits, "_", "." and "-"');
  }
}

/** Single-quotes for the shell and doubles `$` for Make. */
export function shellQuote(s: string): string {
  noControlCharacters('Makefile text', s);
  return `'${s.replace(/'/g, '\'\\\'\'').replace(/\$/g, '$$$$')}'`;
}
