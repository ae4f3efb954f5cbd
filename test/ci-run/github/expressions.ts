// Every `${{ }}` of a workflow, evaluated by GitHub's expression engine (@actions/expressions) with
// the contexts of the moment, and the template tokens of @actions/workflow-parser turned into values.
import type { data as Data } from '@actions/expressions' with { 'resolution-mode': 'import' };
import type { TemplateToken } from '@actions/workflow-parser/templates/tokens/index' with { 'resolution-mode': 'import' };
import { Engine } from './engine';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type Contexts = Record<string, Json>;

/** The state the status functions report: success(), failure(), cancelled(), always(). */
export interface Status {
  readonly failed: boolean;
  readonly cancelled: boolean;
}

export const OK: Status = { failed: false, cancelled: false };

/** GitHub's truthiness: false, 0, -0, NaN, '' and null are false. */
export function truthy(value: Json): boolean {
  if (value === null || value === false || value === '') return false;
  if (typeof value === 'number') return value !== 0 && !Number.isNaN(value);
  return true;
}

/** How GitHub puts a value into a string (env, with, run): booleans and numbers as text, null empty. */
export function asString(value: Json): string {
  if (value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean' || typeof value === 'number') return String(value);
  return JSON.stringify(value);
}

export class Expressions {
  /** @param hashFiles hashFiles() of the job's workspace */
  constructor(private readonly engine: Engine, private readonly hashFiles: (patterns: string[]) => string = () => '') {}

  /** Evaluates one expression (without `${{ }}`). */
  public evaluate(expression: string, contexts: Contexts, status: Status = OK): Json {
    const { Lexer, Parser, Evaluator, data } = this.engine;
    const functions = this.functions(status, data);
    const lexed = new Lexer(expression).lex();
    const parsed = new Parser(lexed.tokens, Object.keys(contexts), [...functions.values()]).parse();
    const contextData = new data.Dictionary(...Object.entries(contexts).map(([key, value]) => ({ key, value: this.toData(value) })));
    const result = new Evaluator(parsed, contextData, functions).evaluate();
    return JSON.parse(JSON.stringify(result, data.replacer)) as Json;
  }

  /** A template token (a mapping, a sequence, a literal or an expression) as a plain value. */
  public token(token: TemplateToken | undefined, contexts: Contexts, status: Status = OK): Json {
    if (!token) return null;
    const t = this.engine.tokens;
    if (token instanceof t.BasicExpressionToken) return this.evaluate(token.expression, contexts, status);
    if (token instanceof t.StringToken) return token.value;
    if (token instanceof t.BooleanToken) return token.value;
    if (token instanceof t.NumberToken) return token.value;
    if (token instanceof t.NullToken) return null;
    if (token instanceof t.SequenceToken) return [...token].map(item => this.token(item, contexts, status));
    if (token instanceof t.MappingToken) {
      const out: { [key: string]: Json } = {};
      for (const pair of token) out[asString(this.token(pair.key, contexts, status))] = this.token(pair.value, contexts, status);
      return out;
    }
    throw new Error(`unsupported template token ${token.typeName()} at line ${token.line}`);
  }

  /** A mapping of strings (env:, with:), every value evaluated and put into a string. */
  public strings(token: TemplateToken | undefined, contexts: Contexts, status: Status = OK): Record<string, string> {
    const value = this.token(token, contexts, status);
    if (value === null) return {};
    if (typeof value !== 'object' || Array.isArray(value)) throw new Error(`expected a mapping, got ${JSON.stringify(value)}`);
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, asString(v)]));
  }

  private toData(value: Json): Data.ExpressionData {
    return JSON.parse(JSON.stringify(value), this.engine.data.reviver) as Data.ExpressionData;
  }

  private functions(status: Status, data: typeof Data) {
    const bool = (b: boolean) => new data.BooleanData(b);
    const defs = [
      { name: 'success', minArgs: 0, maxArgs: 0, call: () => bool(!status.failed && !status.cancelled) },
      { name: 'failure', minArgs: 0, maxArgs: 0, call: () => bool(status.failed && !status.cancelled) },
      { name: 'cancelled', minArgs: 0, maxArgs: 0, call: () => bool(status.cancelled) },
      { name: 'always', minArgs: 0, maxArgs: 0, call: () => bool(true) },
      {
        name: 'hashFiles',
        minArgs: 1,
        maxArgs: 255,
        call: (...args: Data.ExpressionData[]) => new data.StringData(this.hashFiles(args.map(a => a.coerceString()))),
      },
    ];
    return new Map(defs.map(d => [d.name.toLowerCase(), d]));
  }
}
