/**
 * The GitHub workflows, one test per invariant: they lint clean (actionlint 1.7), pin every action by
 * SHA, declare permissions per job, keep event data out of run: lines, build pull requests without
 * pushing or writing the cache, carry docker/metadata-action's tags into every image, and cover native
 * arm64 runners with a merge, SBOM, scan and keyless signing of the pushed digests.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Project, typescript } from 'projen';
import * as YAML from 'yaml';
import { GitHubActions, GitHubPlatformStrategy, GoService, MultiArchPipeline, Platform, PythonService } from '../../src';
import { actionlint, newProject, synth } from '../helpers';

const WORKFLOW = '.github/workflows/images.yml';

/** A TypeScript project on GitHub, written as a new user would: a Go and a Python service, defaults. */
function newUserProject(options: ConstructorParameters<typeof GitHubActions>[0] = {}): Project {
  const project = new typescript.TypeScriptProject({ name: 'shop', defaultReleaseBranch: 'main', outdir: newProject().outdir });
  new MultiArchPipeline(project, { registry: 'ghcr.io/acme', ciProviders: [new GitHubActions(options)] });
  new GoService(project, 'api', { port: 8080 });
  new PythonService(project, 'ml', { directory: 'ml', port: 5000 });
  return project;
}

function workflow(project: Project): { text: string; doc: any } {
  const text = synth(project)[WORKFLOW];
  return { text, doc: YAML.parse(text) };
}

const steps = (doc: any) => Object.values<any>(doc.jobs).flatMap(j => j.steps);

