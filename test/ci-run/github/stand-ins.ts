// THE table: every action the library's GitHub workflows use, the lab stand-in that runs in its
// place, what the stand-in does (following the real action's documentation and source), and what it
// does NOT prove. The first rows are not actions but what the runner changes around them.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { Meta, RepositoryData, inputList } from './metadata-action';
import { StepContext } from './runner';
import { globFiles } from '../common/glob';
import { capture } from '../common/proc';

export interface StandIn {
  /** owner/repo[/path] as `uses:` names it, without the @ref; or (…) for what the runner itself changes */
  readonly action: string;
  readonly does: string;
  readonly doesNotProve: string;
  readonly run?: (ctx: StepContext) => void | Promise<void>;
}

/** Run-wide facts the stand-ins need (set by run.ts for each run). */
export interface StandInOptions {
  /** the fake repository, as GitHub's API would describe it to metadata-action */
  readonly repository: RepositoryData;
  readonly commitDate: Date;
  /** services the grype stand-in reports a critical finding for */
  readonly vulnerable: readonly string[];
  /** the lab's cosign binary */
  readonly cosign: string;
  readonly artifacts: string;
  /** registry host as the workflow names it -> the lab registry host */
  readonly registryHosts: Record<string, string>;
  /** jobs that ran a login step, for the "no login on a pull request" assertion */
  readonly logins: string[];
}

