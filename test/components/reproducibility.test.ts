/**
 * What makes two builds of one commit produce the same image, checked in the generated files. The
 * proof that it works is the e2e tier: two cold builds per example, compared digest by digest.
 */
import { spawnSync } from 'child_process';
import { GoService, MultiArchPipeline, PythonService } from '../../src';
import { makeDryRun, nephoranProject, newProject, parseDockerfile, parseHcl, synth, synthToDisk } from '../helpers';

describe('reproducible images', () => {
  const out = synth(nephoranProject());
  const dockerfiles = ['cmd/llm-processor/Dockerfile', 'Dockerfile', 'pkg/rag/Dockerfile'];

  test.each(dockerfiles)('%s: each stage the runtime copies from sets every file time under /out/rootfs to a constant, and the runtime copies only those trees', f => {
    // GIVEN the stages of a generated Dockerfile
    const stages = parseDockerfile(out[f]).stages;
    const runtime = stages.at(-1)!;
    // THEN the runtime takes files only from /out/rootfs trees of other stages: no COPY from the context
    const copies = runtime.instructions.filter(i => i.keyword === 'COPY' || i.keyword === 'ADD').map(i => i.raw);
    expect(copies.length).toBeGreaterThan(0);
    for (const copy of copies) expect(copy).toMatch(/^COPY --from=\S+ \/out\/rootfs\/ \/$/);
    // AND the last step of each such stage normalizes its tree, after everything that writes into it
    for (const from of copies.map(c => /--from=(\S+)/.exec(c)![1])) {
      const last = stages.find(s => s.name === from)!.instructions.at(-1)!;
      expect(last.keyword).toBe('RUN');
      expect(last.raw).toMatch(/find \/out\/rootfs -exec touch -h -d @0 \{\} \+$/);
    }
    // AND no WORKDIR creates a directory before the trees are copied (it would carry the build time)
    const keywords = runtime.instructions.map(i => i.keyword);
    const workdir = keywords.indexOf('WORKDIR');
    if (workdir >= 0) expect(workdir).toBeGreaterThan(keywords.lastIndexOf('COPY'));
    // AND the runtime runs nothing whose output would depend on the clock
    expect(keywords).not.toContain('RUN');
  });

  test.each(dockerfiles)('%s: neither the registry nor the clock reaches the image', f => {
    const all = parseDockerfile(out[f]).stages.flatMap(s => s.instructions);
    const args = all.filter(i => i.keyword === 'ARG').flatMap(i => i.args.split(/\s+/).map(a => a.split('=')[0]));
    expect(args).not.toContain('REGISTRY');
    expect(args).not.toContain('CACHE_REGISTRY');
    expect(out[f]).not.toMatch(/\$\(date|`date/);
  });

  test('Python writes hash-based .pyc files wherever it compiles, so no .pyc holds a time', () => {
    const runs = parseDockerfile(out['pkg/rag/Dockerfile']).stages.flatMap(s => s.instructions).filter(i => i.keyword === 'RUN').map(i => i.raw);
    const compiling = runs.filter(r => /python -m venv|pip install|compileall/.test(r));
    expect(compiling.length).toBe(3);
    for (const run of compiling) {
      expect(run).toMatch(/SOURCE_DATE_EPOCH=0 (python -m venv|pip install)|compileall -q --invalidation-mode checked-hash/);
    }
  });

  test('bake passes SOURCE_DATE_EPOCH to every build, which dates the image config and history', async () => {
    const hcl = await parseHcl(out['docker-bake.hcl']);
    expect(hcl.variable.SOURCE_DATE_EPOCH[0].default).toBe('');
    for (const name of ['llm-processor', 'nephio-bridge', 'oran-adaptor', 'rag-api']) {
      expect(hcl.target[name][0].args.SOURCE_DATE_EPOCH).toBe('${SOURCE_DATE_EPOCH}');
    }
  });
});

describe('the Makefile dates builds with the commit, never the wall clock', () => {
  test('SOURCE_DATE_EPOCH is the commit time and BUILD_DATE is derived from it', () => {
    // GIVEN a project in a git repository with one commit at a known time
    const project = newProject();
    new MultiArchPipeline(project, { dockerfileSyntax: '' });
    new GoService(project, 'svc');
    synthToDisk(project);
    const date = { GIT_AUTHOR_DATE: '2024-05-06T07:08:09Z', GIT_COMMITTER_DATE: '2024-05-06T07:08:09Z' };
    const git = (...a: string[]) => spawnSync('git', a, { cwd: project.outdir, encoding: 'utf8', env: { ...process.env, ...date } });
    git('init', '-q');
    git('-c', 'user.email=t@example.com', '-c', 'user.name=t', 'commit', '-q', '--allow-empty', '-m', 'x');
    // WHEN make shows what build-multiarch would run
    const dry = makeDryRun(project.outdir, 'Makefile', 'build-multiarch', ['BUILDX_DRIVER=docker']);
    // THEN bake gets the commit time and its RFC 3339 date
    expect(dry.status).toBe(0);
    expect(dry.stdout).toContain('SOURCE_DATE_EPOCH="1714979289"');
    expect(dry.stdout).toContain('BUILD_DATE="2024-05-06T07:08:09Z"');
  });

  test('outside a git repository the epoch is 0, still not the clock', () => {
    const project = newProject();
    new PythonService(project, 'api');
    synthToDisk(project);
    const dry = makeDryRun(project.outdir, 'Makefile', 'build-multiarch', ['BUILDX_DRIVER=docker', 'GIT_DIR=/nonexistent']);
    expect(dry.stdout).toContain('SOURCE_DATE_EPOCH="0" BUILD_DATE="1970-01-01T00:00:00Z"');
  });

  test('a builder other than the engine\'s own pushes with rewrite-timestamp; the docker driver, which refuses it, with --push', () => {
    const project = newProject();
    new GoService(project, 'svc');
    synthToDisk(project);
    const bakeLine = (driver: string) => makeDryRun(project.outdir, 'Makefile', 'build-multiarch', ['PUSH=true', `BUILDX_DRIVER=${driver}`])
      .stdout.split('\n').find(l => l.includes('buildx bake'))!;
    expect(bakeLine('docker')).toMatch(/ --push --metadata-file "\.multiarch\/build\.json" default$/);
    expect(bakeLine('docker-container')).toMatch(/ '--set=\*\.output=type=registry,rewrite-timestamp=true' --metadata-file "\.multiarch\/build\.json" default$/);
    // and the argument reaches bake as one word
    const words = spawnSync('bash', ['-c', `printf '%s\\n' ${bakeLine('docker-container').slice(bakeLine('docker-container').indexOf('--set') - 1)}`], { encoding: 'utf8' }).stdout;
    expect(words.split('\n')).toContain('--set=*.output=type=registry,rewrite-timestamp=true');
  });
});
