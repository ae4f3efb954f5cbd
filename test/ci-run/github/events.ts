// The three events a CI run replays, as GitHub would deliver them: the `github` context and the
// webhook payload, the secrets the run gets, and what metadata-action's rules should tag.
import * as fs from 'fs';
import { Json } from './expressions';
import { FakeRepo, PR_NUMBER, RELEASE_TAG } from '../common/fake-repo';

export type EventKind = 'pull_request' | 'push' | 'tag';
export const EVENT_KINDS: readonly EventKind[] = ['pull_request', 'push', 'tag'];

/** The repository the run pretends to be (what metadata-action reads from GitHub's API). */
export interface Repository {
  readonly owner: string;
  readonly name: string;
  readonly description: string;
  readonly license: string;
  readonly fork?: string;
}

export interface GitHubEvent {
  readonly kind: EventKind;
  readonly eventName: 'pull_request' | 'push';
  readonly ref: string;
  readonly sha: string;
  /** what actions/checkout checks out the commit as: a branch, or detached at a ref */
  readonly checkoutBranch?: string;
  readonly commitDate: string;
  readonly actor: string;
  readonly headRef: string;
  readonly baseRef: string;
  readonly payload: { [key: string]: Json };
  /** secrets.*: none on a pull request from a fork */
  readonly secrets: Record<string, string>;
  /** the image version (metadata-action's version output) and the tags the rules give, per image */
  readonly version: string;
  readonly expectedTags: readonly string[];
}

export function repositoryPayload(r: Repository): { [key: string]: Json } {
  const full = `${r.owner}/${r.name}`;
  return {
    id: 424242,
    name: r.name,
    full_name: full,
    private: false,
    fork: false,
    owner: { login: r.owner, type: 'User' },
    html_url: `https://github.com/${full}`,
    description: r.description,
    default_branch: 'main',
    license: { key: r.license.toLowerCase(), spdx_id: r.license, name: r.license },
  };
}

export function githubEvent(kind: EventKind, repo: FakeRepo, r: Repository): GitHubEvent {
  const repository = repositoryPayload(r);
  // the repository secrets of a team with private Go modules: GO_NETRC holds the lab module proxy's netrc
  const netrc: Record<string, string> = process.env.LAB_GO_NETRC ? { GO_NETRC: fs.readFileSync(process.env.LAB_GO_NETRC, 'utf8') } : {};
  const secrets: Record<string, string> = { GITHUB_TOKEN: 'ghs_ci-run-lab-token', REGISTRY_TOKEN: 'ci-run-lab-registry-token', ...netrc };
  const short = repo.mainSha.slice(0, 7);
  const commit = (id: string, timestamp: string, message: string) => ({ id, timestamp, message, author: { name: 'CI Run', email: 'ci-run@example.invalid' } });
  switch (kind) {
    case 'push':
      return {
        kind,
        eventName: 'push',
        ref: 'refs/heads/main',
        sha: repo.mainSha,
        checkoutBranch: 'main',
        commitDate: repo.dates.main,
        actor: r.owner,
        headRef: '',
        baseRef: '',
        secrets,
        version: 'main',
        expectedTags: ['main', `sha-${short}`],
        payload: {
          ref: 'refs/heads/main',
          before: '0'.repeat(40),
          after: repo.mainSha,
          created: false,
          deleted: false,
          forced: false,
          base_ref: null,
          commits: [commit(repo.mainSha, repo.dates.main, 'Import')],
          head_commit: commit(repo.mainSha, repo.dates.main, 'Import'),
          repository,
          pusher: { name: r.owner },
          sender: { login: r.owner },
        },
      };
    case 'tag':
      return {
        kind,
        eventName: 'push',
        ref: `refs/tags/${RELEASE_TAG}`,
        sha: repo.mainSha,
        commitDate: repo.dates.main,
        actor: r.owner,
        headRef: '',
        baseRef: '',
        secrets,
        version: '1.2.3',
        expectedTags: ['1.2.3', '1.2', `sha-${short}`, 'latest'],
        payload: {
          ref: `refs/tags/${RELEASE_TAG}`,
          before: '0'.repeat(40),
          after: repo.mainSha,
          created: true,
          deleted: false,
          forced: false,
          base_ref: 'refs/heads/main',
          commits: [],
          head_commit: commit(repo.mainSha, repo.dates.main, 'Import'),
          repository,
          pusher: { name: r.owner },
          sender: { login: r.owner },
        },
      };
    case 'pull_request': {
      const contributor = r.fork ?? 'a-contributor';
      return {
        kind,
        eventName: 'pull_request',
        ref: `refs/pull/${PR_NUMBER}/merge`,
        sha: repo.prMergeSha,
        commitDate: repo.dates.prMerge,
        actor: contributor,
        headRef: 'feature',
        baseRef: 'main',
        secrets: {},
        version: `pr-${PR_NUMBER}`,
        expectedTags: [],
        payload: {
          action: 'synchronize',
          number: PR_NUMBER,
          repository,
          sender: { login: contributor },
          pull_request: {
            number: PR_NUMBER,
            title: 'A change from a fork',
            user: { login: contributor },
            merge_commit_sha: repo.prMergeSha,
            head: { ref: 'feature', sha: repo.prHeadSha, label: `${contributor}:feature`, repo: { full_name: `${contributor}/${r.name}`, fork: true } },
            base: { ref: 'main', sha: repo.mainSha, label: `${r.owner}:main`, repo: { full_name: `${r.owner}/${r.name}`, fork: false } },
          },
        },
      };
    }
  }
}
