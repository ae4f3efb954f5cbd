import { DockerfileModel, GoRules, Mount } from '../../src';
import { lintDockerfile, parseDockerfile } from '../helpers';

function builder(): DockerfileModel {
  const model = new DockerfileModel();
  model.addStage({ from: 'golang:1.24-bookworm', name: 'builder', platform: '$BUILDPLATFORM' });
  return model;
}

describe('DockerfileModel rendering', () => {
  test('syntax directive comes first, then the marker; empty syntax omits the line', () => {
    // GIVEN
    const model = builder();
    // WHEN
    const withSyntax = model.render('~~ marker', 'docker/dockerfile:1');
    model.syntax = '';
    const without = model.render('~~ marker', 'docker/dockerfile:1');
    // THEN
    expect(withSyntax.split('\n').slice(0, 2)).toEqual(['# syntax=docker/dockerfile:1', '# ~~ marker']);
    expect(parseDockerfile(withSyntax).directives).toEqual(['syntax=docker/dockerfile:1']);
    expect(without.split('\n')[0]).toBe('# ~~ marker');
    expect(parseDockerfile(without).directives).toEqual([]);
  });

  test('mounts, copy flags, labels and exec form parse back as written', () => {
    // GIVEN
    const model = builder();
    const stage = model.tryFindStage('builder')!;
    // WHEN
    stage.addRun({
      mounts: [Mount.cache({ target: '/go/pkg/mod' }), Mount.bind({ target: '.' }), Mount.secret({ id: 'netrc', target: '/root/.netrc' })],
      commands: ['go mod download', 'go mod verify'],
    });
    const runtime = model.addStage({ from: 'gcr.io/distroless/static-debian12:nonroot' });
    runtime.addLabels({ 'org.opencontainers.image.title': 'say "hi"' });
    runtime.addCopy({ from: 'builder', sources: ['/out/app'], destination: '/app', link: true, chown: '65532:65532' });
    runtime.addUser('65532:65532');
    runtime.addEntrypoint(['/app', '--flag=a,b']);
    const text = model.render();
    // THEN
    expect(lintDockerfile(text)).toEqual([]);
    const parsed = parseDockerfile(text);
    expect(parsed.stages.map(s => [s.from, s.name, s.platform])).toEqual([
      ['golang:1.24-bookworm', 'builder', '$BUILDPLATFORM'],
      ['gcr.io/distroless/static-debian12:nonroot', null, undefined],
    ]);
    const run = parsed.stages[0].instructions.find(i => i.keyword === 'RUN')!;
    expect(run.raw).toContain('--mount=type=cache,target=/go/pkg/mod');
    expect(run.raw).toContain('--mount=type=secret,id=netrc,target=/root/.netrc');
    const keywords = parsed.stages[1].instructions.map(i => i.keyword);
    expect(keywords).toEqual(['LABEL', 'COPY', 'USER', 'ENTRYPOINT']);
    expect(JSON.parse(parsed.stages[1].instructions[3].args)).toEqual(['/app', '--flag=a,b']);
    expect(parsed.stages[1].instructions[0].args).toBe('org.opencontainers.image.title="say \\"hi\\""');
  });
});

