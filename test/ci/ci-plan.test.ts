/**
 * The CI plan, declared once from the contract: what every provider runs, in which order, with which
 * access. The providers map it to their YAML; these tests hold the plan's invariants and check that
 * GitHub and GitLab render the same jobs and Make targets from it.
 */
import * as YAML from 'yaml';
import { GitHubActions, GitHubPlatformStrategy, GitLabCi, GoService, MultiArchPipeline, PythonService } from '../../src';
import { CI_ARTIFACTS, ciPlan, CiTrigger, RegistryAccess } from '../../src/contract/ci-plan';
import { buildVariables } from '../../src/contract/variables';
import { Platform } from '../../src/platform';
import { newProject, synth } from '../helpers';

const variables = buildVariables({ registry: 'ghcr.io/acme', platforms: [Platform.LINUX_AMD64, Platform.LINUX_ARM64], cacheRegistry: '', buildxDriver: 'docker-container', builderName: 'multiarch', scanSeverity: 'high', attestations: true });

describe.each([
  ['native runners, scan and sign', { perPlatform: true, scan: true, sign: true }],
  ['one job, scan and sign', { perPlatform: false, scan: true, sign: true }],
  ['native runners, no scan', { perPlatform: true, scan: false, sign: true }],
  ['one job, neither scan nor sign', { perPlatform: false, scan: false, sign: false }],
])('the CI plan, %s', (_, options) => {
  const plan = ciPlan(variables, options);
  const ids = plan.map(j => j.id);

  test('a change request builds and nothing else: no registry access, no tags, no signing', () => {
    const requests = plan.filter(j => j.trigger === CiTrigger.CHANGE_REQUEST);
    expect(requests.map(j => [j.id, j.target, j.registry, j.tags, j.signs])).toEqual([['pull-request', 'ci-build', undefined, false, false]]);
  });

  test('publish is last and waits for every push, scan and signature: nothing public before them', () => {
    const publish = plan[plan.length - 1];
    expect(publish.target).toBe('ci-publish');
    // the push's digests reach it through the merge, with native runners
    const before = plan.filter(j => j.trigger === CiTrigger.RELEASE && j.id !== 'publish' && !(options.perPlatform && j.id === 'push')).map(j => j.id);
    expect([...publish.needs].sort()).toEqual(before.sort());
  });

  test('every need is a job before it, and every download an upload of one of its needs', () => {
    plan.forEach((job, i) => {
      for (const need of job.needs) expect(ids.slice(0, i)).toContain(need);
      for (const artifact of job.downloads) {
        expect(plan.filter(j => job.needs.includes(j.id)).some(j => j.uploads.includes(artifact))).toBe(true);
      }
    });
  });

  test('only the push and merge write images, only sign signs, and only the pushing jobs build', () => {
    expect(plan.filter(j => j.builds).map(j => j.id)).toEqual(['pull-request', 'push']);
    expect(plan.filter(j => j.signs).map(j => j.id)).toEqual(options.sign ? ['sign'] : []);
    expect(plan.filter(j => j.registry === RegistryAccess.READ).map(j => j.id)).toEqual(options.scan ? ['security'] : []);
  });

  test('the artifacts are the contract\'s: platform metadata only with native runners, digests always', () => {
    const uploaded = plan.flatMap(j => j.uploads);
    expect(uploaded.includes(CI_ARTIFACTS.platformMetadata)).toBe(options.perPlatform);
    expect(uploaded).toContain(CI_ARTIFACTS.digests);
    expect(CI_ARTIFACTS.digests.path).toBe('.multiarch/digests');
  });
});

describe('GitHub and GitLab render the same plan', () => {
  function project(ci: any) {
    const p = newProject();
    new MultiArchPipeline(p, { registry: 'ghcr.io/acme', ciProviders: [ci] });
    new GoService(p, 'api');
    new PythonService(p, 'ml', { directory: 'ml' });
    return synth(p);
  }
  const makeTargets = (jobs: any[], lines: (j: any) => string[]) => jobs.map(j => lines(j).find(l => l.startsWith('make '))!.split(' ').pop());

  test('the same Make targets in the same order, one job each', () => {
    const gh = YAML.parse(project(new GitHubActions({ platformStrategy: GitHubPlatformStrategy.QEMU }))['.github/workflows/images.yml']);
    const gl = YAML.parse(project(new GitLabCi())['.gitlab-ci.yml']);
    const ghTargets = makeTargets(Object.values(gh.jobs), j => j.steps.map((s: any) => s.run ?? ''));
    const glTargets = makeTargets(Object.entries<any>(gl).filter(([k, v]) => !k.startsWith('.') && v.script).map(([, v]) => v), j => j.script);
    expect(ghTargets).toEqual(['ci-build', 'ci-push', 'ci-security', 'ci-sign', 'ci-publish']);
    expect(glTargets).toEqual(ghTargets);
  });
});
