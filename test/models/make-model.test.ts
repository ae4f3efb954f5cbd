import { spawnSync } from 'child_process';
import { MakeModel } from '../../src';

function model(): MakeModel {
  const m = new MakeModel();
  m.addVariable({ name: 'REGISTRY', default: 'localhost:5000', description: 'registry' });
  m.addTarget({ name: 'build', description: 'Build', recipe: ['docker buildx bake'] });
  m.addTarget({ name: 'verify', description: 'Verify', recipe: ['./verify.sh'] });
  return m;
}

describe('MakeModel targets', () => {
  test('addTarget appends, or places a target right after another', () => {
    const m = model();
    m.addTarget({ name: 'build-api', description: 'Build api' }, { after: 'build' });
    m.addTarget({ name: 'deploy', description: 'Deploy' }, { after: 'no-such-target' });
    expect(m.targets.map(t => t.name)).toEqual(['build', 'build-api', 'verify', 'deploy']);
  });

  test('replaceTarget keeps the place; removeTarget drops it; both say when there is nothing to change', () => {
    const m = model();
    m.replaceTarget({ name: 'build', description: 'Build ours', recipe: ['./build.sh'] });
    expect(m.targets.map(t => [t.name, t.description])).toEqual([['build', 'Build ours'], ['verify', 'Verify']]);
    expect(m.removeTarget('verify')).toBe(true);
    expect(m.removeTarget('verify')).toBe(false);
    expect(() => m.replaceTarget({ name: 'verify', description: 'x' })).toThrow('The Makefile has no target named "verify"');
    expect(() => m.addTarget({ name: 'build', description: 'again' })).toThrow('The Makefile already has a target named "build"; use replaceTarget to change it');
  });

  test('setDerivedVariable adds once, then replaces in place', () => {
    const m = model();
    m.addDerivedVariable('A', '1', 'first');
    m.setDerivedVariable('B', '2', 'second');
    m.setDerivedVariable('A', '3', 'changed');
    expect(m.derivedVariables).toEqual([{ name: 'A', body: '3', comment: 'changed' }, { name: 'B', body: '2', comment: 'second' }]);
    expect(m.render()).toMatch(/# changed\nA = 3\n\n# second\nB = 2\n/);
  });
});

describe('MakeModel recipe lines', () => {
  test('a recipe line is written as given: no flags added, continuations indented with a tab', () => {
    const m = new MakeModel();
    m.addTarget({ name: 'check', description: 'Check', recipe: ['@a | b', 'x=$$(date); echo $$x', 'run \\\n  --flag'] });
    const text = m.render();
    expect(text).toContain('check:\n\t@a | b\n\tx=$$(date); echo $$x\n\trun \\\n\t  --flag\n');
  });

  test('the file sets bash for its own targets only, and no .SHELLFLAGS (GNU make 3.81 ignores it)', () => {
    const text = model().render();
    expect(text).toContain('build verify help: SHELL := /bin/bash');
    expect(text).not.toContain('.SHELLFLAGS');
  });
});

describe('MakeModel line width', () => {
  /** What make reads: the value of each variable, printed by a target. */
  function values(text: string, names: string[]): string {
    const show = ['', 'show:', ...names.map(n => `\t@printf '%s\\n' '$(${n})'`)].join('\n');
    const r = spawnSync('make', ['-f', '-', 'show'], { input: text + show + '\n', encoding: 'utf8' });
    expect(r.stderr).toBe('');
    return r.stdout;
  }

  test('a long variable is wrapped at spaces, and make reads the same value', () => {
    // GIVEN a derived variable of 300 characters: nested functions, a quoted string with spaces
    const words = Array.from({ length: 30 }, (_, i) => `word${i}`);
    const body = `$(strip $(if $(X),${words.slice(0, 15).join(' ')},none)) "quoted ${words.slice(15).join(' ')}"`;
    const m = new MakeModel();
    m.addVariable({ name: 'X', default: 'set', description: 'x' });
    m.addDerivedVariable('LONG', body, 'A long one');
    // WHEN it is rendered
    const text = m.render();
    // THEN no line is longer than 120 characters, the variable spans several lines
    expect(Math.max(...text.split('\n').map(l => l.length))).toBeLessThanOrEqual(120);
    expect(text).toMatch(/^LONG = .* \\\n {2}\S/m);
    // AND make reads exactly the value given
    expect(values(text, ['LONG'])).toBe(`${words.slice(0, 15).join(' ')} "quoted ${words.slice(15).join(' ')}"\n`);
  });

  test('two spaces in a row are never a break (make would join them into one)', () => {
    const m = new MakeModel();
    const body = Array.from({ length: 40 }, (_, i) => `w${i}`).join('  ');
    m.addDerivedVariable('SPACED', body, 'Double spaces');
    expect(values(m.render(), ['SPACED'])).toBe(`${body}\n`);
  });

  test('comments, target descriptions and help text are wrapped; a description is a comment above its rule', () => {
    const m = new MakeModel();
    const long = Array.from({ length: 40 }, (_, i) => `part${i}`).join(' ');
    m.addVariable({ name: 'REGISTRY', default: 'localhost:5000', description: long });
    m.addTarget({ name: 'build', description: long, recipe: ['docker buildx bake'] });
    const text = m.render();
    expect(Math.max(...text.split('\n').map(l => l.length))).toBeLessThanOrEqual(160);
    expect(text).toMatch(/^# part0 [^]*part39\nbuild:\n\tdocker buildx bake$/m);
    expect(text.split('\n').filter(l => l.startsWith('# part'))).toHaveLength(3);
    // help prints the description on several lines, under its first
    const r = spawnSync('make', ['-f', '-', 'help'], { input: text, encoding: 'utf8' });
    const lines = r.stdout.split('\n');
    const first = lines.findIndex(l => l.startsWith('  build  part0 '));
    expect(first).toBeGreaterThan(0);
    expect(lines[first + 1]).toMatch(/^ {9}part\d+/);
    expect(r.stdout.replace(/\n {9}/g, ' ')).toContain(`  build  ${long}\n`);
  });
});