export const STAND_INS: readonly StandIn[] = [
  {
    action: '(registry)',
    does: 'The runner rewrites the pipeline\'s registry (ghcr.io/thc1006/nephoran, registry.monorepo.internal/platform) to '
      + '127.0.0.1:5000/ci-gh-<run>/<example> in the workflow text before parsing, and its host in login steps to 127.0.0.1:5000.',
    doesNotProve: 'Authentication and authorization against the real registry (GHCR package permissions, GITHUB_TOKEN scopes, '
      + 'REGISTRY_TOKEN), HTTPS, and registry-specific limits (GHCR\'s handling of OCI indexes and referrers).',
  },
  {
    action: '(secrets, machine)',
    does: 'Push and tag runs get secrets GITHUB_TOKEN and REGISTRY_TOKEN (dummy values) and GO_NETRC (the lab module proxy\'s netrc, '
      + 'as a team with private modules stores it); a pull request from a fork gets none. '
      + 'Every job\'s machine has COSIGN_KEY, COSIGN_PASSWORD and COSIGN_FLAGS (--tlog-upload=false, plus --use-signing-config=false '
      + 'with cosign 3) from a key pair the runner generates, because keyless signing needs Sigstore\'s network.',
    doesNotProve: 'Keyless signing with the job\'s OIDC token (id-token: write, Fulcio, Rekor), that GitHub really withholds '
      + 'secrets from forks (GitHub gives forks a read-only GITHUB_TOKEN), and job permissions: blocks.',
  },
  {
    action: '(repository)',
    does: 'The fake repository holds the example\'s tracked and generated files, plus what the example ignores but a user would '
      + 'commit for CI: the monorepo\'s wheelhouse ml/wheels (scripts/wheelhouse.sh, real wheels repackaged from Debian).',
    doesNotProve: 'How a real repository gets its wheels (committed, Git LFS, or downloaded by a CI step).',
  },
  {
    action: 'actions/checkout',
    does: 'A clean, shallow (depth 1, no tags) clone of github.sha from the fake repository (the example\'s files, fixed commit dates), '
      + 'on branch main for a push to main, detached for the tag and for refs/pull/7/merge.',
    doesNotProve: 'fetch-depth/fetch-tags/submodules/lfs inputs, persist-credentials, sparse checkout.',
    run: checkout,
  },
  {
    action: 'docker/setup-qemu-action',
    does: 'Records the platforms input (default all) as this job\'s emulated platforms, refusing any the lab\'s binfmt_misc cannot '
      + 'run; output platforms. The host\'s binfmt handlers already exist.',
    doesNotProve: 'Installing binfmt handlers (tonistiigi/binfmt image, its version and privileges), the image input, cache-image.',
    run: setupQemu,
  },
  {
    action: 'docker/setup-buildx-action',
    does: 'No moby/buildkit image can be pulled here, so instead of a docker-container builder it creates a docker context per job on the '
      + 'lab engine (its docker-driver builder carries the context\'s name) and makes it current; outputs name, driver=docker, platforms, '
      + 'nodes, endpoint, status, flags. A docker shim first on the job\'s PATH makes `docker buildx inspect` of that builder report only '
      + 'the runner\'s platforms (ubuntu-24.04: linux/amd64 (+v2/v3/v4, 386); ubuntu-24.04-arm: linux/arm64) plus setup-qemu\'s.',
    doesNotProve: 'The docker-container driver (BuildKit version, rewrite-timestamp, push-by-digest, its own cache), driver-opts, '
      + 'buildkitd-flags/config, version/install inputs, cleanup; and that a build of a non-native platform really fails: the shim only '
      + 'restricts what inspect reports, the lab engine itself can still emulate arm64. The lab engine keeps its build cache across jobs '
      + 'and runs (a GitHub runner starts empty): only --cold runs (BAKE_FLAGS=--no-cache) show what a cold builder needs.',
    run: setupBuildx,
  },
  {
    action: 'docker/login-action',
    does: '`docker login <registry> -u <username> --password-stdin` with the job\'s own DOCKER_CONFIG (fresh per job), against the lab '
      + 'registry (no authentication); fails when username or password is empty, as the action does. Recorded: a pull request run asserts none ran.',
    doesNotProve: 'That the credentials are accepted (the lab registry takes any), ECR/GCR/ACR helpers, logout in the post step.',
    run: login,
  },
  {
    action: 'docker/metadata-action',
    does: 'A port of v6.2.0 (metadata-action.ts): version, tags, tag-names, labels, annotations, json and the bake files (bake-file, '
      + 'bake-file-tags, -labels, -annotations, in a fresh RUNNER_TEMP/docker-actions-toolkit-* dir) for the inputs and the event, with '
      + 'its default labels and manifest: annotations from the fake repository (title = the repository\'s name, description, url, source, '
      + 'licenses, version, created, revision), tag rules and priorities, flavor latest=auto, {{commit_date}}; DOCKER_METADATA_OUTPUT_* env.',
    doesNotProve: 'Handlebars and moment beyond the helpers and date tokens the rules use, type=schedule/pep440/match, context: git, '
      + 'DOCKER_METADATA_* settings, reading the repository from GitHub\'s API.',
    run: metadata,
  },
  {
    action: 'actions/upload-artifact',
    does: 'Copies the files `path` matches (lines, globs; ! excludes) into the run\'s artifact store under `name` (default artifact), '
      + 'relative to their least common ancestor; hidden files only with include-hidden-files; if-no-files-found warn/error/ignore; '
      + 'a second upload of a name fails (v4+ artifacts are immutable). Outputs artifact-id.',
    doesNotProve: 'Upload limits, compression, retention-days, overwrite, the artifact service and its digests.',
    run: uploadArtifact,
  },
  {
    action: 'actions/download-artifact',
    does: 'Copies artifacts from the run\'s store: `name` into path, or every artifact matching `pattern` into path/<name>, or into path '
      + 'itself with merge-multiple; fails when a named artifact does not exist. Output download-path.',
    doesNotProve: 'Cross-run downloads (run-id, github-token), digest verification.',
    run: downloadArtifact,
  },
  {
    action: 'sigstore/cosign-installer',
    does: 'Puts the lab\'s cosign ($LAB_COSIGN) on PATH.',
    doesNotProve: 'The cosign version the action installs (cosign-release input), its download and checksum check.',
    run: cosignInstaller,
  },
  {
    action: 'anchore/sbom-action/download-syft',
    does: 'Installs a syft stand-in and outputs its path as cmd. `syft scan --platform P registry:REF -o spdx-json=FILE` writes an SPDX 2.3 '
      + 'document whose name is <repository>@<digest of REF\'s P manifest> (read from the registry). No package is listed.',
    doesNotProve: 'Any package cataloguing: the SBOM content is a stand-in; only where it ends up is checked.',
    run: (ctx) => installTool(ctx, 'syft', syftScript()),
  },
  {
    action: 'anchore/scan-action/download-grype',
    does: 'Installs a grype stand-in and outputs its path as cmd. `grype [--platform P] [--fail-on SEV] registry:REF` finds nothing, or one '
      + 'critical finding in an image the run was told is vulnerable (its repository\'s last path segment), and exits 1 when --fail-on is at '
      + 'or below critical.',
    doesNotProve: 'Any vulnerability matching or database: only how the pipeline reacts to a finding.',
    run: (ctx) => installTool(ctx, 'grype', grypeScript(options().vulnerable)),
  },
];

