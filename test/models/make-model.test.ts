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

describe('MakeModel strict recipe lines', () => {
  test('a line that runs several commands gets set -eu -o pipefail, after its @; a single command does not', () => {
    const m = new MakeModel();
    m.addTarget({
      name: 'check',
      description: 'Check',
      recipe: ['@a | b', '@for p in x y; do echo $$p; done', 'docker buildx bake', "@echo 'a; b | c'", '@x=$$(date)', 'a || b'],
    });
    const recipe = m.render().split('\n').filter(l => l.startsWith('\t'));
    expect(recipe.slice(0, 6)).toEqual([
      '\t@set -eu -o pipefail; a | b',
      '\t@set -eu -o pipefail; for p in x y; do echo $$p; done',
      '\tdocker buildx bake',
      "\t@echo 'a; b | c'",
      '\t@set -eu -o pipefail; x=$$(date)',
      '\ta || b',
    ]);
  });

  test('the file sets bash for its own targets only, and no .SHELLFLAGS (GNU make 3.81 ignores it)', () => {
    const text = model().render();
    expect(text).toContain('build verify help: SHELL := /bin/bash');
    expect(text).not.toContain('.SHELLFLAGS');
  });

  test('a failure in the middle of a line fails the target', () => {
    const m = new MakeModel();
    m.addTarget({ name: 'fail', description: 'Fail', recipe: ['@false; echo after'] });
    const r = spawnSync('make', ['-f', '-', 'fail'], { input: m.render(), encoding: 'utf8' });
    expect(r.status).not.toBe(0);
    expect(r.stdout).not.toContain('after');
  });
});
