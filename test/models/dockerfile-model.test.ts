import { ArgInstruction, CopyInstruction, DockerfileInstruction, DockerfileModel, EnvInstruction, GoRules, Mount, RawInstruction, RunInstruction, UserInstruction } from '../../src';
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

  test('escape hatch removes an instruction it found', () => {
    // GIVEN two RUNs
    const stage = builder().tryFindStage('builder')!;
    stage.addRun({ commands: ['echo one'] });
    stage.addRun({ commands: ['echo two'] });
    // WHEN the first is found and removed
    stage.remove(stage.tryFindInstruction('run', 'one')!);
    // THEN only the second is left
    expect(stage.instructions.map(i => i.value)).toEqual(['echo two']);
  });
});

describe('DockerfileStage escape hatch: find, insert, replace, remove', () => {
  function stage() {
    const model = new DockerfileModel();
    const s = model.addStage({ from: 'golang:1.24-bookworm', name: 'builder' });
    s.addWorkdir('/src');
    s.addCopy({ sources: ['go.mod'], destination: './' });
    s.addRun({ commands: ['go mod download'] });
    return { model, s };
  }

  test('tryFindInstruction returns a typed instruction, or undefined when none matches', () => {
    const { s } = stage();
    const download = s.tryFindInstruction('RUN', 'go mod download');
    expect(download).toBeInstanceOf(RunInstruction);
    expect((download as RunInstruction).commands).toEqual(['go mod download']);
    expect(s.tryFindInstruction('USER')).toBeUndefined();
    expect(s.tryFindInstruction('RUN', 'go mod verify')).toBeUndefined();
  });

  test('an instruction inserted before the download goes exactly there', () => {
    // GIVEN a builder with a download step
    const { s } = stage();
    // WHEN a secret-mounted git config is inserted right before it
    const download = s.tryFindInstruction('RUN', 'go mod download')!;
    s.insertBefore(download, new RunInstruction({ mounts: [Mount.secret({ id: 'gitconfig', target: '/root/.gitconfig' })], commands: ['true'] }));
    // THEN the order is WORKDIR, COPY, the new RUN, the download
    expect(s.instructions.map(i => i.value)).toEqual(['/src', 'go.mod ./', '--mount=type=secret,id=gitconfig,target=/root/.gitconfig \\\n    true', 'go mod download']);
  });

  test('an escape hatch by object survives comments added before it', () => {
    // GIVEN the download step, found before any comment exists
    const { s } = stage();
    const download = s.tryFindInstruction('RUN', 'go mod download')!;
    // WHEN comments are put on the instructions before it, and on the download itself
    s.tryFindInstruction('WORKDIR')!.comment = 'sources';
    s.tryFindInstruction('COPY')!.comment = 'only what the download reads';
    download.comment = 'modules';
    // AND a step is inserted after the download it found earlier
    s.insertAfter(download, new RunInstruction({ commands: ['go mod verify'] }));
    // THEN the step lands right after the download, and each comment stays on its instruction
    expect(s.render().split('\n').slice(1)).toEqual([
      '# sources', 'WORKDIR /src',
      '# only what the download reads', 'COPY go.mod ./',
      '# modules', 'RUN go mod download',
      'RUN go mod verify',
    ]);
  });

  test('a replaced instruction keeps its place and the replacement renders as its kind', () => {
    const { s } = stage();
    s.replace(s.tryFindInstruction('COPY')!, new CopyInstruction({ sources: ['go.mod', 'go.sum'], destination: './' }));
    expect(s.instructions.map(i => i.value)).toEqual(['/src', 'go.mod go.sum ./', 'go mod download']);
  });

  test('a RUN replaced with mounts and a comment keeps its place, with the checks of addRun', () => {
    // GIVEN a builder with a download step, under the Go rules
    const { model, s } = stage();
    model.addRule(new GoRules());
    const download = s.tryFindInstruction('RUN', 'go mod download')!;
    // WHEN the download is replaced by one that mounts a secret
    const replacement = new RunInstruction({
      mounts: [Mount.secret({ id: 'netrc', target: '/root/.netrc' })],
      commands: ['go mod download', 'go mod verify'],
      comment: 'private modules',
    });
    s.replace(download, replacement);
    // THEN it is in the same place, rendered as addRun renders it
    expect(s.instructions.map(i => i.value)).toEqual(['/src', 'go.mod ./', '--mount=type=secret,id=netrc,target=/root/.netrc \\\n    go mod download && \\\n    go mod verify']);
    expect(s.instructions[2].comment).toBe('private modules');
    expect(() => new RunInstruction({ commands: [] })).toThrow('RUN needs at least one command in "commands"');
    expect(() => s.replace(replacement, new RunInstruction({ commands: ['go mod tidy'] }))).toThrow(/"go mod tidy" and "go get" must not run/);
    // AND the replaced instruction is no longer in the stage
    expect(() => s.replace(download, new RunInstruction({ commands: ['true'] }))).toThrow(/The instruction "RUN go mod download" is not in stage builder/);
  });

  test('inserted and replaced instructions pass the same checks and rules as added ones', () => {
    const { model, s } = stage();
    model.addRule(new GoRules());
    const first = s.instructions[0];
    expect(() => s.insertBefore(first, new RawInstruction('RUN', 'go mod tidy'))).toThrow(/"go mod tidy" and "go get" must not run/);
    expect(() => s.replace(first, new ArgInstruction([{ name: 'TARGETARCH', defaultValue: 'amd64' }]))).toThrow(/ARG TARGETARCH must not have a default/);
    expect(() => s.insertAfter(first, new EnvInstruction({ GITHUB_TOKEN: 'x' }))).toThrow(/looks like a credential/);
    expect(() => s.insertAfter(first, new RawInstruction('ENV', 'GOARCH=amd64'))).toThrow(/ENV GOARCH in stage builder pins a platform/);
    expect(s.instructions).toHaveLength(3);
  });

  test('an instruction of another stage, or one already in the stage, is refused', () => {
    const { model, s } = stage();
    const other = model.addStage({ from: 'debian:bookworm-slim', name: 'other' });
    other.addUser('1000:1000');
    expect(() => s.insertBefore(other.instructions[0], new UserInstruction('1000:1000'))).toThrow(/The instruction "USER 1000:1000" is not in stage builder/);
    expect(() => s.add(s.instructions[0])).toThrow(/is already in stage builder: create a new one/);
    expect(() => s.add(other.instructions[0])).toThrow(/"USER 1000:1000" is already in stage other: create a new one/);
    // AND a removed instruction may be added again
    const user = other.instructions[0];
    other.remove(user);
    s.add(user);
    expect(s.instructions.at(-1)).toBe(user);
  });

  test('an instruction class of the user\'s own is checked by its keyword and value', () => {
    // GIVEN a subclass that renders an ONBUILD
    class OnBuild extends DockerfileInstruction {
      constructor() { super('ONBUILD', 'RUN go mod tidy'); }
    }
    // WHEN it is added, THEN it is refused like a raw ONBUILD
    const { s } = stage();
    expect(() => s.add(new OnBuild())).toThrow(/Invalid Dockerfile keyword "ONBUILD"/);
  });

  test('roles find instructions without matching their text, and buildKey leaves them out', () => {
    // GIVEN two stages that differ by a tool step with a role, by comments and by ARG defaults
    const model = new DockerfileModel();
    const a = model.addStage({ from: 'golang:1.24', name: 'a' });
    const b = model.addStage({ from: 'golang:1.24', name: 'a2' });
    a.add(new RunInstruction({ commands: ['apt-get install -y upx-ucl'], role: 'tool' }));
    a.addArg('GO_PACKAGES', './cmd/a');
    b.addArgs(['GO_PACKAGES']);
    b.addRun({ commands: ['true'] });
    a.addRun({ commands: ['true'], comment: 'the same step' });
    // THEN the role finds the step
    expect(a.instructions.find(i => i.role === 'tool')!.value).toContain('upx-ucl');
    // AND the keys, names aside, are equal once the role is ignored, and differ when it is not
    const key = (st: typeof a, roles?: string[]) => JSON.parse(st.buildKey(roles)).slice(1);
    expect(key(a, ['tool'])).toEqual(key(b, ['tool']));
    expect(key(a)).not.toEqual(key(b));
  });
});