let current: StandInOptions | undefined;

/** Sets the run-wide facts for the stand-ins of the next run. */
export function configureStandIns(o: StandInOptions): void {
  current = o;
}

function options(): StandInOptions {
  if (!current) throw new Error('configureStandIns() was not called');
  return current;
}

/** Runs the stand-in of `uses:` (owner/repo[/path]@ref); an action without one fails the step. */
export async function runStandIn(uses: string, ctx: StepContext): Promise<void> {
  const action = uses.replace(/@.*$/, '');
  const entry = STAND_INS.find(s => s.action === action);
  if (!entry?.run) throw new Error(`no stand-in for ${action}: add one to the table in test/ci-run/github/stand-ins.ts`);
  await entry.run(ctx);
}

/** The table as text, for the run's summary and the report. */
export function standInTable(): string {
  return STAND_INS.map(s => `- ${s.action}\n    does: ${s.does}\n    does not prove: ${s.doesNotProve}`).join('\n');
}

// ---------------------------------------------------------------------------------------------
// The stand-ins
// ---------------------------------------------------------------------------------------------

function checkout(ctx: StepContext): void {
  const e = ctx.settings.event;
  const w = ctx.machine.workspace;
  const git = (args: string[]) => {
    if (ctx.exec('git', args, { cwd: w }) !== 0) throw new Error(`git ${args.join(' ')} failed`);
  };
  git(['init', '-q']);
  git(['remote', 'add', 'origin', `file://${ctx.settings.repoDir}`]);
  const target = e.checkoutBranch ? `refs/remotes/origin/${e.checkoutBranch}` : e.ref.replace(/^refs\/pull\//, 'refs/remotes/pull/');
  git(['-c', 'protocol.version=2', 'fetch', '-q', '--no-tags', '--depth=1', 'origin', `+${e.sha}:${target}`]);
  if (e.checkoutBranch) git(['checkout', '-q', '--force', '-B', e.checkoutBranch, target]);
  else git(['checkout', '-q', '--force', '--detach', e.sha]);
  ctx.exec('git', ['log', '-1', '--format=checked out %H (%cI) %s'], { cwd: w });
}

/** binfmt_misc handler -> the platforms it runs */
const BINFMT: Record<string, string[]> = {
  'qemu-aarch64': ['linux/arm64'],
  'qemu-arm': ['linux/arm/v7', 'linux/arm/v6'],
  'qemu-x86_64': ['linux/amd64'],
  'qemu-i386': ['linux/386'],
  'qemu-riscv64': ['linux/riscv64'],
  'qemu-ppc64le': ['linux/ppc64le'],
  'qemu-s390x': ['linux/s390x'],
};

function emulatable(): string[] {
  const dir = '/proc/sys/fs/binfmt_misc';
  return Object.entries(BINFMT)
    .filter(([h]) => fs.existsSync(`${dir}/${h}`) && fs.readFileSync(`${dir}/${h}`, 'utf8').startsWith('enabled'))
    .flatMap(([, p]) => p);
}

function setupQemu(ctx: StepContext): void {
  const available = emulatable();
  const wanted = (ctx.with.platforms || 'all').split(',').map(p => p.trim()).filter(Boolean);
  const platforms = wanted.includes('all') ? available : wanted.map(p => (p.includes('/') ? p : `linux/${p}`));
  const missing = platforms.filter(p => !available.includes(p));
  if (missing.length) throw new Error(`the lab's binfmt_misc cannot emulate ${missing.join(', ')} (it has: ${available.join(', ')})`);
  ctx.machine.qemuPlatforms.push(...platforms);
  ctx.log(`setup-qemu stand-in: this job may emulate ${platforms.join(', ')}`);
  ctx.setOutput('platforms', [...new Set([...ctx.machine.runnerPlatforms, ...available])].join(','));
}

/** The docker CLI of the machine running the runner (the lab's toolchain), behind the shim. */
const REAL_DOCKER = spawnSync('bash', ['-c', 'command -v docker'], { encoding: 'utf8' }).stdout?.trim() || '/usr/local/bin/docker';

function setupBuildx(ctx: StepContext): void {
  // the real action's default driver is docker-container; the lab can only give the docker driver
  ctx.log(`setup-buildx stand-in: driver ${ctx.with.driver || 'docker-container (default)'} asked for, the docker driver given`
    + `${ctx.with['driver-opts'] ? `; driver-opts ignored: ${ctx.with['driver-opts']}` : ''}`);
  const m = ctx.machine;
  const name = ctx.with.name || `builder-${path.basename(m.dir)}`.replace(/[^a-zA-Z0-9_.+-]/g, '-');
  const host = ctx.settings.dockerHost;
  if (ctx.exec('docker', ['context', 'create', name, '--description', 'ci-run setup-buildx stand-in', '--docker', `host=${host}`]) !== 0) {
    throw new Error(`docker context create ${name} failed`);
  }
  if (ctx.with.use !== 'false' && ctx.exec('docker', ['context', 'use', name]) !== 0) throw new Error(`docker context use ${name} failed`);
  // What the engine can build, restricted to the runner's platforms and this job's QEMU platforms
  const inspect = capture(REAL_DOCKER, ['buildx', 'inspect', '--bootstrap', name], { env: ctx.env });
  const engine = (/^Platforms:\s*(.*)$/m.exec(inspect)?.[1] ?? '').split(',').map(p => p.trim().replace(/\*$/, '')).filter(Boolean);
  const allowed = [...m.runnerPlatforms, ...m.qemuPlatforms];
  const platforms = engine.filter(p => allowed.includes(p));
  const builders = path.join(m.dir, 'builders');
  fs.mkdirSync(builders, { recursive: true });
  fs.writeFileSync(path.join(builders, name), platforms.join(' ') + '\n');
  writeDockerShim(m.bin, builders);
  ctx.log(`setup-buildx stand-in: builder ${name} (docker driver on the lab engine), platforms ${platforms.join(', ')} (engine: ${engine.join(', ')})`);
  ctx.exec('docker', ['buildx', 'inspect', name]);
  ctx.setOutput('name', name);
  ctx.setOutput('driver', 'docker');
  ctx.setOutput('platforms', platforms.join(','));
  ctx.setOutput('endpoint', name);
  ctx.setOutput('status', 'running');
  ctx.setOutput('flags', '');
  ctx.setOutput('nodes', JSON.stringify([{ 'name': name, 'endpoint': name, 'status': 'running', 'buildkitd-flags': '', 'platforms': platforms.join(',') }]));
}

/** `docker`, except that `docker buildx inspect` of a stand-in builder reports only the platforms it may run. */
function writeDockerShim(bin: string, builders: string): void {
  const shim = `#!/usr/bin/env bash
# ci-run: the docker CLI, except that \`docker buildx inspect [--bootstrap] <builder>\` of a builder the
# setup-buildx stand-in created reports only the platforms of the job's runner and setup-qemu step.
set -uo pipefail
real=${REAL_DOCKER}
builders=${builders}
if [ "\${1:-}" = buildx ] && [ "\${2:-}" = inspect ]; then
  name=
  for a in "\${@:3}"; do case $a in -*) ;; *) name=$a ;; esac; done
  [ -n "$name" ] || name=$("$real" context show 2>/dev/null)
  if [ -f "$builders/$name" ]; then
    allowed=$(cat "$builders/$name")
    out=$("$real" "$@"); status=$?
    printf '%s\\n' "$out" | awk -v allowed=" $allowed " '
      /^Platforms:/ { n = split(substr($0, 11), p, ","); keep = "";
        for (i = 1; i <= n; i++) { gsub(/^ +| +$/, "", p[i]); q = p[i]; sub(/\\*$/, "", q);
          if (index(allowed, " " q " ")) keep = keep (keep == "" ? "" : ", ") p[i] }
        printf "Platforms:        %s\\n", keep; next }
      { print }'
    exit $status
  fi
fi
exec "$real" "$@"
`;
  fs.writeFileSync(path.join(bin, 'docker'), shim, { mode: 0o755 });
}

function login(ctx: StepContext): void {
  const o = options();
  const registry = ctx.with.registry || 'docker.io';
  const host = o.registryHosts[registry] ?? registry;
  if (!ctx.with.username || !ctx.with.password) throw new Error('Username and password required');
  o.logins.push(path.basename(ctx.machine.dir));
  ctx.machine.logins.push(host);
  if (ctx.exec('docker', ['login', host, '-u', ctx.with.username, '--password-stdin'], { input: ctx.with.password + '\n' }) !== 0) {
    throw new Error(`docker login ${host} failed`);
  }
}

function metadata(ctx: StepContext): void {
  const o = options();
  const e = ctx.settings.event;
  const meta = new Meta({
    images: inputList(ctx.with.images),
    tags: inputList(ctx.with.tags),
    flavor: inputList(ctx.with.flavor),
    labels: inputList(ctx.with.labels),
    annotations: inputList(ctx.with.annotations),
    bakeTarget: ctx.with['bake-target'] || 'docker-metadata-action',
  }, { eventName: e.eventName, ref: e.ref, sha: e.sha, commitDate: o.commitDate, payload: e.payload as never }, o.repository).result();
  const dir = fs.mkdtempSync(path.join(ctx.machine.temp, 'docker-actions-toolkit-'));
  const outputs: [string, string][] = [
    ['version', meta.version],
    ['tags', meta.tags.join(ctx.with['sep-tags'] || '\n')],
    ['tag-names', meta.tagNames.join(ctx.with['sep-tags'] || '\n')],
    ['labels', meta.labels.join(ctx.with['sep-labels'] || '\n')],
    ['annotations', meta.annotations.join(ctx.with['sep-annotations'] || '\n')],
    ['json', JSON.stringify(meta.json)],
  ];
  for (const [output, content] of Object.entries(meta.bakeFiles)) {
    const suffix = output === 'bake-file' ? '' : `-${output.replace('bake-file-', '')}`;
    const file = path.join(dir, `docker-metadata-action-bake${suffix}.json`);
    fs.writeFileSync(file, JSON.stringify(content, null, 2));
    outputs.push([output, file]);
  }
  for (const [name, value] of outputs) {
    ctx.setOutput(name, value);
    ctx.exportVariable(`DOCKER_METADATA_OUTPUT_${name.replace(/\W/g, '_').toUpperCase()}`, value);
  }
  ctx.log(`metadata-action stand-in: version ${meta.version}; tags ${meta.tags.join(' ')}\n${fs.readFileSync(path.join(dir, 'docker-metadata-action-bake.json'), 'utf8')}`);
}

function uploadArtifact(ctx: StepContext): void {
  const o = options();
  const name = ctx.with.name || 'artifact';
  const store = path.join(o.artifacts, name);
  if (fs.existsSync(store)) throw new Error(`Failed to CreateArtifact: an artifact with this name already exists on the workflow run: ${name}`);
  const lines = inputList(ctx.with.path);
  const includes = lines.filter(l => !l.startsWith('!'));
  const excludes = lines.filter(l => l.startsWith('!')).map(l => l.slice(1));
  const w = ctx.machine.workspace;
  let files = [...new Set(includes.flatMap(p => globFiles(w, p)))];
  files = files.filter(f => !excludes.some(x => globFiles(w, x).includes(f)));
  if (ctx.with['include-hidden-files'] !== 'true') files = files.filter(f => !f.split('/').some(part => part.startsWith('.')));
  if (files.length === 0) {
    const how = ctx.with['if-no-files-found'] || 'warn';
    const message = `No files were found with the provided path: ${lines.join(', ')}. No artifacts will be uploaded.`;
    if (how === 'error') throw new Error(message);
    ctx.log(how === 'warn' ? `Warning: ${message}` : message);
    return;
  }
  // the least common ancestor directory of the files is the artifact's root
  const dirs = files.map(f => path.dirname(f).split('/'));
  let root = dirs[0];
  for (const d of dirs) root = root.slice(0, root.findIndex((p, i) => d[i] !== p) < 0 ? root.length : root.findIndex((p, i) => d[i] !== p));
  const rootDir = root.join('/') === '.' ? '' : root.join('/');
  for (const f of files) {
    const dest = path.join(store, rootDir ? path.relative(rootDir, f) : f);
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    fs.copyFileSync(path.join(w, f), dest);
  }
  ctx.log(`upload-artifact stand-in: ${name}: ${files.join(' ')} (root ${rootDir || '.'})`);
  ctx.setOutput('artifact-id', String(fs.readdirSync(o.artifacts).length));
}

function downloadArtifact(ctx: StepContext): void {
  const o = options();
  const w = ctx.machine.workspace;
  const dest = path.resolve(w, ctx.with.path || '.');
  const all = fs.existsSync(o.artifacts) ? fs.readdirSync(o.artifacts).sort() : [];
  let names: string[];
  let flat: boolean;
  if (ctx.with.name) {
    if (!all.includes(ctx.with.name)) throw new Error(`Unable to download artifact(s): Artifact not found for name: ${ctx.with.name}`);
    names = [ctx.with.name];
    flat = true;
  } else {
    const re = ctx.with.pattern ? new RegExp('^' + ctx.with.pattern.replace(/[.+^$|(){}[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.') + '$') : /.*/;
    names = all.filter(n => re.test(n));
    flat = ctx.with['merge-multiple'] === 'true';
  }
  for (const n of names) fs.cpSync(path.join(o.artifacts, n), flat ? dest : path.join(dest, n), { recursive: true });
  ctx.log(`download-artifact stand-in: ${names.join(' ') || 'nothing'} -> ${path.relative(w, dest) || '.'}${flat ? '' : '/<name>'}`);
  ctx.setOutput('download-path', dest);
}

function cosignInstaller(ctx: StepContext): void {
  const dir = path.join(ctx.machine.temp, 'cosign-bin');
  fs.mkdirSync(dir, { recursive: true });
  fs.symlinkSync(options().cosign, path.join(dir, 'cosign'));
  ctx.addPath(dir);
  ctx.exec(path.join(dir, 'cosign'), ['version']);
}

function installTool(ctx: StepContext, name: string, script: string): void {
  const dir = path.join(ctx.machine.temp, `${name}-stand-in`);
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, name);
  fs.writeFileSync(file, script, { mode: 0o755 });
  ctx.setOutput('cmd', file);
}

/** The part of syft and grype both stand-ins share: parse registry:REF and find the platform's manifest. */
const RESOLVE = String.raw`
const TYPES = 'application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json';
function option(args, name) { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : undefined; }
async function resolve(source, platform) {
  const m = /^registry:([^/]+)\/([^@:]+)(?::([^@]+))?(?:@(sha256:[0-9a-f]+))?$/.exec(source);
  if (!m) throw new Error('unsupported source ' + source + ' (the stand-in reads registry:<ref> only)');
  const [, host, repository, tag, digest] = m;
  const res = await fetch('http://' + host + '/v2/' + repository + '/manifests/' + (digest || tag || 'latest'), { headers: { Accept: TYPES } });
  if (!res.ok) throw new Error('cannot read ' + source + ': HTTP ' + res.status);
  const body = await res.json();
  let found = res.headers.get('docker-content-digest');
  if (body.manifests && platform) {
    const [os, arch, variant] = platform.split('/');
    const hit = body.manifests.find(d => d.platform && d.platform.os === os && d.platform.architecture === arch && (!variant || d.platform.variant === variant));
    if (!hit) throw new Error(source + ' has no ' + platform + ' manifest');
    found = hit.digest;
  }
  return { host, repository, digest: found, name: repository.split('/').pop() };
}
`;

function syftScript(): string {
  return `#!/usr/bin/env node
// ci-run stand-in for syft: an SPDX document that names the image it was made from (no package scan)
${RESOLVE}
(async () => {
  const args = process.argv.slice(2);
  if (args[0] === 'version' || args[0] === '--version') { console.log('syft ci-run-stand-in'); return; }
  if (args[0] === 'scan') args.shift();
  const source = args.find(a => a.startsWith('registry:'));
  const out = option(args, '-o') || option(args, '--output') || 'spdx-json';
  const [format, file] = out.split('=');
  if (format !== 'spdx-json') throw new Error('the stand-in writes spdx-json only, not ' + format);
  const img = await resolve(source, option(args, '--platform'));
  const doc = {
    spdxVersion: 'SPDX-2.3', dataLicense: 'CC0-1.0', SPDXID: 'SPDXRef-DOCUMENT',
    name: img.host + '/' + img.repository + '@' + img.digest,
    documentNamespace: 'https://ci-run.invalid/syft-stand-in/' + img.repository + '/' + img.digest,
    creationInfo: { created: '2026-01-01T00:00:00Z', creators: ['Tool: ci-run-syft-stand-in'] },
    packages: [{ name: img.repository, SPDXID: 'SPDXRef-image', versionInfo: img.digest, downloadLocation: 'NOASSERTION', filesAnalyzed: false }],
  };
  const text = JSON.stringify(doc, null, 2) + '\\n';
  if (file) require('fs').writeFileSync(file, text); else process.stdout.write(text);
  console.error('syft stand-in: SPDX document for ' + doc.name + (file ? ' -> ' + file : ''));
})().catch(e => { console.error('syft stand-in: ' + e.message); process.exit(1); });
`;
}

function grypeScript(vulnerable: readonly string[]): string {
  return `#!/usr/bin/env node
// ci-run stand-in for grype: no finding, or one critical finding in the images the run marked vulnerable
${RESOLVE}
const VULNERABLE = ${JSON.stringify(vulnerable)};
const SEVERITIES = ['negligible', 'low', 'medium', 'high', 'critical'];
(async () => {
  const args = process.argv.slice(2);
  if (args[0] === 'version' || args[0] === '--version') { console.log('grype ci-run-stand-in'); return; }
  const source = args.find(a => a.startsWith('registry:'));
  const failOn = option(args, '--fail-on') || option(args, '-f');
  if (failOn && !SEVERITIES.includes(failOn)) throw new Error('invalid --fail-on severity ' + failOn);
  const img = await resolve(source, option(args, '--platform'));
  if (!VULNERABLE.includes(img.name)) { console.log('No vulnerabilities found (' + img.repository + '@' + img.digest + ')'); return; }
  console.log('NAME     INSTALLED  FIXED-IN  TYPE  VULNERABILITY   SEVERITY');
  console.log('libfake  1.0.0      1.0.1     deb   CVE-2026-00000  Critical   (ci-run: ' + img.name + ' is marked vulnerable)');
  if (failOn && SEVERITIES.indexOf('critical') >= SEVERITIES.indexOf(failOn)) {
    console.error('1 error occurred:\\n\\t* discovered vulnerabilities at or above the severity threshold');
    process.exit(1);
  }
})().catch(e => { console.error('grype stand-in: ' + e.message); process.exit(1); });
`;
}
