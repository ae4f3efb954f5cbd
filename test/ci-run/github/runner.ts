// Runs a GitHub Actions workflow, job by job, on this machine: jobs in `needs` order, matrices
// expanded, `if:`/`env:`/`with:`/`outputs`/`runs-on` and every `${{ }}` evaluated by GitHub's own
// engine, `run:` steps executed by bash exactly as written (GitHub's default shell commands), and
// each `uses:` step handed to its stand-in (stand-ins.ts).
import * as fs from 'fs';
import * as path from 'path';
import type { Job, Step, WorkflowTemplate } from '@actions/workflow-parser/model/workflow-template' with { 'resolution-mode': 'import' };
import type { TemplateToken } from '@actions/workflow-parser/templates/tokens/index' with { 'resolution-mode': 'import' };
import { Engine } from './engine';
import { GitHubEvent } from './events';
import { asString, Contexts, Expressions, Json, Status, truthy } from './expressions';
import { appendKeyValue, createStepFiles, parseKeyValueFile, parsePathFile, PROTECTED_ENV, StepFiles } from './workflow-files';
import { hashFiles } from '../common/glob';
import { appendLog, capture, run, seconds } from '../common/proc';
import { Registry, Snapshot, written } from '../common/registry';

export type Result = 'success' | 'failure' | 'cancelled' | 'skipped';

/** Labels of GitHub-hosted Linux runners, and the platforms their machine runs natively. */
export const RUNNERS: Record<string, { arch: 'X64' | 'ARM64'; platforms: string[] }> = {
  'ubuntu-24.04': { arch: 'X64', platforms: ['linux/amd64', 'linux/amd64/v2', 'linux/amd64/v3', 'linux/amd64/v4', 'linux/386'] },
  'ubuntu-22.04': { arch: 'X64', platforms: ['linux/amd64', 'linux/amd64/v2', 'linux/amd64/v3', 'linux/amd64/v4', 'linux/386'] },
  'ubuntu-latest': { arch: 'X64', platforms: ['linux/amd64', 'linux/amd64/v2', 'linux/amd64/v3', 'linux/amd64/v4', 'linux/386'] },
  'ubuntu-24.04-arm': { arch: 'ARM64', platforms: ['linux/arm64'] },
  'ubuntu-22.04-arm': { arch: 'ARM64', platforms: ['linux/arm64'] },
};

export interface RunSettings {
  readonly runId: number;
  readonly runDir: string;
  /** the fake repository (file:// clone source) */
  readonly repoDir: string;
  readonly repository: { owner: string; name: string };
  readonly workflowFile: string;
  /** the workflow's text, already rewritten to the lab registry */
  readonly workflowText: string;
  readonly event: GitHubEvent;
  /** the lab engine (unix://…) */
  readonly dockerHost: string;
  readonly registry: Registry;
  /** repositories of this run in the registry start with one of these, e.g. ci-gh-42/ and its registry cache's */
  readonly registryPrefixes: string[];
  /** variables every job's machine has (e.g. the cosign key pair), stated in the stand-in table */
  readonly machineEnv: Record<string, string>;
  readonly vars: Record<string, string>;
}

export interface StepRecord {
  readonly id: string;
  readonly name: string;
  readonly uses?: string;
  readonly outcome: Result;
  readonly conclusion: Result;
  readonly seconds: number;
}

/** One job, or one leg of a matrix job. */
export interface LegRecord {
  readonly jobId: string;
  readonly key: string;
  readonly name: string;
  readonly matrix: { [key: string]: Json };
  readonly runsOn: string;
  result: Result;
  readonly steps: StepRecord[];
  readonly log: string;
  ms: number;
  /** registry tags this leg wrote (new, or moved) */
  pushed: string[];
  /** why the leg failed, when it did outside a step */
  error?: string;
}

export interface JobRecord {
  readonly id: string;
  result: Result;
  outputs: Record<string, string>;
  readonly legs: LegRecord[];
}

