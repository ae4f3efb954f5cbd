import * as fs from 'fs';
import * as path from 'path';
import { GoService, MultiArchPipeline } from '../../src';
import { newProject, synthToDisk } from '../helpers';

/** Writes files of a repository that exists before the library is added (path → content). */
function writeRepo(outdir: string, files: { [file: string]: string }): void {
  for (const [file, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(outdir, file)), { recursive: true });
    fs.writeFileSync(path.join(outdir, file), content);
  }
}

const TEAM_FILES = {
  'Makefile': 'test:\n\tgo test ./...\n',
  'docker-bake.hcl': 'target "legacy" {}\n',
  '.dockerignore': 'bin\n',
};

describe('a repository with its own Makefile, bake file and .dockerignore', () => {
  test('synthesis with the defaults overwrites none of them', () => {
    // GIVEN
    const project = newProject();
    writeRepo(project.outdir, { ...TEAM_FILES, 'go.mod': 'module example.org/app\n\ngo 1.24\n' });

    // WHEN
    let error: Error | undefined;
    try {
      new GoService(project, 'api', { mainPackage: '.' });
      synthToDisk(project);
    } catch (e) {
      error = e as Error;
    }

    // THEN
    expect(error).toBeDefined();
    for (const [file, content] of Object.entries(TEAM_FILES)) {
      expect(fs.readFileSync(path.join(project.outdir, file), 'utf8')).toBe(content);
    }
  });

  test('synthesis with makefile and bakeFile options keeps all three', () => {
    // GIVEN
    const project = newProject();
    writeRepo(project.outdir, { ...TEAM_FILES, 'go.mod': 'module example.org/app\n\ngo 1.24\n' });

    // WHEN
    new MultiArchPipeline(project, { makefile: 'multiarch.mk', bakeFile: 'multiarch.hcl' });
    new GoService(project, 'api', { mainPackage: '.' });
    const files = synthToDisk(project);

    // THEN
    expect(files['multiarch.mk']).toContain('build-multiarch');
    for (const [file, content] of Object.entries(TEAM_FILES)) {
      expect(fs.readFileSync(path.join(project.outdir, file), 'utf8')).toBe(content);
    }
  });
});
