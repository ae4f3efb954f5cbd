/**
 * The GitLab pipeline, checked by its structure (GitLab's own CI schema is not available offline):
 * merge requests build without pushing, protected refs push, scan and sign, with the same Make
 * targets as GitHub and a developer.
 */
import { spawnSync } from 'child_process';
import { Project } from 'projen';
import * as YAML from 'yaml';
import { GitLabBuilder, GitLabCi, GoService, MultiArchPipeline, PythonService } from '../../src';
import { newProject, synth } from '../helpers';

function pipeline(options: ConstructorParameters<typeof GitLabCi>[0] = {}, python = true): any {
  const project: Project = newProject();
  new MultiArchPipeline(project, { registry: 'registry.gitlab.com/acme/shop', ciProviders: [new GitLabCi(options)] });
  new GoService(project, 'api');
  if (python) new PythonService(project, 'ml', { directory: 'ml' });
  return YAML.parse(synth(project)['.gitlab-ci.yml']);
}

/** The keys a GitLab job may have (the subset of the schema the generator uses, and the rest of GitLab's). */
const JOB_KEYS = new Set(['image', 'services', 'before_script', 'script', 'after_script', 'stage', 'extends', 'rules', 'needs', 'artifacts',
  'variables', 'id_tokens', 'tags', 'cache', 'when', 'allow_failure', 'timeout', 'retry', 'interruptible', 'dependencies', 'environment', 'parallel', 'resource_group']);

describe('GitLab CI, docker-in-docker', () => {
  const doc = pipeline();
  const jobs = Object.fromEntries(Object.entries<any>(doc).filter(([k]) => !['stages', 'variables', 'default', 'workflow', 'include'].includes(k)));

  test('is a valid pipeline shape: stages exist, jobs use known keys, needs and extends point to jobs that exist', () => {
    expect(doc.stages).toEqual(['build', 'push', 'security', 'sign']);
    for (const [name, job] of Object.entries<any>(jobs)) {
      for (const key of Object.keys(job)) expect([name, key, JOB_KEYS.has(key)]).toEqual([name, key, true]);
      if (!name.startsWith('.')) expect(doc.stages).toContain(job.stage);
      for (const need of job.needs ?? []) expect(Object.keys(jobs)).toContain(need);
      for (const parent of job.extends ?? []) expect(Object.keys(jobs)).toContain(parent);
      for (const rule of job.rules ?? []) expect(Object.keys(rule).every(k => ['if', 'variables', 'when'].includes(k))).toBe(true);
      for (const line of [...job.script ?? [], ...job.before_script ?? []]) expect(typeof line).toBe('string');
    }
  });

  test('merge requests build every service for every platform with ci-build: no login, no push', () => {
    expect(jobs.build.rules).toEqual([{ if: '$CI_PIPELINE_SOURCE == "merge_request_event"', variables: { VERSION: 'mr-$CI_MERGE_REQUEST_IID' } }]);
    expect(jobs.build.script).toEqual(['make -f Makefile ci-build']);
  });

  test('pushes, scans and signs run on protected refs only, never for a merge request', () => {
    for (const name of ['push', 'security', 'sign']) {
      for (const rule of jobs[name].rules) expect(rule.if).toContain('$CI_COMMIT_REF_PROTECTED == "true" && $CI_PIPELINE_SOURCE != "merge_request_event"');
    }
    expect(jobs.push.rules[0]).toEqual({ if: '$CI_COMMIT_TAG && $CI_COMMIT_REF_PROTECTED == "true" && $CI_PIPELINE_SOURCE != "merge_request_event"', variables: { VERSION: '$CI_COMMIT_TAG' } });
  });

  test.each([
    ['v1.2.3', 'v1.2.3'],
    ['release/1.2', 'release-1.2'],
    ['v1+build.5', 'v1-build.5'],
    ['a;b$(id)`id`', 'a-b--id--id-'],
  ])('a git tag %s becomes the image tag %s before make reads it', (tag, expected) => {
    // GIVEN the push job's script, run by a POSIX shell with GitLab's VERSION from the tag rule
    const line = jobs.push.script.find((l: string) => l.startsWith('export VERSION='));
    const r = spawnSync('sh', ['-c', `${line}; printf '%s' "$VERSION"`], { env: { PATH: process.env.PATH, VERSION: tag }, encoding: 'utf8' });
    // THEN every character an image tag cannot hold is "-", and it comes before make
    expect(r.stdout).toBe(expected);
    expect(jobs.push.script.indexOf(line)).toBeLessThan(jobs.push.script.indexOf('make -f Makefile ci-push'));
  });

  test('the same Make targets: ci-push, ci-security, ci-sign, with what was pushed passed on as artifacts', () => {
    expect(jobs.push.script.at(-1)).toBe('make -f Makefile ci-push');
    expect(jobs.push.artifacts.paths).toEqual(['.multiarch/']);
    expect(jobs.security.needs).toEqual(['push']);
    expect(jobs.security.script.at(-1)).toBe('make -f Makefile ci-security');
    expect(jobs.sign.needs).toEqual(['push', 'security']);
    expect(jobs.sign.script.at(-1)).toBe('make -f Makefile ci-sign');
  });

  test('keyless signing with GitLab\'s OIDC token; the registry password goes on stdin', () => {
    expect(jobs.sign.id_tokens).toEqual({ SIGSTORE_ID_TOKEN: { aud: 'sigstore' } });
    expect(jobs.push.script[0]).toBe('echo "$REGISTRY_PASSWORD" | docker login --username "$REGISTRY_USER" --password-stdin "$REGISTRY_HOST"');
    expect(doc.variables).toMatchObject({ REGISTRY: 'registry.gitlab.com/acme/shop', REGISTRY_HOST: 'registry.gitlab.com', REGISTRY_USER: '$CI_REGISTRY_USER' });
  });

  test('docker-in-docker with TLS, and QEMU only because a service runs commands on the target platform', () => {
    const template = jobs['.multiarch-build'];
    expect(template.services).toEqual([{ name: 'docker:27-dind', alias: 'docker' }]);
    expect(doc.variables).toMatchObject({ BUILDX_DRIVER: 'docker-container', DOCKER_HOST: 'tcp://docker:2376', DOCKER_TLS_VERIFY: '1' });
    expect(template.before_script).toContain('docker run --privileged --rm tonistiigi/binfmt --install all');
    expect(pipeline({}, false)['.multiarch-build'].before_script).not.toContain('docker run --privileged --rm tonistiigi/binfmt --install all');
  });
});

describe('GitLab CI, Kubernetes runner', () => {
  test('the kubernetes driver on native nodes: no dind service, no QEMU', () => {
    const doc = pipeline({ builder: GitLabBuilder.KUBERNETES, kubernetesNamespace: 'ci-buildkit' });
    expect(doc.variables).toMatchObject({ BUILDX_DRIVER: 'kubernetes', BUILDX_DRIVER_OPTS: 'namespace=ci-buildkit' });
    expect(doc.variables.DOCKER_HOST).toBeUndefined();
    expect(doc['.multiarch-build'].services).toBeUndefined();
    expect(doc['.multiarch-build'].before_script).toEqual(['apk add --no-cache make bash git']);
  });

  test.each([
    [{ builder: 'podman' as any }, /Invalid builder "podman"/],
    [{ kubernetesNamespace: 'Build Kit' }, /Invalid kubernetesNamespace "Build Kit"/],
    [{ dockerImage: 'docker:27 cli' }, /Invalid dockerImage/],
  ])('rejects %j', (options, error) => {
    expect(() => new GitLabCi(options)).toThrow(error);
  });
});