describe('DockerfileModel refuses what broke real builds', () => {
  test('shell-form RUN in a distroless stage', () => {
    const model = new DockerfileModel();
    const runtime = model.addStage({ from: 'gcr.io/distroless/static-debian12:nonroot' });
    expect(() => runtime.addRun({ commands: ['chmod +x /app'] })).toThrow(/Shell-form RUN .* has no shell/);
    expect(() => runtime.addInstruction('RUN', 'chmod +x /app')).toThrow(/has no shell/);
    expect(() => runtime.addInstruction('CMD', '/app --serve')).toThrow(/Shell-form CMD/);
  });

  test('shell-form RUN in scratch, and an explicit hasShell=false', () => {
    const model = new DockerfileModel();
    expect(() => model.addStage({ from: 'scratch' }).addRun({ commands: ['true'] })).toThrow(/no shell/);
    expect(() => model.addStage({ from: 'mirror.local/base:1', hasShell: false }).addRun({ commands: ['true'] })).toThrow(/no shell/);
  });

  test('defaults on automatic platform ARGs', () => {
    const stage = builder().tryFindStage('builder')!;
    for (const arg of ['TARGETARCH', 'TARGETOS', 'TARGETPLATFORM', 'TARGETVARIANT', 'BUILDPLATFORM']) {
      expect(() => stage.addArg(arg, 'amd64')).toThrow(new RegExp(`ARG ${arg} must not have a default`));
      expect(() => stage.addInstruction('ARG', `${arg}=amd64`)).toThrow(/must not have a default/);
    }
    expect(() => stage.addArg('TARGETARCH')).not.toThrow();
  });

  test('credentials in ARG or ENV', () => {
    const stage = builder().tryFindStage('builder')!;
    expect(() => stage.addArg('GITHUB_TOKEN')).toThrow(/looks like a credential.*secret mount/);
    expect(() => stage.addEnv({ DB_PASSWORD: 'x' })).toThrow(/looks like a credential/);
    expect(() => stage.addInstruction('ENV', 'API_KEY=abc')).toThrow(/looks like a credential/);
  });

  test('HEALTHCHECK that is not exec form', () => {
    const model = new DockerfileModel();
    const stage = model.addStage({ from: 'gcr.io/distroless/static-debian12:nonroot' });
    expect(() => stage.addInstruction('HEALTHCHECK', 'CMD ["/svc","--health-check"] || exit 1')).toThrow(/in exec form \(a shell-form probe needs a shell\)/);
    expect(() => stage.addInstruction('HEALTHCHECK', 'CMD curl -f http://localhost/')).toThrow(/exec form/);
    stage.addHealthcheck({ command: ['/svc', 'health'] });
    expect(stage.instructions.at(-1)!.value).toBe('--interval=30s --timeout=5s --retries=3 CMD ["/svc", "health"]');
  });

  test('root or named USER', () => {
    const stage = builder().tryFindStage('builder')!;
    expect(() => stage.addUser('0:0')).toThrow(/must not be root/);
    expect(() => stage.addUser('nonroot')).toThrow(/numeric "uid:gid"/);
    expect(() => stage.addInstruction('USER', 'root')).toThrow(/numeric/);
  });

  test('newlines cannot start a new instruction', () => {
    const stage = builder().tryFindStage('builder')!;
    expect(() => stage.addRun({ commands: ['echo hi\nUSER 0'] })).toThrow(/control characters/);
    expect(() => stage.addLabels({ a: 'x\nRUN rm -rf /' })).toThrow(/control characters/);
    expect(() => stage.addInstruction('ENV', 'A=1\nUSER 0')).toThrow(/newlines/);
  });

  test('a trailing backslash cannot join the next instruction', () => {
    const stage = builder().tryFindStage('builder')!;
    expect(() => stage.addRun({ commands: ['echo done \\'] })).toThrow(/must not end a line with a backslash/);
    expect(() => stage.addInstruction('LABEL', 'a="b" \\')).toThrow(/must not end a line with a backslash/);
  });

  test('ONBUILD is not offered, and ENV cannot pin the platform', () => {
    const stage = builder().tryFindStage('builder')!;
    expect(() => stage.addInstruction('ONBUILD', 'RUN go mod tidy')).toThrow(/Invalid Dockerfile keyword "ONBUILD"/);
    expect(() => stage.addEnv({ TARGETARCH: 'amd64' })).toThrow(/ENV TARGETARCH .* pins a platform/);
  });

  test('the generic model has no toolchain policy of its own: Go and pip rules are registered by services', () => {
    // GIVEN a model with no rules
    const stage = builder().tryFindStage('builder')!;
    // WHEN Go- and pip-specific instructions are added
    stage.addRun({ commands: ['go mod tidy'] });
    stage.addRun({ mounts: [Mount.cache({ target: '/root/.cache/pip' })], commands: ['pip install --no-cache-dir -r r.txt'] });
    // THEN they are kept: refusing them is the job of GoRules and PipRules (test/build/rules.test.ts)
    expect(stage.instructions.map(i => i.keyword)).toEqual(['RUN', 'RUN']);
  });

  test('ARG defaults with spaces are quoted and accepted; credential names match whole words only', () => {
    const stage = builder().tryFindStage('builder')!;
    stage.addArg('GREETING', 'hello world');
    expect(stage.instructions.at(-1)!.value).toBe('GREETING="hello world"');
    expect(() => stage.addEnv({ TOKENIZERS_PARALLELISM: 'false' })).not.toThrow();
    expect(() => stage.addArg('NPM_TOKEN')).toThrow(/looks like a credential/);
  });

  test('escape hatch removes instructions', () => {
    const stage = builder().tryFindStage('builder')!;
    stage.addRun({ commands: ['echo one'] });
    stage.addRun({ commands: ['echo two'] });
    expect(stage.removeInstructions('RUN', 'one')).toBe(1);
    expect(stage.instructions.map(i => i.value)).toEqual(['echo two']);
  });
});

