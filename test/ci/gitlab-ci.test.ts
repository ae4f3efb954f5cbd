/**
 * The GitLab pipeline, checked by its structure (GitLab's own CI schema is not available offline):
 * merge requests build without pushing, protected refs push, scan and sign, with the same Make
 * targets as GitHub and a developer.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Project } from 'projen';
import * as YAML from 'yaml';
import { GitLabBuilder, GitLabCi, GITLAB_IMAGES, GoService, MultiArchPipeline, PythonService } from '../../src';
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
    expect(doc.stages).toEqual(['build', 'push', 'security', 'sign', 'publish']);
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

  test('pushes, scans, signs and tags run on protected refs only, never for a merge request', () => {
    for (const name of ['push', 'security', 'sign', 'publish']) {
      expect(jobs[name].rules).toEqual([{ if: '$CI_COMMIT_REF_PROTECTED == "true" && $CI_PIPELINE_SOURCE != "merge_request_event"' }]);
    }
  });

  /** Runs a job's script lines up to `last` (exclusive) in a POSIX shell with `env`, then prints `print`. */
  function runScript(job: any, until: (line: string) => boolean, env: { [k: string]: string }, print: string): string {
    const lines = job.script.slice(0, job.script.findIndex(until));
    const r = spawnSync('sh', ['-c', `${lines.filter((l: string) => !l.includes('docker login') && !l.startsWith('if [ -z "${REGISTRY_PASSWORD')).join('\n')}\n${print}`],
      { env: { PATH: process.env.PATH, ...env }, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    return r.stdout;
  }

  test.each([
    [{ CI_COMMIT_TAG: 'v1.2.3' }, '1.2.3'],
    [{ CI_COMMIT_TAG: 'v1.2.3-rc.1' }, '1.2.3-rc.1'],
    [{ CI_COMMIT_TAG: 'release/1.2' }, 'release-1.2'],
    [{ CI_COMMIT_TAG: 'v1+build.5' }, '1-build.5'],
    [{ CI_COMMIT_TAG: 'a;b$(id)`id`' }, 'a-b--id--id-'],
    [{ CI_COMMIT_REF_NAME: 'main' }, 'main'],
    [{ CI_COMMIT_REF_NAME: 'release/2.x' }, 'release-2.x'],
  ])('%j gives VERSION %s, as docker/metadata-action gives it on GitHub, in push and publish alike', (ref, expected) => {
    for (const job of [jobs.push, jobs.publish]) {
      expect(runScript(job, l => l.startsWith('make '), { CI_COMMIT_SHA: 'abcdef0123456789', ...ref }, 'printf %s "$VERSION"')).toBe(expected);
    }
  });

  test.each([
    [{ CI_COMMIT_TAG: 'v1.2.3' }, '1.2 latest sha-abcdef0'],
    [{ CI_COMMIT_TAG: 'v1.2.3-rc.1' }, 'sha-abcdef0'],
    [{ CI_COMMIT_REF_NAME: 'main' }, 'sha-abcdef0'],
  ])('%j gives the tags GitHub\'s default rules add: PUBLISH_TAGS %s', (ref, expected) => {
    expect(runScript(jobs.publish, l => l.startsWith('make '), { CI_COMMIT_SHA: 'abcdef0123456789', ...ref }, 'printf %s "$PUBLISH_TAGS"')).toBe(expected);
  });

  test.each([
    ['GitLab\'s registry with the job\'s credentials', { CI_REGISTRY: 'registry.gitlab.com', CI_REGISTRY_USER: 'gitlab-ci-token', CI_REGISTRY_PASSWORD: 'job-token' }, 'login gitlab-ci-token job-token registry.gitlab.com'],
    ['its own credentials, when given', { CI_REGISTRY: 'gitlab.example', REGISTRY_USER: 'bot', REGISTRY_PASSWORD: 's3cret' }, 'login bot s3cret registry.gitlab.com'],
  ])('logs in to %s, the password on stdin', (_, env, expected) => {
    // GIVEN a docker that prints what it was given
    const bin = fs.mkdtempSync(path.join(os.tmpdir(), 'gl-'));
    fs.writeFileSync(path.join(bin, 'docker'), '#!/bin/sh\necho "login $3 $(cat) $5"\n', { mode: 0o755 });
    const login = jobs.push.script.slice(0, 3).join('\n');
    const r = spawnSync('sh', ['-c', login], { env: { PATH: `${bin}:${process.env.PATH}`, REGISTRY_HOST: 'registry.gitlab.com', ...env }, encoding: 'utf8' });
    expect(r.stdout.trim()).toBe(expected);
  });

  test('another registry without REGISTRY_USER and REGISTRY_PASSWORD stops with what to set, never tries GitLab\'s credentials on it', () => {
    const login = jobs.push.script.slice(0, 3).join('\n');
    const r = spawnSync('sh', ['-c', login], { env: { PATH: process.env.PATH, REGISTRY_HOST: 'ghcr.io', CI_REGISTRY: 'registry.gitlab.com', CI_REGISTRY_USER: 'gitlab-ci-token', CI_REGISTRY_PASSWORD: 'job-token' }, encoding: 'utf8' });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('GitLab CI: ghcr.io is not this GitLab\'s registry (registry.gitlab.com): set REGISTRY_USER and REGISTRY_PASSWORD as masked and protected CI/CD variables');
  });

  test('the same Make targets: ci-push, ci-security, ci-sign, then ci-publish, which alone gives public tags', () => {
    expect(jobs.push.script.at(-1)).toBe('make -f Makefile ci-push');
    expect(jobs.push.artifacts.paths).toEqual(['.multiarch/digests/']);
    expect(jobs.security.needs).toEqual(['push']);
    expect(jobs.security.script.at(-1)).toBe('make -f Makefile ci-security');
    expect(jobs.sign.needs).toEqual(['push', 'security']);
    expect(jobs.sign.script.at(-1)).toBe('make -f Makefile ci-sign');
    expect(jobs.publish.needs).toEqual(['push', 'security', 'sign']);
    expect(jobs.publish.script.at(-1)).toBe('make -f Makefile ci-publish');
  });

  test('keyless signing with GitLab\'s OIDC token', () => {
    expect(jobs.sign.id_tokens).toEqual({ SIGSTORE_ID_TOKEN: { aud: 'sigstore' } });
    expect(doc.variables).toMatchObject({ REGISTRY: 'registry.gitlab.com/acme/shop', REGISTRY_HOST: 'registry.gitlab.com' });
    expect(doc.variables.REGISTRY_USER).toBeUndefined();
  });

  test('docker-in-docker with TLS in the jobs that have the service only; QEMU only because a service runs commands on the target platform', () => {
    const template = jobs['.multiarch-build'];
    expect(template.services).toEqual([{ name: GITLAB_IMAGES.dind, alias: 'docker' }]);
    expect(template.variables).toEqual({ DOCKER_HOST: 'tcp://docker:2376', DOCKER_TLS_CERTDIR: '/certs', DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: '/certs/client' });
    expect(doc.variables).toMatchObject({ BUILDX_DRIVER: 'docker-container' });
    // a job without the service and with DOCKER_HOST=tcp://docker:2376 fails on its first docker command
    for (const key of ['DOCKER_HOST', 'DOCKER_TLS_VERIFY', 'DOCKER_CERT_PATH']) expect(doc.variables[key]).toBeUndefined();
    for (const name of ['security', 'sign', 'publish']) expect([name, jobs[name].services, jobs[name].variables]).toEqual([name, undefined, undefined]);
    expect(template.before_script).toContain(`docker run --privileged --rm ${GITLAB_IMAGES.binfmt} --install all`);
    expect(pipeline({}, false)['.multiarch-build'].before_script.join('\n')).not.toContain('binfmt');
  });

  test('every image is pinned by digest, and every job has a timeout', () => {
    const images = Object.values<any>(jobs).flatMap(j => [j.image?.name, ...(j.services ?? []).map((x: any) => x.name)]).filter(x => x);
    expect(images.length).toBeGreaterThanOrEqual(3);
    for (const image of [...images, GITLAB_IMAGES.binfmt]) expect(image).toMatch(/^[a-z0-9./-]+:[\w.-]+@sha256:[0-9a-f]{64}$/);
    for (const [name, job] of Object.entries<any>(jobs)) if (!job.extends) expect([name, job.timeout]).toEqual([name, '1h']);
  });
});

