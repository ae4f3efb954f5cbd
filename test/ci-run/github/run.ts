// The CI-run tier for GitHub: runs an example's generated .github/workflows/images.yml in the lab
// for an event, job by job, then asserts what issue #20 item 2 asks of the result.
//
//   node -r ts-node/register test/ci-run/github/run.ts <example|all> <event|all> [--cold]
//   events: pull_request (pr), push, tag, vulnerable (a push to main with one service marked vulnerable)
//   --cold: no engine cache in the jobs (BAKE_FLAGS=--no-cache), as on a fresh runner
// Normally through scripts/ci-run.sh, which takes the lab's shared lock and sets the lab's environment.
import * as fs from 'fs';
import * as path from 'path';
import { loadEngine } from './engine';
import { EventKind, githubEvent, Repository } from './events';
import { RunSettings, WorkflowRun } from './runner';
import { configureStandIns, runStandIn, standInTable } from './stand-ins';
import { Cosign, Service, checkBaseline, checkLabels, checkNoPublicTags, checkSboms, checkSignatures, checkTags } from '../common/checks';
import { createFakeRepo, cloneAt, FakeRepo } from '../common/fake-repo';
import { capture, run, seconds } from '../common/proc';
import { Registry } from '../common/registry';
import { Report } from '../common/report';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const WORKFLOW = '.github/workflows/images.yml';

/**
 * The repositories the examples pretend to be (metadata-action labels images with these), the
 * service the vulnerable run marks, and what the example ignores but its CI needs committed: the
 * monorepo's wheelhouse (scripts/wheelhouse.sh writes ml/wheels, which its .gitignore lists).
 */
const EXAMPLES: Record<string, { repository: Repository; vulnerable: string; vendored?: { dir: string; make: string[] } }> = {
  nephoran: {
    repository: { owner: 'thc1006', name: 'nephoran-intent-operator', description: 'Intent-driven O-RAN orchestration', license: 'Apache-2.0' },
    vulnerable: 'rag-api',
  },
  monorepo: {
    repository: { owner: 'platform-team', name: 'monorepo', description: 'Services of the platform team', license: 'MIT' },
    vulnerable: 'scorer',
    vendored: { dir: 'ml/wheels', make: ['bash', 'scripts/wheelhouse.sh', 'examples/monorepo/ml/wheels'] },
  },
};

type Scenario = EventKind | 'vulnerable';
// the pull request last: like a real one, it builds from the registry cache the default branch wrote
const SCENARIOS: Scenario[] = ['push', 'tag', 'vulnerable', 'pull_request'];
/**
 * The registry cache of this invocation's runs, one per example: each run pushes under a repository of
 * its own, but every event reads and writes one cache, as a repository's runs share `<registry>/cache`.
 */
const CACHE_PREFIX = `ci-gh-cache-${Math.floor(Date.now() / 1000) % 1_000_000_000}`;

/** The jobs each scenario must run (and their result); every other job must be skipped. */
const EXPECTED_JOBS: Record<Scenario, Record<string, 'success' | 'failure'>> = {
  pull_request: { 'pull-request': 'success' },
  push: { push: 'success', merge: 'success', security: 'success', sign: 'success', publish: 'success' },
  tag: { push: 'success', merge: 'success', security: 'success', sign: 'success', publish: 'success' },
  vulnerable: { push: 'success', merge: 'success', security: 'failure' },
};

interface Lab {
  readonly dockerHost: string;
  readonly registry: string;
  readonly cosign: string;
}

function labFromEnv(): Lab {
  const need = (k: string) => {
    const v = process.env[k];
    if (!v) throw new Error(`${k} is not set: run through scripts/ci-run.sh (it evaluates scripts/lab.sh env)`);
    return v;
  };
  return { dockerHost: need('DOCKER_HOST'), registry: need('LAB_REGISTRY'), cosign: need('LAB_COSIGN') };
}

