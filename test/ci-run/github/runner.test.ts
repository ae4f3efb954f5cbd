import * as fs from 'fs';
import * as path from 'path';
import { loadEngine } from './engine';
import { Expressions } from './expressions';
import { expandMatrix, globMatch, shellCommand } from './runner';
import { STAND_INS } from './stand-ins';
import { globRegExp } from '../common/glob';

describe('matrix expansion, as GitHub does it', () => {
  test('include only: one leg per entry', () => {
    const legs = expandMatrix({ include: [{ platform: 'linux/amd64', runner: 'ubuntu-24.04' }, { platform: 'linux/arm64', runner: 'ubuntu-24.04-arm' }] });
    expect(legs).toEqual([{ platform: 'linux/amd64', runner: 'ubuntu-24.04' }, { platform: 'linux/arm64', runner: 'ubuntu-24.04-arm' }]);
  });

  test('a product, minus exclude, extended by include where it does not contradict, else a new leg', () => {
    const legs = expandMatrix({
      os: ['a', 'b'],
      v: [1, 2],
      exclude: [{ os: 'b', v: 2 }],
      include: [{ os: 'a', extra: 'x' }, { os: 'c', v: 3 }],
    });
    expect(legs).toEqual([{ os: 'a', v: 1, extra: 'x' }, { os: 'a', v: 2, extra: 'x' }, { os: 'b', v: 1 }, { os: 'c', v: 3 }]);
  });
});

describe('branch and tag filters', () => {
  test.each([
    ['v*', 'v1.2.3', true], ['v*', 'release/v1', false], ['release/**', 'release/a/b', true], ['main', 'main', true], ['main', 'mainline', false],
  ])('%s matches %s: %s', (pattern, name, expected) => {
    expect(globMatch(pattern, name)).toBe(expected);
  });
});

describe('shells', () => {
  test("GitHub's defaults on Linux", () => {
    expect(shellCommand('', 's.sh')).toEqual(['bash', '-e', 's.sh']);
    expect(shellCommand('bash', 's.sh')).toEqual(['bash', '--noprofile', '--norc', '-eo', 'pipefail', 's.sh']);
    expect(shellCommand('sh', 's.sh')).toEqual(['sh', '-e', 's.sh']);
  });
});

describe('upload-artifact paths', () => {
  test('a glob, and a directory that holds files', () => {
    expect(globRegExp('.multiarch/platform-*.json').test('.multiarch/platform-linux-amd64.json')).toBe(true);
    expect(globRegExp('.multiarch/platform-*.json').test('.multiarch/digests/x')).toBe(false);
    expect(globRegExp('.multiarch/digests').test('.multiarch/digests/rag-api')).toBe(true);
    expect(globRegExp('**/*.json').test('a/b/c.json')).toBe(true);
  });
});

describe("GitHub's expression engine with the runner's contexts", () => {
  const x = new Expressions(loadEngine());

  test('format() of a name, matrix values, and a false matrix value as a string', () => {
    expect(x.evaluate("format('Push {0}', matrix.platform)", { matrix: { platform: 'linux/arm64' } })).toBe('Push linux/arm64');
    expect(x.evaluate('matrix.qemu', { matrix: { qemu: false } })).toBe(false);
  });

  test('status functions follow the job: success() is false after a failure, always() is true', () => {
    const failed = { failed: true, cancelled: false };
    expect(x.evaluate("success() && (github.event_name == 'push')", { github: { event_name: 'push' } })).toBe(true);
    expect(x.evaluate("success() && (github.event_name == 'push')", { github: { event_name: 'push' } }, failed)).toBe(false);
    expect(x.evaluate('failure()', {}, failed)).toBe(true);
    expect(x.evaluate('always()', {}, failed)).toBe(true);
  });

  test('contexts are case-insensitive and missing properties are null', () => {
    expect(x.evaluate('steps.Meta.outputs.version', { steps: { meta: { outputs: { version: 'main' } } } })).toBe('main');
    expect(x.evaluate('secrets.GITHUB_TOKEN', { secrets: {} })).toBe(null);
  });
});

describe('the stand-in table', () => {
  test('every action the examples\' workflows use has a stand-in that runs', () => {
    // GIVEN the actions of the generated workflows
    const uses = ['nephoran', 'monorepo'].flatMap(e => fs.readFileSync(path.join(__dirname, '..', '..', '..', 'examples', e, '.github', 'workflows', 'images.yml'), 'utf8')
      .split('\n').map(l => /^\s*uses:\s*([^@\s]+)@/.exec(l)?.[1]).filter((a): a is string => !!a));
    // THEN
    const missing = [...new Set(uses)].filter(a => !STAND_INS.some(s => s.action === a && s.run));
    expect(uses.length).toBeGreaterThan(0);
    expect(missing).toEqual([]);
  });
});
