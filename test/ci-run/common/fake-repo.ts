// The example as a repository a CI run can check out: its tracked and generated files (not
// node_modules/, .packed/ or anything else it ignores) committed with fixed dates, so every run of
// the same library sees the same commits. It has a `main` branch, a `v1.2.3` tag on main's commit,
// and a pull request (#7) from a `feature` branch with its merge commit at refs/pull/7/merge.
import * as fs from 'fs';
import * as path from 'path';
import { capture } from './proc';

export const PR_NUMBER = 7;
export const RELEASE_TAG = 'v1.2.3';
const MAIN_DATE = '2026-11-30T12:00:00Z';
const PR_DATE = '2026-12-01T09:00:00Z';
const MERGE_DATE = '2026-12-01T09:05:00Z';

export interface FakeRepo {
  /** a non-bare repository: clone it with file://<dir> */
  readonly dir: string;
  readonly mainSha: string;
  readonly prHeadSha: string;
  readonly prMergeSha: string;
  /** ISO dates of the commits above */
  readonly dates: { readonly main: string; readonly prHead: string; readonly prMerge: string };
}

function git(dir: string, args: string[], date?: string): string {
  const env = {
    ...process.env,
    GIT_AUTHOR_NAME: 'CI Run',
    GIT_AUTHOR_EMAIL: 'ci-run@example.invalid',
    GIT_COMMITTER_NAME: 'CI Run',
    GIT_COMMITTER_EMAIL: 'ci-run@example.invalid',
    ...(date ? { GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date } : {}),
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_CONFIG_NOSYSTEM: '1',
  };
  return capture('git', ['-c', 'init.defaultBranch=main', '-c', 'commit.gpgsign=false', '-c', 'tag.gpgsign=false', ...args], { cwd: dir, env }).trim();
}

/** The files of examples/<name> a user's repository would hold (tracked, or generated and not ignored). */
export function exampleFiles(root: string, example: string): string[] {
  const dir = path.join(root, 'examples', example);
  const out = capture('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z', '.'], { cwd: dir });
  return out.split('\0').filter(f => f && fs.existsSync(path.join(dir, f)))
    .filter(f => !f.split('/').some(part => part === 'node_modules' || part === '.packed'));
}

/**
 * @param vendored directories of the example that it ignores but a user would commit for CI to build
 *   (e.g. the monorepo's wheelhouse), copied and force-added
 */
export function createFakeRepo(root: string, example: string, dir: string, vendored: readonly string[] = []): FakeRepo {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const source = path.join(root, 'examples', example);
  for (const file of exampleFiles(root, example)) {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.copyFileSync(path.join(source, file), path.join(dir, file));
    fs.chmodSync(path.join(dir, file), fs.statSync(path.join(source, file)).mode);
  }
  for (const v of vendored) fs.cpSync(path.join(source, v), path.join(dir, v), { recursive: true });
  git(dir, ['init', '-q']);
  git(dir, ['add', '-A']);
  if (vendored.length) git(dir, ['add', '-f', ...vendored]);
  git(dir, ['commit', '-q', '-m', `Import examples/${example}`], MAIN_DATE);
  const mainSha = git(dir, ['rev-parse', 'HEAD']);
  git(dir, ['tag', '-a', RELEASE_TAG, '-m', `Release ${RELEASE_TAG}`], MAIN_DATE);

  git(dir, ['checkout', '-q', '-b', 'feature']);
  fs.writeFileSync(path.join(dir, 'PULL_REQUEST.md'), `A change from a fork (pull request #${PR_NUMBER}).\n`);
  git(dir, ['add', 'PULL_REQUEST.md']);
  git(dir, ['commit', '-q', '-m', 'A change from a fork'], PR_DATE);
  const prHeadSha = git(dir, ['rev-parse', 'HEAD']);
  git(dir, ['checkout', '-q', 'main']);
  git(dir, ['merge', '-q', '--no-ff', 'feature', '-m', `Merge ${prHeadSha} into ${mainSha}`], MERGE_DATE);
  const prMergeSha = git(dir, ['rev-parse', 'HEAD']);
  git(dir, ['update-ref', `refs/pull/${PR_NUMBER}/merge`, prMergeSha]);
  git(dir, ['update-ref', `refs/pull/${PR_NUMBER}/head`, prHeadSha]);
  git(dir, ['reset', '-q', '--hard', mainSha]);
  return { dir, mainSha, prHeadSha, prMergeSha, dates: { main: MAIN_DATE, prHead: PR_DATE, prMerge: MERGE_DATE } };
}

/** A clean clone of one commit, detached (the one-machine build's checkout). */
export function cloneAt(repo: string, sha: string, into: string): void {
  fs.mkdirSync(into, { recursive: true });
  git(into, ['init', '-q']);
  git(into, ['remote', 'add', 'origin', `file://${repo}`]);
  git(into, ['fetch', '-q', '--no-tags', '--depth=1', 'origin', `+${sha}:refs/ci-run/commit`]);
  git(into, ['checkout', '-q', '--force', '--detach', sha]);
}