/** What a stand-in gets: its inputs, the step's environment, and the machine it runs on. */
export interface StepContext {
  readonly with: Record<string, string>;
  readonly env: NodeJS.ProcessEnv;
  readonly machine: Machine;
  readonly settings: RunSettings;
  readonly stepId: string;
  log(text: string): void;
  /** runs a command with the step's environment; its output goes to the job's log */
  exec(cmd: string, args: readonly string[], options?: { cwd?: string; input?: string; env?: NodeJS.ProcessEnv }): number;
  setOutput(name: string, value: string): void;
  exportVariable(name: string, value: string): void;
  addPath(dir: string): void;
}

export interface StandInRunner {
  (action: string, ctx: StepContext): void | Promise<void>;
}

/** The throwaway machine of one job: a workspace, a temp dir, a home, a docker config, a bin dir first on PATH. */
export interface Machine {
  readonly dir: string;
  readonly workspace: string;
  readonly temp: string;
  readonly home: string;
  readonly dockerConfig: string;
  readonly bin: string;
  readonly log: string;
  readonly runsOn: string;
  readonly runnerPlatforms: string[];
  /** what this job's setup-qemu step registered */
  readonly qemuPlatforms: string[];
  /** registries this job logged in to */
  readonly logins: string[];
  /** when the job's timeout-minutes (default 360) runs out, in ms since the epoch */
  readonly deadline: number;
}

const BASE_PATH = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

export class WorkflowRun {
  public readonly jobs = new Map<string, JobRecord>();
  private readonly expressions: Expressions;
  private rawJobs?: TemplateToken;
  /** the workspace of the job that runs (hashFiles reads it) */
  private workspace?: string;

  constructor(private readonly engine: Engine, private readonly settings: RunSettings, private readonly standIn: StandInRunner) {
    this.expressions = new Expressions(engine, (patterns) => this.workspace ? hashFiles(this.workspace, patterns) : '');
  }

  /** Parses the workflow with GitHub's parser; throws with the parser's errors. */
  public async parse(): Promise<WorkflowTemplate> {
    const { parseWorkflow, convertWorkflowTemplate, NoOperationTraceWriter } = this.engine;
    const parsed = parseWorkflow({ name: this.settings.workflowFile, content: this.settings.workflowText }, new NoOperationTraceWriter());
    const errors = parsed.context.errors.getErrors();
    if (errors.length || !parsed.value) throw new Error(`GitHub's parser refused ${this.settings.workflowFile}:\n${errors.map(e => e.message).join('\n')}`);
    const template = await convertWorkflowTemplate(parsed.context, parsed.value);
    if (template.errors?.length) throw new Error(`GitHub's parser refused ${this.settings.workflowFile}:\n${template.errors.map(e => e.Message).join('\n')}`);
    this.rawJobs = this.find(parsed.value, 'jobs');
    return template;
  }

  /** Whether the workflow's `on:` takes the event (branch and tag filters). */
  public triggered(template: WorkflowTemplate): boolean {
    const e = this.settings.event;
    if (e.eventName === 'push') {
      const on = template.events.push;
      if (!on) return false;
      const [list, ignore, name] = e.ref.startsWith('refs/tags/')
        ? [on.tags, on['tags-ignore'], e.ref.slice('refs/tags/'.length)]
        : [on.branches, on['branches-ignore'], e.ref.slice('refs/heads/'.length)];
      if (!list && !ignore) {
        // a push filter on tags only does not run for branches, and the other way round
        if (e.ref.startsWith('refs/tags/') ? on.branches : on.tags) return false;
        return true;
      }
      if (ignore) return !ignore.some(p => globMatch(p, name));
      return list!.some(p => globMatch(p, name));
    }
    const on = template.events.pull_request;
    if (!on) return false;
    if (on.branches) return on.branches.some(p => globMatch(p, e.baseRef));
    if (on['branches-ignore']) return !on['branches-ignore'].some(p => globMatch(p, e.baseRef));
    return true;
  }

  public async execute(template: WorkflowTemplate): Promise<void> {
    const workflowEnv = this.expressions.strings(template.env, this.baseContexts({}));
    const pending = template.jobs.filter((j): j is Job => j.type === 'job');
    if (pending.length !== template.jobs.length) throw new Error('reusable workflow jobs are not supported by the ci-run runner');
    while (pending.length) {
      const next = pending.findIndex(j => (j.needs ?? []).every(n => this.jobs.has(n.value)));
      if (next < 0) throw new Error(`jobs with unsatisfiable needs: ${pending.map(j => j.id.value).join(', ')}`);
      const [job] = pending.splice(next, 1);
      await this.runJob(job, workflowEnv);
    }
  }