/** A key pair for the sign job, and the flags this cosign needs to sign offline. */
function cosignMachineEnv(lab: Lab, dir: string): { env: Record<string, string>; publicKey: string } {
  const password = 'ci-run';
  fs.mkdirSync(dir, { recursive: true });
  if (!fs.existsSync(path.join(dir, 'cosign.key'))) {
    capture(lab.cosign, ['generate-key-pair', '--output-key-prefix', path.join(dir, 'cosign')], { env: { ...process.env, COSIGN_PASSWORD: password } });
  }
  // cosign 3 refuses --tlog-upload=false unless signing configs are off too (Debian's build reports GitVersion "devel": ask its help)
  const signingConfig = capture(lab.cosign, ['sign', '--help']).includes('--use-signing-config');
  const flags = ['--tlog-upload=false', ...(signingConfig ? ['--use-signing-config=false'] : [])].join(' ');
  return { env: { COSIGN_KEY: path.join(dir, 'cosign.key'), COSIGN_PASSWORD: password, COSIGN_FLAGS: flags }, publicKey: path.join(dir, 'cosign.pub') };
}

/**
 * The example's workflow at the commit, with its registry rewritten to the run's place in the lab
 * registry, and its registry cache (`<registry>/cache`) to the one all runs of this invocation share.
 */
function rewriteWorkflow(text: string, labRegistry: string, runPrefix: string, example: string): { text: string; registry: string } {
  const registry = /^\s*REGISTRY: (\S+)\s*$/m.exec(text)?.[1];
  if (!registry) throw new Error(`${WORKFLOW} names no REGISTRY`);
  const host = registry.split('/')[0];
  const lab = `${labRegistry}/${runPrefix}/${example}`;
  const out = text.split(`${registry}/cache`).join(`${labRegistry}/${CACHE_PREFIX}/${example}/cache`).split(registry).join(lab).replace(new RegExp(`^(\\s*registry:\\s*)${host.replace(/\./g, '\\.')}\\s*$`, 'gm'), `$1${labRegistry}`);
  return { text: out, registry };
}

/**
 * cold: every job's machine gets BAKE_FLAGS=--no-cache, as a fresh GitHub runner has an empty BuildKit
 * (the lab's engine keeps its cache across jobs and runs, which hides, e.g., missing build secrets)
 */
