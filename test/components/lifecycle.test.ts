import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Project } from 'projen';
import { GoService, MultiArchPipeline, PythonService } from '../../src';
import { synthToDisk } from '../helpers';

/** A project in `dir`, with the services `make` adds, synthesized to disk; returns the files. */
function synthIn(dir: string, make: (p: Project) => void): { [file: string]: string } {
  const project = new Project({ name: 'consumer', outdir: dir });
  make(project);
  return synthToDisk(project);
}

const exists = (dir: string, file: string) => fs.existsSync(path.join(dir, file));

describe('life cycle of generated files', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pma-life-'));
  });

  test('removing a service removes its files; the others stay', () => {
    synthIn(dir, p => { new GoService(p, 'api'); new GoService(p, 'worker'); new PythonService(p, 'ml', { directory: 'ml' }); });
    expect(['cmd/api/Dockerfile', 'cmd/worker/Dockerfile', 'ml/Dockerfile', 'ml/Dockerfile.dockerignore'].every(f => exists(dir, f))).toBe(true);
    const out = synthIn(dir, p => { new GoService(p, 'api'); });
    expect(exists(dir, 'cmd/worker/Dockerfile')).toBe(false);
    expect(exists(dir, 'ml/Dockerfile')).toBe(false);
    expect(exists(dir, 'ml/Dockerfile.dockerignore')).toBe(false);
    expect(out.Makefile).not.toMatch(/worker|\bml\b/);
  });

  test('renaming a service moves its files', () => {
    synthIn(dir, p => { new GoService(p, 'api'); });
    synthIn(dir, p => { new GoService(p, 'gateway', { mainPackage: './cmd/api' }); });
    expect(exists(dir, 'cmd/api/Dockerfile')).toBe(true);
    expect(fs.readFileSync(path.join(dir, 'cmd/api/Dockerfile'), 'utf8')).toContain('/usr/local/bin/gateway');
    synthIn(dir, p => { new GoService(p, 'gateway'); });
    expect(exists(dir, 'cmd/api/Dockerfile')).toBe(false);
    expect(exists(dir, 'cmd/gateway/Dockerfile')).toBe(true);
  });

  test('options changed between syntheses leave no stale file', () => {
    synthIn(dir, p => { new GoService(p, 'api'); new GoService(p, 'worker'); });
    synthIn(dir, p => { new GoService(p, 'api', { sharedDockerfile: true }); new GoService(p, 'worker', { sharedDockerfile: true }); });
    expect(exists(dir, 'cmd/api/Dockerfile')).toBe(false);
    expect(exists(dir, 'Dockerfile')).toBe(true);
    synthIn(dir, p => { new MultiArchPipeline(p, { makefile: 'multiarch.mk', bakeFile: 'images.hcl' }); new GoService(p, 'api'); });
    expect(['Makefile', 'docker-bake.hcl', 'Dockerfile'].filter(f => exists(dir, f))).toEqual([]);
    expect(['multiarch.mk', 'images.hcl', 'cmd/api/Dockerfile'].every(f => exists(dir, f))).toBe(true);
  });

  test('removing the last service stops the synthesis before anything is deleted', () => {
    const before = synthIn(dir, p => { new GoService(p, 'api'); });
    expect(() => synthIn(dir, p => { new MultiArchPipeline(p); })).toThrow('MultiArchPipeline has no services: add a service to the project (a MultiArchService of any kind)');
    for (const f of ['Makefile', 'docker-bake.hcl', 'cmd/api/Dockerfile', 'cmd/api/Dockerfile.dockerignore']) {
      expect([f, fs.readFileSync(path.join(dir, f), 'utf8')]).toEqual([f, before[f]]);
    }
  });

  test('re-synthesis is byte-identical whatever the working directory, the environment or the time', () => {
    const make = (p: Project) => { new GoService(p, 'api', { upx: true }); new PythonService(p, 'ml', { directory: 'ml' }); };
    const first = synthIn(dir, make);
    const cwd = process.cwd();
    const env = { TZ: process.env.TZ, LANG: process.env.LANG };
    jest.useFakeTimers().setSystemTime(new Date('2031-03-04T05:06:07Z'));
    try {
      process.chdir(os.tmpdir());
      process.env.TZ = 'Pacific/Kiritimati';
      process.env.LANG = 'tr_TR.UTF-8';
      const other = fs.mkdtempSync(path.join(os.tmpdir(), 'pma-life-other-'));
      const second = synthIn(other, make);
      expect(second).toEqual(first);
    } finally {
      jest.useRealTimers();
      process.chdir(cwd);
      for (const [k, v] of Object.entries(env)) if (v === undefined) delete process.env[k]; else process.env[k] = v;
    }
  });
});

describe('sources that do not exist yet', () => {
  test('each missing path is a warning naming the option, never a failure', () => {
    // GIVEN an empty project directory
    const project = new Project({ name: 'consumer', outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'pma-missing-')) });
    const warnings: string[] = [];
    jest.spyOn(project.logger, 'warn').mockImplementation((...args: any[]) => { warnings.push(args.join(' ')); });
    new GoService(project, 'api');
    new PythonService(project, 'ml', { directory: 'ml', requirementsFile: 'requirements-prod.txt', localPackages: ['wheels'] });
    // WHEN synthesized
    synthToDisk(project);
    // THEN
    expect(warnings).toEqual([
      expect.stringMatching(/^GoService "api": go.mod does not exist yet \(moduleRoot "\."\): the build reads it: run "go mod init <module path>" there/),
      expect.stringMatching(/^GoService "api": cmd\/api does not exist yet \(mainPackage "\.\/cmd\/api"\): the build compiles it: put package main there \(with the string variable main.version\)/),
      expect.stringMatching(/^PythonService "ml": ml does not exist yet \(directory "ml"\)/),
      expect.stringMatching(/^PythonService "ml": ml\/requirements-prod.txt does not exist yet \(requirementsFile "requirements-prod.txt"\)/),
      expect.stringMatching(/^PythonService "ml": ml\/wheels does not exist yet \(localPackages "wheels"\)/),
    ]);
  });

  test('a typo in requirementsFile inside an existing directory is reported', () => {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'pma-missing-'));
    fs.mkdirSync(path.join(outdir, 'ml'));
    fs.writeFileSync(path.join(outdir, 'ml/requirements.txt'), 'jinja2\n');
    const project = new Project({ name: 'consumer', outdir });
    const warn = jest.spyOn(project.logger, 'warn').mockImplementation(() => undefined);
    new PythonService(project, 'ml', { directory: 'ml', requirementsFile: 'requirments.txt' });
    synthToDisk(project);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('ml/requirments.txt does not exist yet (requirementsFile "requirments.txt")'));
  });
});