describe.each([
  ['native arm64 runners (default)', {}],
  ['QEMU on one runner', { platformStrategy: GitHubPlatformStrategy.QEMU }],
])('GitHub workflow, %s', (_, options) => {
  const { text, doc } = workflow(newUserProject(options));

  test('actionlint reports nothing', () => {
    expect(actionlint(text)).toEqual([]);
  });

  test('every uses: is pinned to a full commit SHA, with its release in a comment', () => {
    const uses = text.split('\n').filter(l => /^\s*(- )?uses: /.test(l));
    expect(uses.length).toBeGreaterThan(5);
    for (const line of uses) expect(line).toMatch(/uses: [\w./-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$/);
  });

  test('every job declares its permissions; id-token: write only where signing, packages: write only where pushing', () => {
    for (const [id, job] of Object.entries<any>(doc.jobs)) {
      expect(job.permissions).toBeDefined();
      expect(job.permissions.contents).toBe('read');
      expect(job.permissions['id-token'] === 'write').toBe(id === 'sign');
      expect(job.permissions.packages === 'write').toBe(['push', 'merge', 'sign', 'publish'].includes(id));
    }
  });

  test('checkouts keep no credentials', () => {
    const checkouts = steps(doc).filter(s => String(s.uses).startsWith('actions/checkout@'));
    expect(checkouts.length).toBe(Object.keys(doc.jobs).length);
    checkouts.forEach(s => expect(s.with['persist-credentials']).toBe(false));
  });

  test('no expression, and so no event data or ref name, inside a run: line; no pull_request_target', () => {
    for (const s of steps(doc).filter(x => x.run)) expect(s.run).not.toContain('${{');
    expect(Object.keys(doc.on)).toEqual(['pull_request', 'push']);
    expect(text).not.toContain('pull_request_target');
  });

  test('one run per ref at a time; pull requests cancel their older runs, pushes never do', () => {
    expect(doc.concurrency).toEqual({ 'group': '${{ github.workflow }}-${{ github.ref }}', 'cancel-in-progress': '${{ github.event_name == \'pull_request\' }}' });
  });

  test('pull requests build every service for every platform with ci-build: no login, no secret, no push', () => {
    const pr = doc.jobs['pull-request'];
    expect(pr.if).toBe('github.event_name == \'pull_request\'');
    expect(pr.permissions).toEqual({ contents: 'read' });
    expect(JSON.stringify(pr)).not.toMatch(/secrets\.|login-action|ci-push|METADATA_FILES/);
    expect(pr.steps.filter((s: any) => s.run).map((s: any) => s.run)).toEqual(['make -f Makefile ci-build']);
  });

  test('pushes take only their tags from docker/metadata-action, one bake target per service: each image keeps its own labels', () => {
    const pushing = Object.entries<any>(doc.jobs).filter(([id]) => ['push', 'merge', 'publish'].includes(id));
    expect(pushing.length).toBeGreaterThan(0);
    for (const [, job] of pushing) {
      const metas = job.steps.filter((s: any) => String(s.uses).startsWith('docker/metadata-action@'));
      expect(metas.map((s: any) => [s.with.images, s.with['bake-target']])).toEqual([['ghcr.io/acme/api', 'api'], ['ghcr.io/acme/ml', 'ml']]);
      const make = job.steps.find((s: any) => String(s.run).startsWith('make '));
      // bake-file (tags + labels) would put the repository's title, description and licence on every image
      expect(make.env.METADATA_FILES).toBe('${{ steps.meta-api.outputs.bake-file-tags }} ${{ steps.meta-ml.outputs.bake-file-tags }}');
      expect(make.env.VERSION).toBe('${{ steps.meta-api.outputs.version }}');
    }
  });

  test('public tags come last: publish needs the push, the scan and the signature, and only it runs ci-publish', () => {
    const last = doc.jobs.merge ? 'merge' : 'push';
    expect(doc.jobs.publish.needs).toEqual([last, 'security', 'sign']);
    const publishing = Object.entries<any>(doc.jobs).filter(([, j]) => j.steps.some((s: any) => String(s.run).includes('ci-publish'))).map(([id]) => id);
    expect(publishing).toEqual(['publish']);
  });

  test('every job stops after timeout-minutes; setup-buildx runs a BuildKit pinned by digest', () => {
    for (const job of Object.values<any>(doc.jobs)) expect(job['timeout-minutes']).toBe(60);
    const buildx = steps(doc).filter(s => String(s.uses).startsWith('docker/setup-buildx-action@'));
    expect(buildx.length).toBeGreaterThan(0);
    buildx.forEach(s => expect(s.with['driver-opts']).toMatch(/^image=moby\/buildkit:v[\d.]+@sha256:[0-9a-f]{64}$/));
  });

  test('make takes the builder and its driver from setup-buildx (how it pushes depends on the driver)', () => {
    const makes = steps(doc).filter(s => String(s.run).startsWith('make ') && s.env.BUILDER !== undefined);
    expect(makes.length).toBeGreaterThan(1);
    makes.forEach(s => expect([s.env.BUILDER, s.env.BUILDX_DRIVER]).toEqual(['${{ steps.buildx.outputs.name }}', '${{ steps.buildx.outputs.driver }}']));
  });

  test('the SBOM and scan, then keyless signing, read the pushed digests', () => {
    const security = doc.jobs.security;
    expect(security.steps.map((s: any) => s.run).filter((r: any) => r?.startsWith('make'))).toEqual(['make -f Makefile ci-security']);
    expect(security.steps.some((s: any) => s.with?.name === 'digests')).toBe(true);
    const sign = doc.jobs.sign;
    expect(sign.needs).toContain('security');
    expect(sign.steps.some((s: any) => String(s.uses).startsWith('sigstore/cosign-installer@'))).toBe(true);
    const make = sign.steps.find((s: any) => s.run?.startsWith('make'));
    expect(make.run).toBe('make -f Makefile ci-sign');
    expect(make.env.COSIGN_KEY).toBeUndefined();
  });
});

describe('build secrets (private dependencies)', () => {
  const { doc } = workflow(newUserProject({ buildSecrets: { GO_NETRC: 'GO_MODULES_NETRC' } }));

  test('the release build, and only it, writes each build secret file from a repository secret before make (pull requests get none)', () => {
    const withSecrets = Object.entries<any>(doc.jobs).filter(([, j]) => j.steps.some((s: any) => s.id === 'build-secrets')).map(([id]) => id);
    expect(withSecrets).toEqual(['push']);
    const ids = doc.jobs.push.steps.map((s: any) => s.id);
    expect(ids.indexOf('build-secrets')).toBe(ids.indexOf('make-ci-push-platform') - 1);
    const step = doc.jobs.push.steps.find((s: any) => s.id === 'build-secrets');
    expect(step.env).toEqual({ GO_NETRC_CONTENT: '${{ secrets.GO_MODULES_NETRC }}', PIP_CONF_CONTENT: '${{ secrets.PIP_CONF }}', PIP_NETRC_CONTENT: '${{ secrets.PIP_NETRC }}' });
  });

  test.each([
    ['a secret', 'machine proxy login ci password t0ken', true],
    ['no secret (a fork\'s pull request)', '', false],
  ])('with %s, the step writes the file outside the checkout, readable by the job only, and gives make its path', (_, content, written) => {
    // GIVEN the step's script, run as GitHub runs it
    const step = doc.jobs.push.steps.find((s: any) => s.id === 'build-secrets');
    const temp = fs.mkdtempSync(path.join(os.tmpdir(), 'runner-'));
    const env = path.join(temp, 'github-env');
    fs.writeFileSync(env, '');
    const vars = { PATH: process.env.PATH, RUNNER_TEMP: temp, GITHUB_ENV: env, GO_NETRC_CONTENT: content, PIP_CONF_CONTENT: '', PIP_NETRC_CONTENT: '' };
    const r = spawnSync('bash', ['-e', '-c', step.run], { env: vars, encoding: 'utf8' });
    // THEN
    expect(r.status).toBe(0);
    const file = path.join(temp, 'go-netrc');
    expect(fs.existsSync(file)).toBe(written);
    expect(fs.readFileSync(env, 'utf8')).toBe(written ? `GO_NETRC=${file}\n` : '');
    if (written) {
      expect(fs.readFileSync(file, 'utf8')).toBe(`${content}\n`);
      expect((fs.statSync(file).mode % 0o1000).toString(8)).toBe('600');
    }
  });

  test.each([
    [{ buildSecrets: { 'GO-NETRC': 'X' } }, /Invalid buildSecrets "GO-NETRC": must be a variable name/],
    [{ buildSecrets: { GO_NETRC: 'github_netrc' } }, /Invalid buildSecrets\["GO_NETRC"\] "github_netrc": must be the name of a secret/],
  ])('rejects %j at construction', (options, error) => {
    expect(() => new GitHubActions(options)).toThrow(error);
  });

  test('a build secret that no service of the pipeline reads is refused at synthesis, naming the ones they read', () => {
    // GIVEN a Go and a Python service, and buildSecrets naming a variable neither language declares
    const project = newUserProject({ buildSecrets: { NPM_TOKEN: 'X' } });
    // WHEN it is synthesized THEN the error lists the secret files the services declare
    expect(() => synth(project)).toThrow(/Invalid buildSecrets "NPM_TOKEN": is not a build secret file of this pipeline's services: use one of GO_NETRC, PIP_CONF, PIP_NETRC/);
  });

  test('a Go-only pipeline declares only the Go secret file: PIP_CONF is refused there', () => {
    // GIVEN a pipeline with one Go service and buildSecrets naming PIP_CONF
    const project = new typescript.TypeScriptProject({ name: 'shop', defaultReleaseBranch: 'main', outdir: newProject().outdir });
    new MultiArchPipeline(project, { registry: 'ghcr.io/acme', ciProviders: [new GitHubActions({ buildSecrets: { PIP_CONF: 'PIP' } })] });
    new GoService(project, 'api');
    // WHEN it is synthesized THEN only GO_NETRC is offered
    expect(() => synth(project)).toThrow(/Invalid buildSecrets "PIP_CONF": .* use one of GO_NETRC$/);
  });
});

describe('native arm64 runners', () => {
  const { doc } = workflow(newUserProject());

  test('every per-platform job sets PLATFORMS to its platform, so setup-buildx checks the runner for that platform only', () => {
    // an arm64 runner without QEMU cannot run amd64; with a Python service, checking every platform failed the job
    for (const id of ['pull-request', 'push']) {
      const make = doc.jobs[id].steps.find((s: any) => String(s.run).startsWith('make '));
      expect([make.env.PLATFORM, make.env.PLATFORMS]).toEqual(['${{ matrix.platform }}', '${{ matrix.platform }}']);
    }
  });

  test('one push job per platform on a runner of that architecture, then a merge', () => {
    expect(doc.jobs.push.strategy.matrix.include).toEqual([
      { platform: 'linux/amd64', pair: 'linux-amd64', runner: 'ubuntu-24.04', qemu: false },
      { platform: 'linux/arm64', pair: 'linux-arm64', runner: 'ubuntu-24.04-arm', qemu: false },
    ]);
    expect(doc.jobs.push['runs-on']).toBe('${{ matrix.runner }}');
    expect(doc.jobs.push.steps.find((s: any) => String(s.run).startsWith('make '))).toMatchObject({ run: 'make -f Makefile ci-push-platform', env: { PLATFORM: '${{ matrix.platform }}' } });
    expect(doc.jobs.merge.needs).toBe('push');
    expect(doc.jobs.merge.steps.find((s: any) => s.run).run).toBe('make -f Makefile ci-merge');
  });

  test('a platform without a native runner builds under QEMU on the default runner', () => {
    const project = newProject();
    new MultiArchPipeline(project, { registry: 'ghcr.io/acme', ciProviders: [new GitHubActions()] });
    new GoService(project, 'api', { platforms: [Platform.LINUX_AMD64, Platform.LINUX_ARM_V7] });
    const include = workflow(project).doc.jobs.push.strategy.matrix.include;
    expect(include.find((m: any) => m.platform === 'linux/arm/v7')).toEqual({ platform: 'linux/arm/v7', pair: 'linux-arm-v7', runner: 'ubuntu-24.04', qemu: true });
    // the pipeline's linux/arm64, which no service builds, gets no job (ci-push-platform would stop on it)
    expect(include.map((m: any) => m.platform)).toEqual(['linux/amd64', 'linux/arm/v7']);
  });

  test('where arm64 runners are not offered, "" builds arm64 under QEMU on the default runner; another label, on that runner', () => {
    const include = (runners: { [p: string]: string }) => workflow(newUserProject({ runners })).doc.jobs.push.strategy.matrix.include;
    expect(include({ 'linux/arm64': '' })[1]).toEqual({ platform: 'linux/arm64', pair: 'linux-arm64', runner: 'ubuntu-24.04', qemu: true });
    expect(include({ 'linux/arm64': 'arm64-large' })[1]).toEqual({ platform: 'linux/arm64', pair: 'linux-arm64', runner: 'arm64-large', qemu: false });
  });

  test('each pull-request job builds its own platform only (PLATFORM), so a service\'s own platforms stay on their runners', () => {
    const step = doc.jobs['pull-request'].steps.find((s: any) => s.run);
    expect(step).toMatchObject({ run: 'make -f Makefile ci-build', env: { PLATFORMS: '${{ matrix.platform }}', PLATFORM: '${{ matrix.platform }}' } });
  });
});

describe('options and refusals', () => {
  test('a plain Project gets its own GitHub component, without Mergify or PR lint', () => {
    const project = newProject();
    new MultiArchPipeline(project, { registry: 'ghcr.io/acme', ciProviders: [new GitHubActions({ workflowName: 'containers' })] });
    new GoService(project, 'api');
    const out = synth(project);
    expect(Object.keys(out).filter(f => f.startsWith('.github/') || f.startsWith('.mergify'))).toEqual(['.github/workflows/containers.yml']);
  });

  test('pins can be overridden, and the override is what the workflow uses', () => {
    const sha = 'a'.repeat(40);
    const { text } = workflow(newUserProject({ actionPins: { 'actions/checkout': { sha, version: 'v7.9.9' } } }));
    expect(text).toContain(`uses: actions/checkout@${sha} # v7.9.9`);
  });

  test.each([
    [() => new GitHubActions({ workflowName: 'Images!' }), /Invalid workflowName "Images!"/],
    [() => new GitHubActions({ runners: { 'linux/sparc': 'x' } }), /Invalid runners "linux\/sparc": keys must be platforms/],
    [() => new GitHubActions({ runners: { 'linux/arm64': 'arm runner' } }), /Invalid runners\["linux\/arm64"\] "arm runner"/],
    [() => new GitHubActions({ registryPasswordSecret: 'my-token' }), /Invalid registryPasswordSecret "my-token": must be the name of a secret/],
    [() => new GitHubActions({ actionPins: { 'actions/checkout': { sha: 'v7', version: 'v7' } } }), /must be a full 40-character commit SHA/],
    [() => new GitHubActions({ registryReadPasswordSecret: 'GITHUB_TOKEN' }), /Invalid registryReadPasswordSecret "GITHUB_TOKEN": is the default login on ghcr.io, where the security job's token is read-only already/],
    [() => new GitHubActions({ registryReadPasswordSecret: 'read token' }), /Invalid registryReadPasswordSecret "read token": must be the name of a secret/],
    [() => new GitHubActions({ registryReadUsername: 'robot' }), /Invalid registryReadUsername "robot": is the user of the read-only token: give registryReadPasswordSecret too/],
    [() => new GitHubActions({ timeoutMinutes: 0 }), /Invalid timeoutMinutes 0: must be a whole number of minutes from 1 to 360/],
    [() => new GitHubActions({ timeoutMinutes: 1.5 }), /Invalid timeoutMinutes 1.5/],
  ])('rejects bad options (%#)', (create, error) => {
    expect(create).toThrow(error);
  });

  test('a registry login with a secret of its own gets no packages permission: GITHUB_TOKEN would only gain rights it does not use', () => {
    // GIVEN another registry, and GHCR with a token of the user's own
    for (const [registry, secret] of [['registry.acme.internal/shop', 'ACME_REGISTRY_TOKEN'], ['ghcr.io/acme', 'GHCR_PAT']]) {
      const project = new typescript.TypeScriptProject({ name: 'shop', defaultReleaseBranch: 'main', outdir: newProject().outdir });
      new MultiArchPipeline(project, { registry, ciProviders: [new GitHubActions({ registryUsername: 'ci', registryPasswordSecret: secret })] });
      new GoService(project, 'api');
      const { text, doc } = workflow(project);
      // THEN no job asks for packages, the pushing jobs log in with the secret, and signing keeps id-token
      for (const [id, job] of Object.entries<any>(doc.jobs)) {
        expect([id, job.permissions.packages]).toEqual([id, undefined]);
        expect(job.permissions.contents).toBe('read');
      }
      expect(doc.jobs.sign.permissions['id-token']).toBe('write');
      expect(steps(doc).filter(s => s.with?.password).map(s => s.with.password)).toEqual(expect.arrayContaining([`\${{ secrets.${secret} }}`]));
      expect(actionlint(text)).toEqual([]);
    }
  });

  test('a read-only token, when given, is the only credential of the job that only reads (security: SBOM and scan); the pushing jobs keep the push token', () => {
    // GIVEN another registry with a push token and a read-only robot account
    const project = new typescript.TypeScriptProject({ name: 'shop', defaultReleaseBranch: 'main', outdir: newProject().outdir });
    new MultiArchPipeline(project, {
      registry: 'registry.acme.internal/shop',
      ciProviders: [new GitHubActions({
        registryUsername: 'ci-bot', registryPasswordSecret: 'REGISTRY_PUSH_TOKEN', registryReadUsername: 'robot$scan', registryReadPasswordSecret: 'REGISTRY_READ_TOKEN',
      })],
    });
    new GoService(project, 'api');
    const { text, doc } = workflow(project);
    // THEN each job that logs in uses the credential of its access, and only one of them
    const logins = Object.fromEntries(Object.entries<any>(doc.jobs).map(([id, job]) => [id, job.steps.filter((s: any) => s.id === 'login').map((s: any) => s.with)]));
    expect(logins.security).toEqual([{ registry: 'registry.acme.internal', username: 'robot$scan', password: '${{ secrets.REGISTRY_READ_TOKEN }}' }]);
    for (const id of ['push', 'merge', 'sign', 'publish']) {
      expect([id, logins[id]]).toEqual([id, [{ registry: 'registry.acme.internal', username: 'ci-bot', password: '${{ secrets.REGISTRY_PUSH_TOKEN }}' }]]);
    }
    expect(text.match(/REGISTRY_READ_TOKEN/g)).toHaveLength(1);
    expect(actionlint(text)).toEqual([]);
    // AND without a read user, the push user name goes with the read-only token
    const other = new typescript.TypeScriptProject({ name: 'shop', defaultReleaseBranch: 'main', outdir: newProject().outdir });
    new MultiArchPipeline(other, { registry: 'registry.acme.internal/shop', ciProviders: [new GitHubActions({ registryUsername: 'ci-bot', registryPasswordSecret: 'REGISTRY_PUSH_TOKEN', registryReadPasswordSecret: 'REGISTRY_READ_TOKEN' })] });
    new GoService(other, 'api');
    expect(workflow(other).doc.jobs.security.steps.find((s: any) => s.id === 'login').with).toEqual({ registry: 'registry.acme.internal', username: 'ci-bot', password: '${{ secrets.REGISTRY_READ_TOKEN }}' });
  });

  test('a local registry cannot be pushed to from GitHub\'s runners', () => {
    expect(() => new MultiArchPipeline(newProject(), { ciProviders: [new GitHubActions()] }))
      .toThrow(/Invalid MultiArchPipeline registry "localhost:5000": is local: GitHubActions pushes from GitHub's runners/);
  });

  test('another registry than GHCR needs its credentials named', () => {
    expect(() => new MultiArchPipeline(newProject(), { registry: 'registry.acme.internal/shop', ciProviders: [new GitHubActions()] }))
      .toThrow('GitHubActions: the registry registry.acme.internal is not GitHub\'s: give registryUsername and registryPasswordSecret (the secret holding its token)');
  });
});

describe('whole after every constructor', () => {
  test('the jobs exist as soon as the services do, and follow each new service', () => {
    // GIVEN a pipeline with GitHub Actions and one Go service
    const project = new typescript.TypeScriptProject({ name: 'shop', defaultReleaseBranch: 'main', outdir: newProject().outdir });
    const gh = new GitHubActions();
    new MultiArchPipeline(project, { registry: 'ghcr.io/acme', ciProviders: [gh] });
    new GoService(project, 'api');
    // WHEN .projenrc.ts reads the workflow before synthesis
    const push = project.github!.tryFindWorkflow('images')!.getJob('push') as any;
    // THEN the push job is there, with a tags step for the service
    expect(gh.workflow).toBe(project.github!.tryFindWorkflow('images'));
    expect(push.steps.map((s: any) => s.id)).toContain('meta-api');
    // AND a service added later gets its step in the job
    new PythonService(project, 'ml', { directory: 'ml' });
    expect((gh.workflow.getJob('push') as any).steps.map((s: any) => s.id)).toEqual(expect.arrayContaining(['meta-api', 'meta-ml']));
  });

  test('a job .projenrc.ts replaced stays its own when services are added after it', () => {
    // GIVEN a push job replaced through the escape hatch
    const project = new typescript.TypeScriptProject({ name: 'shop', defaultReleaseBranch: 'main', outdir: newProject().outdir });
    const gh = new GitHubActions();
    new MultiArchPipeline(project, { registry: 'ghcr.io/acme', ciProviders: [gh] });
    new GoService(project, 'api');
    const mine = { ...(gh.workflow.getJob('push') as any), name: 'our own push' };
    gh.workflow.updateJob('push', mine);
    // WHEN another service joins
    new GoService(project, 'worker');
    // THEN the replaced job is left as it was, and the others follow the new service
    const doc = YAML.parse(synth(project)[WORKFLOW]);
    expect(doc.jobs.push.name).toBe('our own push');
    expect(doc.jobs.push.steps.map((s: any) => s.id)).not.toContain('meta-worker');
    expect(doc.jobs.publish.steps.map((s: any) => s.id)).toContain('meta-worker');
  });

  test('the workflow of a provider not added to a pipeline is an error that says so', () => {
    expect(() => new GitHubActions().workflow).toThrow('GitHubActions: add it to a pipeline first (ciProviders, or MultiArchPipeline.addCiProvider)');
  });
});
