// GitHub's own workflow parser and expression engine (@actions/workflow-parser and
// @actions/expressions, the code behind GitHub's Actions language server), loaded on Node 20.
//
// The parser is ESM and imports its JSON schemas without import attributes, which Node 20 refuses
// (ERR_IMPORT_ASSERTION_TYPE_MISSING). esbuild bundles both packages, once, into one CommonJS file
// under .e2e/ (git-ignored); one bundle also means one copy of the expression classes.
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import type * as expressions from '@actions/expressions' with { 'resolution-mode': 'import' };
import type * as parser from '@actions/workflow-parser' with { 'resolution-mode': 'import' };
import type * as tokens from '@actions/workflow-parser/templates/tokens/index' with { 'resolution-mode': 'import' };

export type Engine = typeof parser & typeof expressions & { readonly tokens: typeof tokens };

const ROOT = path.resolve(__dirname, '..', '..', '..');
const BUNDLE_DIR = path.join(ROOT, '.e2e', 'ci-run', 'engine');

const ENTRY = `
export { parseWorkflow, convertWorkflowTemplate, NoOperationTraceWriter } from '@actions/workflow-parser';
export * as tokens from '@actions/workflow-parser/templates/tokens/index';
export { Evaluator, Lexer, Parser, data } from '@actions/expressions';
`;

/** Bundles the parser and the expression engine (when the installed versions changed) and loads them. */
export function loadEngine(): Engine {
  const version = (pkg: string) => (JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string }).version;
  const stamp = `workflow-parser@${version('@actions/workflow-parser')} expressions@${version('@actions/expressions')}`;
  const bundle = path.join(BUNDLE_DIR, 'engine.cjs');
  const stampFile = path.join(BUNDLE_DIR, 'engine.version');
  if (!fs.existsSync(bundle) || !fs.existsSync(stampFile) || fs.readFileSync(stampFile, 'utf8') !== stamp) {
    fs.mkdirSync(BUNDLE_DIR, { recursive: true });
    // esbuild resolves the packages from the entry's directory: the entry sits in the repository root
    const entry = path.join(ROOT, '.ci-run-engine-entry.mjs');
    fs.writeFileSync(entry, ENTRY);
    try {
      execFileSync(path.join(ROOT, 'node_modules', '.bin', 'esbuild'), [
        entry, '--bundle', '--platform=node', '--format=cjs', '--log-level=warning', `--outfile=${bundle}`,
      ], { stdio: 'inherit' });
    } finally {
      fs.rmSync(entry, { force: true });
    }
    fs.writeFileSync(stampFile, stamp);
  }
  // the bundle is CommonJS made at run time: only require() can load it
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(bundle) as Engine;
}
