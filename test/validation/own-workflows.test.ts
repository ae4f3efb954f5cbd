import * as fs from 'fs';
import * as path from 'path';
import { parse } from 'yaml';
import { actionlint } from '../helpers';

/** The library's own build and release workflows (projen's, from .projenrc.ts). */
const dir = path.join(__dirname, '../../.github/workflows');
const workflows = fs.readdirSync(dir).filter(f => f.endsWith('.yml'));

describe('the library\'s own workflows', () => {
  test('there is a build and a release workflow', () => {
    expect(workflows.sort()).toEqual(['build.yml', 'release.yml']);
  });

  test.each(workflows)('%s lints clean with actionlint', file => {
    expect(actionlint(fs.readFileSync(path.join(dir, file), 'utf8'))).toEqual([]);
  });

  test.each(workflows)('%s pins every action to a full commit SHA', file => {
    const uses = [...fs.readFileSync(path.join(dir, file), 'utf8').matchAll(/uses:\s*(\S+)/g)].map(m => m[1]);
    expect(uses.length).toBeGreaterThan(0);
    expect(uses.filter(u => !/^[\w.-]+\/[\w./-]+@[0-9a-f]{40}$/.test(u))).toEqual([]);
  });

  test.each(workflows)('%s declares permissions on every job', file => {
    const doc = parse(fs.readFileSync(path.join(dir, file), 'utf8'));
    for (const [name, job] of Object.entries<any>(doc.jobs)) expect([name, job.permissions !== undefined]).toEqual([name, true]);
  });
});
