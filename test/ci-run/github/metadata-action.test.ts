import { formatDate, Meta, MetadataContext, RepositoryData } from './metadata-action';

// The rules the library writes into its workflows
const TAGS = ['type=ref,event=branch', 'type=ref,event=pr', 'type=semver,pattern={{version}}', 'type=semver,pattern={{major}}.{{minor}}', 'type=sha'];
const LABELS = ["org.opencontainers.image.created={{commit_date 'YYYY-MM-DDTHH:mm:ss[Z]'}}"];
const REPO: RepositoryData = {
  name: 'nephoran-intent-operator',
  description: 'Intent-driven O-RAN orchestration',
  html_url: 'https://github.com/thc1006/nephoran-intent-operator',
  license: { spdx_id: 'Apache-2.0' },
  default_branch: 'main',
};
const SHA = '0123456789abcdef0123456789abcdef01234567';

function meta(ref: string, eventName = 'push') {
  const context: MetadataContext = { eventName, ref, sha: SHA, commitDate: new Date('2026-11-30T12:00:00Z'), payload: { repository: { default_branch: 'main' } } };
  const inputs = { images: ['r.example/app'], tags: TAGS, flavor: [], labels: LABELS, annotations: [], bakeTarget: 'app' };
  return new Meta(inputs, context, REPO, new Date('2026-12-06T00:00:00Z')).result();
}

describe('metadata-action stand-in', () => {
  test('a push to main: the branch and the short sha, no latest', () => {
    const r = meta('refs/heads/main');
    expect(r.version).toBe('main');
    expect(r.tags).toEqual(['r.example/app:main', 'r.example/app:sha-0123456']);
  });

  test('a v1.2.3 tag: semver first, then the sha, and latest (flavor latest=auto)', () => {
    const r = meta('refs/tags/v1.2.3');
    expect(r.version).toBe('1.2.3');
    expect(r.tags).toEqual(['r.example/app:1.2.3', 'r.example/app:1.2', 'r.example/app:sha-0123456', 'r.example/app:latest']);
  });

  test('a pull request: pr-<number>', () => {
    expect(meta('refs/pull/7/merge', 'pull_request').tags).toEqual(['r.example/app:pr-7', 'r.example/app:sha-0123456']);
  });

  test("the default labels are the repository's, and a custom label replaces a default one", () => {
    const files = meta('refs/heads/main').bakeFiles['bake-file'] as { target: { app: { labels: Record<string, string> } } };
    expect(files.target.app.labels).toEqual({
      'org.opencontainers.image.created': '2026-11-30T12:00:00Z',
      'org.opencontainers.image.description': 'Intent-driven O-RAN orchestration',
      'org.opencontainers.image.licenses': 'Apache-2.0',
      'org.opencontainers.image.revision': SHA,
      'org.opencontainers.image.source': 'https://github.com/thc1006/nephoran-intent-operator',
      'org.opencontainers.image.title': 'nephoran-intent-operator',
      'org.opencontainers.image.url': 'https://github.com/thc1006/nephoran-intent-operator',
      'org.opencontainers.image.version': 'main',
    });
  });

  test('annotations carry the manifest: level', () => {
    expect(meta('refs/heads/main').annotations).toContain('manifest:org.opencontainers.image.title=nephoran-intent-operator');
  });

  test('moment format with [literal] text', () => {
    expect(formatDate(new Date('2026-01-02T03:04:05Z'), 'YYYY-MM-DDTHH:mm:ss[Z]')).toBe('2026-01-02T03:04:05Z');
  });
});