  private async runJob(job: Job, workflowEnv: Record<string, string>): Promise<void> {
    const id = job.id.value;
    const record: JobRecord = { id, result: 'skipped', outputs: {}, legs: [] };
    this.jobs.set(id, record);
    const needs = this.needsContext(job);
    const status: Status = { failed: (job.needs ?? []).some(n => this.jobs.get(n.value)!.result !== 'success'), cancelled: false };
    const jobContexts = { ...this.baseContexts({ needs }) };
    if (!truthy(this.expressions.token(job.if, jobContexts, status))) {
      console.log(`  job ${id}: skipped (if: ${job.if.expression})`);
      return;
    }
    const strategy = this.expressions.token(job.strategy, jobContexts) as { [k: string]: Json } | null;
    const legs = expandMatrix((strategy?.matrix ?? null) as { [k: string]: Json } | null);
    const failFast = strategy?.['fail-fast'] === undefined ? true : truthy(strategy['fail-fast']);
    let failed = false;
    for (const [index, matrix] of legs.entries()) {
      const strategyContext = { 'fail-fast': failFast, 'job-index': index, 'job-total': legs.length, 'max-parallel': legs.length };
      if (failed && failFast) {
        record.legs.push({ jobId: id, key: `${id}-${index}`, name: id, matrix, runsOn: '', result: 'cancelled', steps: [], log: '', ms: 0, pushed: [] });
        continue;
      }
      const leg = await this.runLeg(job, index, legs.length > 1 || strategy !== null ? matrix : {}, strategyContext, needs, workflowEnv, record);
      record.legs.push(leg);
      if (leg.result !== 'success') failed = true;
    }
    record.result = record.legs.some(l => l.result === 'failure') ? 'failure'
      : record.legs.some(l => l.result === 'cancelled') ? 'cancelled' : 'success';
  }

  private async runLeg(job: Job, index: number, matrix: { [k: string]: Json }, strategy: { [k: string]: Json },
    needs: { [k: string]: Json }, workflowEnv: Record<string, string>, record: JobRecord): Promise<LegRecord> {
    const id = job.id.value;
    const base = this.baseContexts({ needs, matrix, strategy });
    const runsOnValue = this.expressions.token(job['runs-on'], base);
    const runsOn = Array.isArray(runsOnValue) ? asString(runsOnValue[0]) : asString(runsOnValue);
    const name = job.name ? asString(this.expressions.token(job.name, base)) : id;
    const key = `${id}-${index}${Object.values(matrix).length ? '-' + slug(asString(Object.values(matrix)[0])) : ''}`;
    const log = path.join(this.settings.runDir, 'logs', `${key}.log`);
    fs.mkdirSync(path.dirname(log), { recursive: true });
    const leg: LegRecord = { jobId: id, key, name, matrix, runsOn, result: 'success', steps: [], log, ms: 0, pushed: [] };
    const started = Date.now();
    const before = await this.snapshot();
    appendLog(log, `== job ${id} (${name}) on ${runsOn}, matrix ${JSON.stringify(matrix)}`);
    console.log(`  job ${key}: ${name} [${runsOn}]`);
    try {
      const runner = RUNNERS[runsOn];
      if (!runner) throw new Error(`no GitHub-hosted Linux runner is labelled "${runsOn}" (known: ${Object.keys(RUNNERS).join(', ')})`);
      const minutes = Number(asString(this.expressions.token(this.find(this.find(this.rawJobs, id), 'timeout-minutes'), base)) || 360);
      const machine = this.createMachine(key, runsOn, runner.platforms, log, started + minutes * 60_000);
      this.workspace = machine.workspace;
      const runnerContext = { os: 'Linux', arch: runner.arch, name: `GitHub Actions ${index + 1}`, temp: machine.temp, tool_cache: path.join(machine.dir, 'toolcache'), environment: 'github-hosted' };
      const jobEnv = this.expressions.strings(job.env, { ...base, env: workflowEnv, runner: runnerContext });
      await this.runSteps(job, machine, leg, { ...base, runner: runnerContext }, { ...workflowEnv, ...jobEnv }, record);
    } catch (e) {
      leg.result = 'failure';
      leg.error = (e as Error).message;
      appendLog(log, `ci-run: ${leg.error}`);
    }
    leg.ms = Date.now() - started;
    leg.pushed = written(before, await this.snapshot());
    appendLog(log, `== ${leg.result} in ${seconds(leg.ms)}; registry tags written: ${leg.pushed.join(' ') || 'none'}`);
    console.log(`    ${leg.result} in ${seconds(leg.ms)}${leg.error ? ` (${leg.error})` : ''}  log: ${path.relative(process.cwd(), log)}`);
    return leg;
  }