describe('GitLab CI, Kubernetes runner', () => {
  test('the kubernetes driver on native nodes: no dind service, no QEMU', () => {
    const doc = pipeline({ builder: GitLabBuilder.KUBERNETES, kubernetesNamespace: 'ci-buildkit' });
    expect(doc.variables).toMatchObject({ BUILDX_DRIVER: 'kubernetes', BUILDX_DRIVER_OPTS: 'namespace=ci-buildkit' });
    expect(doc.variables.DOCKER_HOST).toBeUndefined();
    expect(doc['.multiarch-build'].services).toBeUndefined();
    expect(doc['.multiarch-build'].before_script).toEqual(['apk add --no-cache make bash git jq']);
    expect(doc['.multiarch-build'].variables).toBeUndefined();
  });

  test.each([
    [{ builder: 'podman' as any }, /Invalid builder "podman"/],
    [{ kubernetesNamespace: 'Build Kit' }, /Invalid kubernetesNamespace "Build Kit"/],
    [{ dockerImage: 'docker:27 cli' }, /Invalid dockerImage/],
    [{ binfmtImage: 'binfmt;id' }, /Invalid binfmtImage/],
    [{ timeout: '1 day' }, /Invalid timeout "1 day": must be a duration GitLab reads, in minutes or hours/],
  ])('rejects %j', (options, error) => {
    expect(() => new GitLabCi(options)).toThrow(error);
  });
});

describe('GitLab CI, whole after every constructor', () => {
  test('the jobs exist as soon as the services do; a job .projenrc.ts replaced stays its own', () => {
    // GIVEN a pipeline with GitLab CI and one Go service
    const project = newProject();
    const gl = new GitLabCi();
    new MultiArchPipeline(project, { registry: 'registry.gitlab.com/acme/shop', ciProviders: [gl] });
    new GoService(project, 'api');
    // THEN the jobs are in the configuration before synthesis
    expect(Object.keys(gl.configuration.jobs)).toEqual(expect.arrayContaining(['build', 'push', 'publish']));
    // WHEN .projenrc.ts replaces the build job and a Python service joins
    gl.configuration.jobs.build = { ...gl.configuration.jobs.build, timeout: '3h' };
    new PythonService(project, 'ml', { directory: 'ml' });
    const doc = YAML.parse(synth(project)['.gitlab-ci.yml']);
    // THEN the replaced job stays as it was
    expect(doc.build.timeout).toBe('3h');
    // AND the build template follows the new service (its Dockerfile runs commands on the target platform: QEMU)
    expect(JSON.stringify(doc['.multiarch-build'].before_script)).toContain('binfmt');
  });
});