async function runScenario(example: string, scenario: Scenario, lab: Lab, total: Report, cold = false): Promise<void> {
  const started = Date.now();
  const kind: EventKind = scenario === 'vulnerable' ? 'push' : scenario;
  const spec = EXAMPLES[example];
  const runId = Math.floor(Date.now() / 1000) % 1_000_000_000;
  const runPrefix = `ci-gh-${runId}`;
  const runDir = path.join(ROOT, '.e2e', 'ci-run', 'github', example, scenario, String(runId));
  fs.mkdirSync(runDir, { recursive: true });
  const report = new Report(path.join(runDir, 'summary.txt'));
  console.log(`\n== github ${example} ${scenario}${cold ? ' (cold: BAKE_FLAGS=--no-cache)' : ''} (run ${runId}, ${path.relative(ROOT, runDir)})`);

  if (spec.vendored && !fs.existsSync(path.join(ROOT, 'examples', example, spec.vendored.dir))) {
    const r = run(spec.vendored.make[0], spec.vendored.make.slice(1), { cwd: ROOT, log: path.join(runDir, 'vendored.log') });
    if (r.status !== 0) throw new Error(`${spec.vendored.make.join(' ')} failed: see ${path.join(runDir, 'vendored.log')}`);
  }
  const repo: FakeRepo = createFakeRepo(ROOT, example, path.join(runDir, 'repository'), spec.vendored ? [spec.vendored.dir] : []);
  const event = githubEvent(kind, repo, spec.repository);
  fs.writeFileSync(path.join(runDir, 'event.json'), JSON.stringify(event.payload, null, 2));
  fs.writeFileSync(path.join(runDir, 'stand-ins.txt'), standInTable() + '\n');
  const vulnerable = scenario === 'vulnerable' ? [spec.vulnerable] : [];
  const registry = new Registry(lab.registry);
  const cosign = cosignMachineEnv(lab, path.join(ROOT, '.e2e', 'ci-run', 'github', 'cosign'));
  const original = capture('git', ['show', `${event.sha}:${WORKFLOW}`], { cwd: repo.dir });
  const rewritten = rewriteWorkflow(original, lab.registry, runPrefix, example);
  fs.writeFileSync(path.join(runDir, 'images.yml'), rewritten.text);
  const logins: string[] = [];
  configureStandIns({
    repository: {
      name: spec.repository.name,
      description: spec.repository.description,
      html_url: `https://github.com/${spec.repository.owner}/${spec.repository.name}`,
      license: { spdx_id: spec.repository.license },
      default_branch: 'main',
    },
    commitDate: new Date(event.commitDate),
    vulnerable,
    cosign: lab.cosign,
    artifacts: path.join(runDir, 'artifacts'),
    registryHosts: { [lab.registry]: lab.registry },
    logins,
  });
  const settings: RunSettings = {
    runId,
    runDir,
    repoDir: repo.dir,
    repository: spec.repository,
    workflowFile: WORKFLOW,
    workflowText: rewritten.text,
    event,
    dockerHost: lab.dockerHost,
    registry,
    registryPrefixes: [`${runPrefix}/`, `${CACHE_PREFIX}/${example}/`],
    machineEnv: { ...cosign.env, ...(cold ? { BAKE_FLAGS: '--no-cache' } : {}) },
    vars: {},
  };
  const wf = new WorkflowRun(loadEngine(), settings, runStandIn);
  const template = await wf.parse();
  report.ok(`GitHub's parser reads ${example}/${WORKFLOW} (registry ${rewritten.registry} -> ${lab.registry}/${runPrefix}/${example})`);
  if (!report.check(wf.triggered(template), `the workflow's on: takes ${event.eventName} ${event.ref}`)) return finish();
  await wf.execute(template);

  // every job that should run succeeded (or, for the vulnerable run, failed where it must); the others were skipped
  const expected = EXPECTED_JOBS[scenario];
  for (const [id, job] of wf.jobs) {
    const want = expected[id] ?? 'skipped';
    const legs = job.legs.map(l => `${l.name}: ${l.result}${l.error ? ` (${l.error})` : ''}${failedStep(l)} [${path.relative(ROOT, l.log)}]`);
    report.check(job.result === want, `job ${id}: ${want}`, `it was ${job.result}${legs.length ? '\n' + legs.join('\n') : ''}`);
  }
  for (const l of [...wf.jobs.values()].flatMap(j => j.legs)) report.note(`${l.key}: ${l.result} in ${seconds(l.ms)}`);

  const services: Service[] = serviceNames(example).map(s => ({ name: s.name, description: s.description, repository: `${runPrefix}/${example}/${s.name}` }));
  const legs = [...wf.jobs.values()].flatMap(j => j.legs);
  if (kind === 'pull_request') {
    const pushed = legs.flatMap(l => l.pushed);
    report.check(pushed.length === 0, 'a pull request pushes nothing and writes no cache (registry before and after each job)', `written: ${pushed.join(' ')}`);
    report.check(logins.length === 0, 'a pull request from a fork runs no login step', `login steps ran in ${logins.join(', ')}`);
    return finish();
  }
  // per-platform jobs must not write one shared cache ref
  const cacheWriters = new Map<string, string[]>();
  for (const l of legs) for (const ref of l.pushed.filter(r => r.includes('/cache'))) cacheWriters.set(ref, [...(cacheWriters.get(ref) ?? []), l.key]);
  const shared = [...cacheWriters].filter(([, who]) => who.length > 1);
  report.check(shared.length === 0, 'the per-platform jobs write cache refs of their own', shared.map(([ref, who]) => `${ref} written by ${who.join(' and ')}`).join('\n'));

  if (scenario === 'vulnerable') {
    // the Makefile's STAGING_TAG (unpublished-<VCS_REF>[-<platform>]): where the docker driver must push before ci-publish
    await checkNoPublicTags(report, registry, services, event.expectedTags, `unpublished-${event.sha}`);
    return finish();
  }
  // the one-machine build of the same commit, into another repository
  const baselineDir = path.join(runDir, 'baseline');
  cloneAt(repo.dir, event.sha, baselineDir);
  const baselineRegistry = `${lab.registry}/${runPrefix}-baseline/${example}`;
  const baselineLog = path.join(runDir, 'logs', 'baseline-build-multiarch.log');
  const t0 = Date.now();
  // as a user builds it: with the credentials of the private module proxy (the monorepo's), which do not change an image
  const netrc = process.env.LAB_GO_NETRC ? [`GO_NETRC=${process.env.LAB_GO_NETRC}`] : [];
  const baseline = () => run('make', ['build-multiarch', 'PUSH=true', 'BUILDX_DRIVER=docker', `VERSION=${event.version}`, `VCS_REF=${event.sha}`,
    `REGISTRY=${baselineRegistry}`, ...netrc], { cwd: baselineDir, log: baselineLog });
  let b = baseline();
  // the lab registry (distribution 2.8) now and then answers a HEAD that races a tag write with a
  // 500: that, and only that, is built again (scripts/e2e.sh's retry_push does the same)
  if (b.status !== 0 && /127\.0\.0\.1:5000.*500 Internal Server Error/.test(fs.readFileSync(baselineLog, 'utf8'))) {
    fs.renameSync(baselineLog, `${baselineLog}.flake`);
    console.log(`note: the lab registry answered 500 Internal Server Error (see ${baselineLog}.flake); building again`);
    b = baseline();
  }
  report.check(b.status === 0, `one-machine make build-multiarch of ${event.sha.slice(0, 7)} (VERSION=${event.version}) into ${baselineRegistry} (${seconds(Date.now() - t0)})`, `exit ${b.status}, see ${baselineLog}`);
  const cosignCheck: Cosign = { binary: lab.cosign, publicKey: cosign.publicKey, log: path.join(runDir, 'logs', 'cosign-verify.log') };
  for (const svc of services) {
    const index = await checkTags(report, registry, svc, event.expectedTags);
    if (!index) continue;
    await checkBaseline(report, registry, svc, index, { ...svc, repository: `${runPrefix}-baseline/${example}/${svc.name}` }, event.version);
    await checkLabels(report, registry, svc, index, spec.repository.description);
    await checkSignatures(report, registry, svc, index, cosignCheck);
    await checkSboms(report, registry, svc, index, cosignCheck);
  }
  return finish();

  function finish(): void {
    report.note(`run ${example} ${scenario}: ${seconds(Date.now() - started)}; ${report.summary()}`);
    total.absorb(report);
  }
}