  private async runSteps(job: Job, machine: Machine, leg: LegRecord, base: Contexts, env: Record<string, string>, record: JobRecord): Promise<void> {
    const steps: { [id: string]: Json } = {};
    const githubEnv: Record<string, string> = {};
    const paths: string[] = [];
    const summary = path.join(machine.dir, 'step-summary.md');
    let failed = false;
    for (const [i, step] of job.steps.entries()) {
      const started = Date.now();
      const raw = this.rawStep(job.id.value, i);
      const envContext = { ...githubEnv, ...env };
      const contexts: Contexts = { ...base, env: envContext, steps, job: { status: failed ? 'failure' : 'success', container: {}, services: {} } };
      const status: Status = { failed, cancelled: false };
      const uses = 'uses' in step ? step.uses.value : undefined;
      const stepName = step.name ? asString(this.expressions.token(step.name, contexts)) : uses ?? 'run';
      let outcome: Result = 'skipped';
      const ifToken = (step as { if?: TemplateToken }).if;
      if (ifToken === undefined || truthy(this.expressions.token(ifToken, contexts, status))) {
        appendLog(machine.log, `\n-- step ${i + 1} ${stepName}${uses ? ` (uses ${uses})` : ''}`);
        const files = createStepFiles(path.join(machine.dir, 'files'), i);
        const stepEnv = { ...envContext, ...this.expressions.strings((step as { env?: TemplateToken }).env, contexts) };
        outcome = await this.runStep(step, raw, machine, contexts, stepEnv, paths, files);
        try {
          this.applyFiles(files, steps, step.id, githubEnv, paths, summary);
        } catch (e) {
          appendLog(machine.log, `ci-run: ${(e as Error).message}`);
          outcome = 'failure';
        }
      }
      const continueOnError = truthy(this.expressions.token(this.find(raw, 'continue-on-error'), contexts));
      const conclusion: Result = outcome === 'failure' && continueOnError ? 'success' : outcome;
      if (conclusion === 'failure') failed = true;
      const existing = steps[step.id] as { outputs?: Json } | undefined;
      if (!step.id.startsWith('__')) steps[step.id] = { outputs: existing?.outputs ?? {}, outcome, conclusion };
      leg.steps.push({ id: step.id, name: stepName, uses, outcome, conclusion, seconds: (Date.now() - started) / 1000 });
      appendLog(machine.log, `-- ${stepName}: ${outcome}${outcome !== conclusion ? ` (conclusion ${conclusion})` : ''} in ${seconds(Date.now() - started)}`);
    }
    leg.result = failed ? 'failure' : 'success';
    const outputs = this.expressions.strings(job.outputs, { ...base, steps, env });
    Object.assign(record.outputs, outputs);
  }

