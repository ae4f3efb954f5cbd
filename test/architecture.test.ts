/**
 * The shape of the source tree the design asks for: data flows one way, so no module imports
 * itself back through another, and the construct tree is the only registry of services and
 * pipelines (no module-level maps or sets that outlive a project).
 */
import * as fs from 'fs';
import * as path from 'path';

const SRC = path.join(__dirname, '..', 'src');

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap(e =>
    e.isDirectory() ? sources(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []);
}

/** Relative imports of a module (type-only imports included: they are edges of the design too). */
function importsOf(file: string): string[] {
  const text = fs.readFileSync(file, 'utf8');
  return [...text.matchAll(/^(?:import|export)[^'"]*from '(\.[^']+)';/gm)].map(m => {
    const base = path.resolve(path.dirname(file), m[1]);
    return fs.existsSync(`${base}.ts`) ? `${base}.ts` : path.join(base, 'index.ts');
  });
}

describe('source architecture', () => {
  const files = sources(SRC);

  test('no import cycles', () => {
    // GIVEN the module graph of src/
    const graph = new Map(files.map(f => [f, importsOf(f)]));
    // WHEN it is searched depth-first
    const cycles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const visit = (f: string, trail: string[]) => {
      if (state.get(f) === 'done') return;
      if (state.get(f) === 'open') {
        cycles.push([...trail.slice(trail.indexOf(f)), f].map(x => path.relative(SRC, x)).join(' -> '));
        return;
      }
      state.set(f, 'open');
      for (const next of graph.get(f) ?? []) visit(next, [...trail, f]);
      state.set(f, 'done');
    };
    files.forEach(f => visit(f, []));
    // THEN there is none
    expect(cycles).toEqual([]);
  });

  test('no module-level registries: services and pipelines are found in the construct tree', () => {
    const registries = files.flatMap(f => fs.readFileSync(f, 'utf8').split('\n')
      .filter(l => /^(?:export )?(?:const|let) \w+\s*(?::[^=]+)?=\s*new (?:Weak)?(?:Map|Set)\b/.test(l))
      .map(l => `${path.relative(SRC, f)}: ${l.trim()}`));
    expect(registries).toEqual([]);
  });

  test('the models, the contract and the pipeline import no language folder', () => {
    // GIVEN the generic layers: the models, the contract, the pipeline and what every service shares
    const generic = files.filter(f => /\/(dockerfile|bake|make|contract)\//.test(f) || /\/components\//.test(f));
    // WHEN their imports are followed to any depth
    const reach = (f: string, seen: Set<string> = new Set()): Set<string> => {
      for (const next of importsOf(f)) if (!seen.has(next)) { seen.add(next); reach(next, seen); }
      return seen;
    };
    const offenders = generic.flatMap(f => [...reach(f)].filter(i => i.includes(`${path.sep}languages${path.sep}`))
      .map(i => `${path.relative(SRC, f)} -> ${path.relative(SRC, i)}`));
    // THEN none reaches src/languages
    expect(generic.length).toBeGreaterThan(10);
    expect(offenders).toEqual([]);
  });

  test('the generic layers name no language: its services, build variables and ignore patterns are the language\'s', () => {
    const generic = files.filter(f => /\/(dockerfile|bake|make|contract|components)\//.test(f));
    const code = (f: string) => fs.readFileSync(f, 'utf8').split('\n').filter(l => !/^\s*(\*|\/\/|\/\*)/.test(l)).join('\n');
    const named = generic.filter(f => /GO_NETRC|PIP_CONF|PIP_NETRC|__pycache__|\.venv|GoService|PythonService|go\.mod|requirements\.txt/.test(code(f)));
    expect(named.map(f => path.relative(SRC, f))).toEqual([]);
  });

  test('the generic Dockerfile, bake and Make models know no Go or pip policy', () => {
    const generic = files.filter(f => /\/(dockerfile|bake|make)\//.test(f));
    const code = (f: string) => fs.readFileSync(f, 'utf8').split('\n').filter(l => !/^\s*(\*|\/\/|\/\*)/.test(l)).join('\n');
    const policy = generic.filter(f => /go mod tidy|go get|--no-cache-dir|GOARCH|pip /.test(code(f)));
    expect(policy.map(f => path.relative(SRC, f))).toEqual([]);
  });
});
