import * as fs from 'fs';
import * as path from 'path';
import { Project } from 'projen';
import { GoService, PythonService } from '../../src';
import { closeMatch } from '../../src/validation';
import { newProject, synthToDisk } from '../helpers';

/** Creates directories (with a file each) in the project's directory. */
function mkdirs(project: Project, ...dirs: string[]): void {
  for (const d of dirs) {
    fs.mkdirSync(path.join(project.outdir, d), { recursive: true });
    fs.writeFileSync(path.join(project.outdir, d, 'main.go'), 'package main\n');
  }
}

/** Every directory under the project's directory, relative to it. */
function directories(dir: string, under = ''): string[] {
  return fs.readdirSync(path.join(dir, under), { withFileTypes: true }).filter(e => e.isDirectory())
    .flatMap(e => [path.posix.join(under, e.name), ...directories(dir, path.posix.join(under, e.name))]);
}

describe('a typo in a path option', () => {
  test.each([
    ['PythonService directory', (p: Project) => new PythonService(p, 'rag', { directory: 'services/rga' }), 'PythonService "rag": directory "services/rga" does not exist (services/rga): did you mean `services/rag`?'],
    ['GoService mainPackage', (p: Project) => new GoService(p, 'api', { mainPackage: './cmd/apii' }), 'GoService "api": mainPackage "./cmd/apii" does not exist (cmd/apii): did you mean `./cmd/api`?'],
    ['GoService moduleRoot', (p: Project) => new GoService(p, 'api', { moduleRoot: 'backnd' }), 'GoService "api": moduleRoot "backnd" does not exist (backnd): did you mean `backend`?'],
    ['a typo in a parent directory', (p: Project) => new GoService(p, 'api', { mainPackage: './cdm/api' }), 'GoService "api": mainPackage "./cdm/api" does not exist (cdm/api): did you mean `./cmd/api`?'],
    ['a mainPackage under its moduleRoot', (p: Project) => new GoService(p, 'api', { moduleRoot: 'backend', mainPackage: './cmd/Api' }), 'GoService "api": mainPackage "./cmd/Api" does not exist (backend/cmd/Api): did you mean `./cmd/api`?'],
  ])('%s with a close match is an error at construction that suggests it', (_, create, error) => {
    // GIVEN a repository with its code in place
    const project = newProject();
    mkdirs(project, 'services/rag', 'cmd/api', 'backend/cmd/api');

    // WHEN / THEN
    expect(() => create(project)).toThrow(error);
  });

  test('the error says how to declare a new service whose name is close to an existing one', () => {
    // GIVEN cmd/api, and a new service cmd/apis whose code is not written yet
    const project = newProject();
    mkdirs(project, 'cmd/api');
    // WHEN / THEN the way out is to create its directory first
    expect(() => new GoService(project, 'apis', { mainPackage: './cmd/apis' }))
      .toThrow('did you mean `./cmd/api`? (For a new package that is only close to an existing one, create cmd/apis first.)');
    // AND once it exists, the service is declared
    mkdirs(project, 'cmd/apis');
    expect(() => new GoService(project, 'apis', { mainPackage: './cmd/apis' })).not.toThrow();
  });

  test('a service name whose default main package is close to an existing one is an error at construction', () => {
    // GIVEN cmd/api, and a service whose name has a typo
    const project = newProject();
    mkdirs(project, 'cmd/api');

    // WHEN / THEN the error names the name and the default it gave, and suggests the match
    expect(() => new GoService(project, 'apis')).toThrow(
      'GoService "apis": cmd/apis does not exist (mainPackage defaults to "./cmd/<name>", "./cmd/apis" from the service name "apis"): '
      + 'did you mean `./cmd/api`? Name the service "api", or give mainPackage: \'./cmd/api\'. '
      + '(For a new package that is only close to an existing one, create cmd/apis first.)');
    // AND nothing of the service is left in the project
    expect(project.tryFindObjectFile('cmd/apis/Dockerfile')).toBeUndefined();
    expect(project.tryFindFile('cmd/apis/Dockerfile')).toBeUndefined();
  });

  test('a default main package under a moduleRoot is checked there', () => {
    // GIVEN
    const project = newProject();
    mkdirs(project, 'backend/cmd/worker');

    // WHEN / THEN
    expect(() => new GoService(project, 'workr', { moduleRoot: 'backend' }))
      .toThrow('GoService "workr": backend/cmd/workr does not exist (mainPackage defaults to "./cmd/<name>", "./cmd/workr" from the service name "workr"): did you mean `./cmd/worker`?');
  });

  test('a new service whose name is close to an existing one synthesizes once its directory exists, and again', () => {
    // GIVEN cmd/api, and the refused new service apis
    const project = newProject();
    mkdirs(project, 'cmd/api');
    expect(() => new GoService(project, 'apis')).toThrow('did you mean `./cmd/api`?');

    // WHEN the user creates its directory and synthesizes, twice
    mkdirs(project, 'cmd/apis');
    const first = new Project({ name: 'consumer', outdir: project.outdir });
    new GoService(first, 'api');
    new GoService(first, 'apis');
    const warn = jest.spyOn(first.logger, 'warn');
    synthToDisk(first);
    const second = new Project({ name: 'consumer', outdir: project.outdir });
    new GoService(second, 'api');
    new GoService(second, 'apis');
    synthToDisk(second);

    // THEN both services have their Dockerfile, with no warning about their main packages
    expect(fs.existsSync(path.join(project.outdir, 'cmd/apis/Dockerfile'))).toBe(true);
    expect(fs.existsSync(path.join(project.outdir, 'cmd/api/Dockerfile'))).toBe(true);
    expect(warn).not.toHaveBeenCalledWith(expect.stringContaining('(mainPackage'));
  });

  test.each([
    ['no cmd/ directory', ['md/tool']],
    ['no directory of a close name under cmd/', ['cmd/worker']],
  ])('a default main package with %s is a new service: synthesis warns and goes on', (_, dirs) => {
    // GIVEN
    const project = newProject();
    mkdirs(project, ...dirs);
    const warn = jest.spyOn(project.logger, 'warn');

    // WHEN
    new GoService(project, 'api');
    synthToDisk(project);

    // THEN
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('GoService "api": cmd/api does not exist yet (mainPackage "./cmd/api")'));
  });

  test('a path with no close match is created later: synthesis warns and goes on', () => {
    // GIVEN
    const project = newProject();
    mkdirs(project, 'cmd/api');
    const warn = jest.spyOn(project.logger, 'warn');

    // WHEN
    new GoService(project, 'gateway', { mainPackage: './cmd/gateway' });
    synthToDisk(project);

    // THEN
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('GoService "gateway": cmd/gateway does not exist yet (mainPackage "./cmd/gateway")'));
  });

  test('a typo writes and removes nothing: the service\'s files stay where they were, and no directory appears', () => {
    // GIVEN a synthesized repository
    const project = newProject();
    mkdirs(project, 'cmd/api', 'cmd/worker');
    new GoService(project, 'api');
    new GoService(project, 'worker');
    synthToDisk(project);
    const dirsBefore = directories(project.outdir).sort();

    // WHEN the next synthesis has a typo in one service
    const again = new Project({ name: 'consumer', outdir: project.outdir });
    new GoService(again, 'api');
    const typo = () => new GoService(again, 'worker', { mainPackage: './cmd/workr' });

    // THEN it stops at construction: both Dockerfiles stay, and no typo'd directory exists
    expect(typo).toThrow('did you mean `./cmd/worker`?');
    expect(fs.existsSync(path.join(project.outdir, 'cmd/worker/Dockerfile'))).toBe(true);
    expect(fs.existsSync(path.join(project.outdir, 'cmd/api/Dockerfile'))).toBe(true);
    expect(directories(project.outdir).sort()).toEqual(dirsBefore);
  });

  test('a typo that lands on another service\'s Dockerfile is refused and leaves that service\'s files alone', () => {
    // GIVEN
    const project = newProject();
    mkdirs(project, 'cmd/api', 'cmd/apis');
    new GoService(project, 'api');
    const before = synthToDisk(project)['cmd/api/Dockerfile'];

    // WHEN a second service's mainPackage is another service's
    const again = new Project({ name: 'consumer', outdir: project.outdir });
    new GoService(again, 'api');
    const clash = () => new GoService(again, 'apis', { mainPackage: './cmd/api' });

    // THEN
    expect(clash).toThrow('Another file already uses cmd/api/Dockerfile: give GoService "apis" another "dockerfilePath"');
    expect(fs.readFileSync(path.join(project.outdir, 'cmd/api/Dockerfile'), 'utf8')).toBe(before);
  });

  test('the empty directories of files a synthesis no longer writes are removed', () => {
    // GIVEN a service synthesized with a path that had no close match (warned, then written)
    const project = newProject();
    new GoService(project, 'api', { mainPackage: './services/api/cmd/server' });
    synthToDisk(project);
    expect(fs.existsSync(path.join(project.outdir, 'services/api/cmd/server/Dockerfile'))).toBe(true);

    // WHEN the path is corrected
    mkdirs(project, 'cmd/api');
    const again = new Project({ name: 'consumer', outdir: project.outdir });
    new GoService(again, 'api');
    synthToDisk(again);

    // THEN the directories that held only its files are gone
    expect(fs.existsSync(path.join(project.outdir, 'services'))).toBe(false);
    expect(fs.existsSync(path.join(project.outdir, 'cmd/api/Dockerfile'))).toBe(true);
  });
});

describe('closeMatch', () => {
  test.each([
    ['rga', ['rag', 'api'], 'rag'],
    ['Api', ['api'], 'api'],
    ['workr', ['worker', 'api'], 'worker'],
    ['gateway', ['api', 'worker'], undefined],
    ['ab', ['xy'], undefined],
  ])('%s among %j → %s', (value, candidates, match) => {
    expect(closeMatch(value, candidates)).toBe(match);
  });
});