  private async runStep(step: Step, raw: TemplateToken | undefined, machine: Machine, contexts: Contexts,
    stepEnv: Record<string, string>, paths: string[], files: StepFiles): Promise<Result> {
    const processEnv = this.processEnv(machine, stepEnv, paths, files);
    if ('run' in step) {
      const script = asString(this.expressions.token(step.run, contexts));
      const shell = asString(this.expressions.token(this.find(raw, 'shell'), contexts));
      const workdir = asString(this.expressions.token(this.find(raw, 'working-directory'), contexts));
      const file = path.join(machine.temp, `${step.id.replace(/[^\w-]/g, '_')}-${Date.now()}.sh`);
      fs.writeFileSync(file, script);
      // GitHub's shell commands on Linux: no shell given -> bash -e {0}; shell: bash -> bash --noprofile --norc -eo pipefail {0}
      const argv = shellCommand(shell, file);
      appendLog(machine.log, `$ ${argv.join(' ')}\n${script.replace(/^/gm, '| ')}`);
      const timeoutMs = machine.deadline - Date.now();
      if (timeoutMs <= 0) throw new Error('The job has exceeded the maximum execution time (timeout-minutes)');
      const r = run(argv[0], argv.slice(1), { cwd: path.resolve(machine.workspace, workdir || '.'), env: processEnv, log: machine.log, timeoutMs });
      appendLog(machine.log, `(exit ${r.status})${Date.now() >= machine.deadline ? ' The job has exceeded the maximum execution time (timeout-minutes)' : ''}`);
      return r.status === 0 ? 'success' : 'failure';
    }
    if ('uses' in step) {
      const inputs = this.expressions.strings(this.find(raw, 'with'), contexts);
      const ctx: StepContext = {
        with: inputs,
        env: processEnv,
        machine,
        settings: this.settings,
        stepId: step.id,
        log: (text) => appendLog(machine.log, text),
        exec: (cmd, args, options = {}) => {
          appendLog(machine.log, `$ ${[cmd, ...args].join(' ')}`);
          const cwd = options.cwd ?? machine.workspace;
          return run(cmd, args, { cwd, env: options.env ?? processEnv, log: machine.log, input: options.input }).status;
        },
        setOutput: (name, value) => appendKeyValue(files.output, name, value),
        exportVariable: (name, value) => appendKeyValue(files.env, name, value),
        addPath: (dir) => fs.appendFileSync(files.path, dir + '\n'),
      };
      appendLog(machine.log, `with: ${JSON.stringify(inputs)}`);
      try {
        await this.standIn(step.uses.value, ctx);
        return 'success';
      } catch (e) {
        appendLog(machine.log, `ci-run stand-in for ${step.uses.value}: ${(e as Error).message}`);
        return 'failure';
      }
    }
    throw new Error(`step ${step.id}: only run: and uses: steps are supported`);
  }

  private applyFiles(files: StepFiles, steps: { [id: string]: Json }, id: string, githubEnv: Record<string, string>,
    paths: string[], summary: string): void {
    for (const [k, v] of parseKeyValueFile(fs.readFileSync(files.env, 'utf8'), 'GITHUB_ENV')) {
      if (PROTECTED_ENV.includes(k.toUpperCase())) throw new Error(`GITHUB_ENV: ${k} cannot be set`);
      githubEnv[k] = v;
    }
    const outputs = Object.fromEntries(parseKeyValueFile(fs.readFileSync(files.output, 'utf8'), 'GITHUB_OUTPUT'));
    steps[id] = { outputs, outcome: 'success', conclusion: 'success' };
    paths.unshift(...parsePathFile(fs.readFileSync(files.path, 'utf8')));
    fs.appendFileSync(summary, fs.readFileSync(files.summary, 'utf8'));
  }

  /** The environment a step's process gets: the machine's, GitHub's default variables, then env:. */
  private processEnv(machine: Machine, stepEnv: Record<string, string>, paths: string[], files: StepFiles): NodeJS.ProcessEnv {
    const e = this.settings.event;
    const repo = `${this.settings.repository.owner}/${this.settings.repository.name}`;
    return {
      ...this.settings.machineEnv,
      ...stepEnv,
      PATH: [machine.bin, ...paths, path.dirname(process.execPath), ...BASE_PATH].join(':'),
      HOME: machine.home,
      DOCKER_CONFIG: machine.dockerConfig,
      LANG: 'C.UTF-8',
      CI: 'true',
      GITHUB_ACTIONS: 'true',
      GITHUB_EVENT_NAME: e.eventName,
      GITHUB_EVENT_PATH: path.join(this.settings.runDir, 'event.json'),
      GITHUB_REF: e.ref,
      GITHUB_REF_NAME: refName(e.ref),
      GITHUB_REF_TYPE: e.ref.startsWith('refs/tags/') ? 'tag' : 'branch',
      GITHUB_SHA: e.sha,
      GITHUB_REPOSITORY: repo,
      GITHUB_REPOSITORY_OWNER: this.settings.repository.owner,
      GITHUB_ACTOR: e.actor,
      GITHUB_HEAD_REF: e.headRef,
      GITHUB_BASE_REF: e.baseRef,
      GITHUB_WORKFLOW: 'images',
      GITHUB_RUN_ID: String(this.settings.runId),
      GITHUB_RUN_NUMBER: '1',
      GITHUB_RUN_ATTEMPT: '1',
      GITHUB_SERVER_URL: 'https://github.com',
      GITHUB_API_URL: 'https://api.github.com',
      GITHUB_WORKSPACE: machine.workspace,
      GITHUB_ENV: files.env,
      GITHUB_OUTPUT: files.output,
      GITHUB_PATH: files.path,
      GITHUB_STEP_SUMMARY: files.summary,
      RUNNER_OS: 'Linux',
      RUNNER_ARCH: RUNNERS[machine.runsOn].arch,
      RUNNER_TEMP: machine.temp,
      RUNNER_TOOL_CACHE: path.join(machine.dir, 'toolcache'),
      RUNNER_ENVIRONMENT: 'github-hosted',
    };
  }

