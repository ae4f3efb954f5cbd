import { DockerfileInstruction, DockerfileModel, DockerfileStage, GoRules, IDockerfileRule, Mount, PipRules, RunInstruction } from '../../src';

function goModel(): DockerfileModel {
  const model = new DockerfileModel();
  model.addRule(new GoRules());
  model.addStage({ from: 'golang:1.24-bookworm', name: 'builder', platform: '$BUILDPLATFORM' });
  return model;
}

describe('GoRules', () => {
  test('go mod tidy and go get are refused, also through the raw escape hatch', () => {
    const stage = goModel().tryFindStage('builder')!;
    expect(() => stage.addRun({ commands: ['go mod tidy'] })).toThrow(/"go mod tidy" and "go get" must not run in an image build \(stage builder\)/);
    expect(() => stage.addInstruction('RUN', 'go get github.com/x/y@v1')).toThrow(/must not run in an image build/);
  });

  test('building a single .go file is refused; a package builds', () => {
    const stage = goModel().tryFindStage('builder')!;
    expect(() => stage.addRun({ commands: ['go build -o /out/app cmd/app/main.go'] })).toThrow(/single \.go file in stage builder: build the package/);
    stage.addRun({ commands: ['go build -o /out/app ./cmd/app'] });
    expect(stage.instructions.at(-1)!.value).toBe('go build -o /out/app ./cmd/app');
  });

  test('ENV GOOS/GOARCH/GOARM would pin one platform for every image', () => {
    const stage = goModel().tryFindStage('builder')!;
    expect(() => stage.addInstruction('ENV', 'GOARCH=amd64')).toThrow(/ENV GOARCH in stage builder pins a platform/);
    expect(() => stage.addEnv({ GOOS: 'linux' })).toThrow(/ENV GOOS .* pins a platform/);
    stage.addEnv({ GOFLAGS: '-mod=readonly' });
    expect(stage.instructions.at(-1)!.value).toBe('GOFLAGS="-mod=readonly"');
  });

  test('a rule added to a model checks the instructions already in it, and every stage added later', () => {
    // GIVEN a model that already holds a go mod tidy
    const model = new DockerfileModel();
    model.addStage({ from: 'golang:1.24', name: 'early' }).addRun({ commands: ['go mod tidy'] });
    // WHEN the Go rules are added, THEN the existing instruction is refused
    expect(() => model.addRule(new GoRules())).toThrow(/"go mod tidy"/);
    // AND a clean model with the rules refuses it in a stage added afterwards
    const clean = goModel();
    const later = clean.addStage({ from: 'golang:1.24', name: 'later' });
    expect(() => later.addRun({ commands: ['go get ./...'] })).toThrow(/stage later/);
  });
});

describe('PipRules', () => {
  test('--no-cache-dir under a pip cache mount is refused; without the mount it is allowed', () => {
    const model = new DockerfileModel();
    model.addRule(new PipRules());
    const stage = model.addStage({ from: 'python:3.12-slim' });
    expect(() => stage.addRun({ mounts: [Mount.cache({ target: '/root/.cache/pip' })], commands: ['pip install --no-cache-dir -r r.txt'] }))
      .toThrow(/--no-cache-dir.*defeats the cache/);
    stage.addRun({ commands: ['pip install --no-cache-dir -r r.txt'] });
    expect(stage.instructions).toHaveLength(1);
  });
});

describe('IDockerfileRule, the public seam', () => {
  /** A user's rule: no curl piped into a shell, read from a typed RUN's commands. */
  class NoCurlPipe implements IDockerfileRule {
    public readonly seen: string[] = [];
    public check(stage: DockerfileStage, instruction: DockerfileInstruction): void {
      this.seen.push(instruction.keyword);
      if (instruction instanceof RunInstruction && instruction.commands.some(c => /curl[^|]*\|\s*sh/.test(c))) {
        throw new Error(`curl | sh in stage ${stage.name}: download, verify the checksum, then run`);
      }
    }
  }

  test('a rule refuses a typed RUN by its commands, not by the rendered text', () => {
    // GIVEN a model with the rule
    const model = new DockerfileModel();
    const rule = new NoCurlPipe();
    model.addRule(rule);
    const stage = model.addStage({ from: 'debian:bookworm-slim', name: 'tools' });
    // WHEN a typed RUN pipes curl into a shell, THEN it is refused and not added
    expect(() => stage.addRun({ mounts: [Mount.cache({ target: '/root/.cache' })], commands: ['curl -fsSL https://x.test/i.sh | sh'] }))
      .toThrow('curl | sh in stage tools: download, verify the checksum, then run');
    expect(stage.instructions).toEqual([]);
    // AND every other instruction reaches the rule with its keyword
    stage.addWorkdir('/w');
    stage.addRun({ commands: ['curl -fsSLO https://x.test/i.sh'] });
    expect(rule.seen).toEqual(['RUN', 'WORKDIR', 'RUN']);
  });

  test('PipRules reads the cache mounts of a raw RUN too, wherever target= is in the mount', () => {
    const model = new DockerfileModel();
    model.addRule(new PipRules());
    const stage = model.addStage({ from: 'python:3.12-slim' });
    expect(() => stage.addInstruction('RUN', '--mount=type=cache,id=pip,target=/root/.cache/pip pip install --no-cache-dir -r r.txt'))
      .toThrow(/--no-cache-dir.*defeats the cache/);
    stage.addInstruction('RUN', '--mount=type=secret,id=pipconf,target=/etc/pip.conf pip install --no-cache-dir -r r.txt');
    expect(stage.instructions).toHaveLength(1);
  });
});