describe('DockerfileStage escape hatch: find, insert, replace', () => {
  function stage() {
    const model = new DockerfileModel();
    const s = model.addStage({ from: 'golang:1.24-bookworm', name: 'builder' });
    s.addWorkdir('/src');
    s.addCopy({ sources: ['go.mod'], destination: './' });
    s.addRun({ commands: ['go mod download'] });
    return { model, s };
  }

  test('an instruction inserted before the download goes exactly there', () => {
    // GIVEN a builder with a download step
    const { s } = stage();
    // WHEN a secret-mounted git config is inserted right before it
    const at = s.findInstruction('RUN', 'go mod download');
    s.insertInstruction(at, 'RUN', '--mount=type=secret,id=gitconfig,target=/root/.gitconfig true');
    // THEN the order is WORKDIR, COPY, the new RUN, the download
    expect(s.instructions.map(i => i.value)).toEqual(['/src', 'go.mod ./', '--mount=type=secret,id=gitconfig,target=/root/.gitconfig true', 'go mod download']);
  });

  test('a replaced instruction keeps its place', () => {
    const { s } = stage();
    s.replaceInstruction(s.findInstruction('COPY'), 'COPY', 'go.mod go.sum ./');
    expect(s.instructions.map(i => i.value)).toEqual(['/src', 'go.mod go.sum ./', 'go mod download']);
  });

  test('replaceRun puts a RUN with its mounts in the place of another instruction, with the checks of addRun', () => {
    // GIVEN a builder with a download step
    const { model, s } = stage();
    model.addRule(new GoRules());
    // WHEN the download is replaced by one that mounts a secret
    s.replaceRun(s.findInstruction('RUN', 'go mod download'), {
      mounts: [Mount.secret({ id: 'netrc', target: '/root/.netrc' })],
      commands: ['go mod download', 'go mod verify'],
      comment: 'private modules',
    });
    // THEN it is in the same place, rendered as addRun renders it
    expect(s.instructions.map(i => i.value)).toEqual(['/src', 'go.mod ./', '--mount=type=secret,id=netrc,target=/root/.netrc \\\n    go mod download && \\\n    go mod verify']);
    expect(s.instructions[2].comment).toBe('private modules');
    expect(() => s.replaceRun(2, { commands: [] })).toThrow('RUN needs at least one command in "commands"');
    expect(() => s.replaceRun(2, { commands: ['go mod tidy'] })).toThrow(/"go mod tidy" and "go get" must not run/);
    expect(() => s.replaceRun(3, { commands: ['true'] })).toThrow('Invalid instruction position 3: must be an integer from 0 to 2 (the stage has 3 instructions)');
  });

  test('inserted and replaced instructions pass the same checks and rules as added ones', () => {
    const { model, s } = stage();
    model.addRule(new GoRules());
    expect(() => s.insertInstruction(0, 'RUN', 'go mod tidy')).toThrow(/"go mod tidy" and "go get" must not run/);
    expect(() => s.replaceInstruction(2, 'ARG', 'TARGETARCH=amd64')).toThrow(/ARG TARGETARCH must not have a default/);
    expect(() => s.insertInstruction(0, 'ENV', 'GITHUB_TOKEN=x')).toThrow(/looks like a credential/);
    expect(s.instructions).toHaveLength(3);
  });

  test('positions outside the stage are refused, and a missing instruction is -1', () => {
    const { s } = stage();
    expect(s.findInstruction('USER')).toBe(-1);
    expect(() => s.insertInstruction(4, 'USER', '1000:1000')).toThrow('Invalid instruction position 4: must be an integer from 0 to 3 (the stage has 3 instructions)');
    expect(() => s.replaceInstruction(-1, 'USER', '1000:1000')).toThrow('Invalid instruction position -1: must be an integer from 0 to 2 (the stage has 3 instructions)');
  });
});