function failedStep(l: { steps: { name: string; conclusion: string }[] }): string {
  const s = l.steps.find(x => x.conclusion === 'failure');
  return s ? `, step "${s.name}" failed` : '';
}

function serviceNames(example: string): { name: string; description?: string }[] {
  const e2e = JSON.parse(fs.readFileSync(path.join(ROOT, 'examples', example, 'e2e.json'), 'utf8')) as { services: { name: string; description?: string }[] };
  return e2e.services.map(s => ({ name: s.name, description: s.description }));
}

async function main(): Promise<void> {
  const cold = process.argv.includes('--cold');
  const args = process.argv.slice(2).filter(a => a !== '--cold');
  if (args[0] === '--table') return void console.log(standInTable());
  const alias: Record<string, Scenario> = { pr: 'pull_request', pull_request: 'pull_request', push: 'push', tag: 'tag', vulnerable: 'vulnerable' };
  const examples = !args[0] || args[0] === 'all' ? Object.keys(EXAMPLES) : [args[0]];
  const scenarios = !args[1] || args[1] === 'all' ? SCENARIOS : [alias[args[1]]];
  for (const e of examples) if (!EXAMPLES[e]) throw new Error(`unknown example "${e}" (known: ${Object.keys(EXAMPLES).join(', ')})`);
  if (scenarios.some(s => !s)) throw new Error(`unknown event "${args[1]}" (known: pr, push, tag, vulnerable, all)`);
  const lab = labFromEnv();
  const total = new Report();
  for (const e of examples) {
    for (const s of scenarios) {
      try {
        await runScenario(e, s, lab, total, cold);
      } catch (err) {
        total.fail(`github ${e} ${s}: the run itself`, (err as Error).stack ?? String(err));
      }
    }
  }
  console.log(`\n${total.summary()}`);
  process.exitCode = total.failures ? 1 : 0;
}

void main();