  /** A fresh machine: workspace, temp, home, a docker config whose current context is the lab engine. */
  private createMachine(key: string, runsOn: string, runnerPlatforms: string[], log: string, deadline: number): Machine {
    const dir = path.join(this.settings.runDir, 'jobs', key);
    fs.rmSync(dir, { recursive: true, force: true });
    const m: Machine = {
      dir,
      workspace: path.join(dir, 'work', this.settings.repository.name, this.settings.repository.name),
      temp: path.join(dir, 'temp'),
      home: path.join(dir, 'home'),
      dockerConfig: path.join(dir, 'home', '.docker'),
      bin: path.join(dir, 'bin'),
      log,
      runsOn,
      runnerPlatforms,
      qemuPlatforms: [],
      logins: [],
      deadline,
    };
    for (const d of [m.workspace, m.temp, m.dockerConfig, m.bin, path.join(dir, 'toolcache')]) fs.mkdirSync(d, { recursive: true });
    // the lab toolchain's buildx (LAB_BUILDX_PLUGIN), or the CLI plugins of the user running the lab,
    // stay visible with the job's own DOCKER_CONFIG (a runner image has buildx installed system-wide)
    const plugins = path.join(process.env.DOCKER_CONFIG ?? path.join(process.env.HOME ?? '/root', '.docker'), 'cli-plugins');
    if (process.env.LAB_BUILDX_PLUGIN) {
      fs.mkdirSync(path.join(m.dockerConfig, 'cli-plugins'));
      fs.symlinkSync(process.env.LAB_BUILDX_PLUGIN, path.join(m.dockerConfig, 'cli-plugins', 'docker-buildx'));
    } else if (fs.existsSync(plugins)) {
      fs.symlinkSync(plugins, path.join(m.dockerConfig, 'cli-plugins'));
    }
    // The runner machine's own docker: the lab engine, as the current context of this job's DOCKER_CONFIG
    const env = { PATH: BASE_PATH.join(':'), HOME: m.home, DOCKER_CONFIG: m.dockerConfig };
    capture('docker', ['context', 'create', 'runner', '--docker', `host=${this.settings.dockerHost}`], { env });
    capture('docker', ['context', 'use', 'runner'], { env });
    return m;
  }

  private baseContexts(extra: Contexts): Contexts {
    const e = this.settings.event;
    const repo = `${this.settings.repository.owner}/${this.settings.repository.name}`;
    return {
      github: {
        event_name: e.eventName,
        event: e.payload,
        ref: e.ref,
        ref_name: refName(e.ref),
        ref_type: e.ref.startsWith('refs/tags/') ? 'tag' : 'branch',
        sha: e.sha,
        repository: repo,
        repository_owner: this.settings.repository.owner,
        actor: e.actor,
        triggering_actor: e.actor,
        head_ref: e.headRef,
        base_ref: e.baseRef,
        workflow: 'images',
        workflow_ref: `${repo}/.github/workflows/${path.basename(this.settings.workflowFile)}@${e.ref}`,
        run_id: String(this.settings.runId),
        run_number: '1',
        run_attempt: '1',
        server_url: 'https://github.com',
        api_url: 'https://api.github.com',
        token: e.secrets.GITHUB_TOKEN ?? '',
        retention_days: '90',
      },
      vars: this.settings.vars,
      secrets: e.secrets,
      inputs: {},
      ...extra,
    };
  }

