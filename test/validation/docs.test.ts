import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as ts from 'typescript';

/**
 * Every TypeScript snippet of the README and the guides compiles under strict TypeScript against the
 * library, as a user would paste it into .projenrc.ts. A snippet may use `project` (a TypeScript
 * project) and `api` (a GoService) without declaring them; one with "…" (an elided part) is skipped.
 */
const ROOT = path.join(__dirname, '../..');
const docs = ['README.md', ...fs.readdirSync(path.join(ROOT, 'docs/guides')).map(f => `docs/guides/${f}`), 'docs/troubleshooting.md'];
const snippets = docs.flatMap(doc => [...fs.readFileSync(path.join(ROOT, doc), 'utf8').matchAll(/```ts\n([\s\S]*?)```/g)]
  .map((m, i) => [`${doc} #${i + 1}`, m[1]] as [string, string]))
  .filter(([, code]) => !code.includes('…'));

test('the docs have TypeScript snippets to check', () => {
  expect(snippets.length).toBeGreaterThanOrEqual(10);
});

test.each(snippets)('%s compiles under strict TypeScript', (_, code) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pma-snippet-'));
  const imports = code.split('\n').filter(l => /^import /.test(l));
  const body = code.split('\n').filter(l => !/^import /.test(l));
  const declared = (name: string) => new RegExp(`(const|let)\\s+${name}\\b|import[^;]*\\b${name}\\b`).test(code);
  const prelude = [
    'import * as snippetProjen from \'projen\';',
    'import * as snippetLib from \'projen-multiarch\';',
    ...(declared('project') ? [] : ['declare const project: snippetProjen.typescript.TypeScriptProject;']),
    ...(declared('api') ? [] : ['declare const api: snippetLib.GoService;']),
    'export const unused: snippetProjen.Project | undefined = undefined;',
  ];
  const file = path.join(dir, 'snippet.ts');
  fs.writeFileSync(file, [...imports, ...prelude, ...body].join('\n'));
  const program = ts.createProgram([file], {
    strict: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2020,
    module: ts.ModuleKind.CommonJS,
    esModuleInterop: true,
    skipLibCheck: true,
    baseUrl: ROOT,
    paths: { 'projen-multiarch': ['src/index.ts'], 'projen': ['node_modules/projen'] },
    types: [],
  });
  const errors = ts.getPreEmitDiagnostics(program).filter(d => d.file?.fileName === file)
    .map(d => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
  expect(errors).toEqual([]);
});