  private needsContext(job: Job): { [k: string]: Json } {
    const out: { [k: string]: Json } = {};
    for (const n of job.needs ?? []) {
      const r = this.jobs.get(n.value)!;
      out[n.value] = { result: r.result, outputs: r.outputs };
    }
    return out;
  }

  /** The raw (unconverted) step mapping: the converter drops `with`, `shell` and `working-directory`. */
  private rawStep(jobId: string, index: number): TemplateToken | undefined {
    const steps = this.find(this.find(this.rawJobs, jobId), 'steps');
    if (!steps || !(steps instanceof this.engine.tokens.SequenceToken)) return undefined;
    return steps.get(index);
  }

  /** Every tag under the run's repositories and its registry cache's. */
  private async snapshot(): Promise<Snapshot> {
    const all: Snapshot = new Map();
    for (const prefix of this.settings.registryPrefixes) for (const [k, v] of await this.settings.registry.snapshot(prefix)) all.set(k, v);
    return all;
  }

  private find(token: TemplateToken | undefined, key: string): TemplateToken | undefined {
    if (!token || !(token instanceof this.engine.tokens.MappingToken)) return undefined;
    return token.find(key);
  }
}

/** GitHub's shell commands on Linux (docs: "jobs.<job_id>.steps[*].shell"). */
export function shellCommand(shell: string, file: string): string[] {
  switch (shell) {
    case '': return ['bash', '-e', file];
    case 'bash': return ['bash', '--noprofile', '--norc', '-eo', 'pipefail', file];
    case 'sh': return ['sh', '-e', file];
    default:
      if (shell.includes('{0}')) return shell.split(/\s+/).map(a => a.replace('{0}', file));
      throw new Error(`shell "${shell}" is not supported by the ci-run runner`);
  }
}

/**
 * The legs of a matrix, as GitHub expands them: the product of the keys, minus `exclude`, then each
 * `include` entry extends every leg it does not contradict, or becomes a leg of its own.
 */
export function expandMatrix(matrix: { [k: string]: Json } | null): { [k: string]: Json }[] {
  if (!matrix) return [{}];
  const { include, exclude, ...keys } = matrix;
  let legs: { [k: string]: Json }[] = [{}];
  for (const [k, values] of Object.entries(keys)) {
    legs = legs.flatMap(leg => (values as Json[]).map(v => ({ ...leg, [k]: v })));
  }
  if (Object.keys(keys).length === 0) {
    // only include: each entry is a leg
    const only = ((include ?? []) as { [k: string]: Json }[]).map(inc => ({ ...inc }));
    return only.length ? only : [{}];
  }
  const matches = (leg: { [k: string]: Json }, e: { [k: string]: Json }) =>
    Object.entries(e).every(([k, v]) => JSON.stringify(leg[k]) === JSON.stringify(v));
  legs = legs.filter(leg => !((exclude ?? []) as { [k: string]: Json }[]).some(e => matches(leg, e)));
  const original = new Set(Object.keys(keys));
  for (const inc of (include ?? []) as { [k: string]: Json }[]) {
    let extended = false;
    for (const leg of legs) {
      const contradicts = Object.entries(inc).some(([k, v]) => original.has(k) && JSON.stringify(leg[k]) !== JSON.stringify(v));
      if (!contradicts) {
        Object.assign(leg, inc);
        extended = true;
      }
    }
    if (!extended) legs.push({ ...inc });
  }
  return legs.length ? legs : [{}];
}

/** GitHub's branch and tag filter patterns: * (no /), ** (anything), ? and +. */
export function globMatch(pattern: string, name: string): boolean {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '*' && pattern[i + 1] === '*') {
      re += '.*';
      i++;
    } else if (c === '*') {
      re += '[^/]*';
    } else if (c === '?' || c === '+') {
      re += c;
    } else {
      re += c.replace(/[.^$|(){}[\]\\]/g, '\\$&');
    }
  }
  return new RegExp(`^${re}$`).test(name);
}

function refName(ref: string): string {
  return ref.replace(/^refs\/(heads|tags)\//, '').replace(/^refs\//, '');
}

function slug(s: string): string {
  return s.replace(/[^A-Za-z0-9]+/g, '-').replace(/^-|-$/g, '');
}
