/**
 * The extension seam's own checks: what a kind of service gives MultiArchService (its kind, its
 * build secret files, its ignore patterns) is validated like a user's options.
 */
import { Project, TextFile } from 'projen';
import { DockerfileModel, MultiArchPipeline, MultiArchService, MultiArchServiceProps } from '../../src';
import { newProject, synth } from '../helpers';

/** A kind of service that passes whatever props a test gives it. */
class Probe extends MultiArchService {
  constructor(project: Project, name: string, props: Partial<MultiArchServiceProps> = {}) {
    const dockerfile = new DockerfileModel();
    dockerfile.addStage({ from: 'debian:bookworm-slim' }).addUser('65532:65532');
    super(project, name, { kind: 'Probe', context: name, dockerfilePath: `${name}/Dockerfile`, dockerfile, ...props });
  }
}

describe('MultiArchServiceProps', () => {
  test.each([
    [{ kind: 'probe' }, /Invalid kind "probe": must name the kind of service in PascalCase, e.g. "RustService"/],
    [{ secretFiles: [{ variable: 'MY-TOKEN', id: 'tok', description: 'a token' }] }, /Invalid secretFiles variable "MY-TOKEN": must be a variable name/],
    [{ secretFiles: [{ variable: 'MY_TOKEN', id: 'Tok en', description: 'a token' }] }, /Invalid secretFiles id "Tok en": must be a build secret id of lowercase letters/],
    [{ languageIgnorePatterns: ['ok', 'bad\npattern'] }, /languageIgnorePatterns/],
  ])('refuses %j, and leaves nothing behind', (props, error) => {
    // GIVEN a pipeline
    const project = newProject();
    new MultiArchPipeline(project);
    // WHEN a kind gives a bad prop THEN the error names it
    expect(() => new Probe(project, 'probe', props as Partial<MultiArchServiceProps>)).toThrow(error);
    // AND no construct, file or pipeline member of it stays
    expect(project.node.children.filter(c => c.node.id.endsWith(':probe'))).toEqual([]);
    expect(project.tryFindFile('probe/Dockerfile')).toBeUndefined();
    expect(MultiArchPipeline.of(project)!.services).toEqual([]);
  });

  test('a kind\'s secret file becomes a Make and bake variable, passed only when set, once however many services declare it', () => {
    // GIVEN two services of a kind that reads a token file
    const project = newProject();
    new MultiArchPipeline(project);
    const secretFiles = [{ variable: 'PROBE_TOKEN', id: 'probetoken', description: 'a token file for the probe' }];
    new Probe(project, 'one', { secretFiles });
    new Probe(project, 'two', { secretFiles });
    // WHEN synthesized
    const out = synth(project);
    // THEN the Makefile declares it once and passes it to bake, and each target reads it when set
    expect(out.Makefile.match(/^PROBE_TOKEN +\?=/gm)).toHaveLength(1);
    expect(out.Makefile).toContain('PROBE_TOKEN="$(PROBE_TOKEN)"');
    expect(out['docker-bake.hcl']).toContain('variable "PROBE_TOKEN" {');
    expect(out['docker-bake.hcl']).toContain('secret      = PROBE_TOKEN == "" ? [] : ["id=probetoken,src=${PROBE_TOKEN}"]');
    // AND no language's variable is there: this pipeline has neither Go nor Python services
    expect(out.Makefile).not.toMatch(/GO_NETRC|PIP_CONF/);
    expect(MultiArchPipeline.of(project)!.variables.filter(v => v.secretFile).map(v => v.name)).toEqual(['PROBE_TOKEN']);
  });

  test('a file of the project at the Dockerfile path is refused, and the half-made service is gone', () => {
    // GIVEN a project file where the service's Dockerfile would go
    const project = newProject();
    new MultiArchPipeline(project);
    new TextFile(project, 'probe/Dockerfile', { lines: ['FROM scratch'] });
    // WHEN the service is created THEN the error names the kind, the service and the path
    expect(() => new Probe(project, 'probe')).toThrow('Another file already uses probe/Dockerfile: give Probe "probe" another "dockerfilePath"');
    // AND nothing of it stays: no construct, no ignore file, no pipeline member
    expect(project.node.tryFindChild('Probe:probe')).toBeUndefined();
    expect(project.tryFindFile('probe/Dockerfile.dockerignore')).toBeUndefined();
    expect(MultiArchPipeline.of(project)!.services).toEqual([]);
  });
});

describe('a Dockerfile shared by services of a kind', () => {
  test('is refused from another build context: one Dockerfile, one context, one ignore file', () => {
    // GIVEN a service of a kind that shares Dockerfiles, building from "a"
    const project = newProject();
    new Probe(project, 'a', { dockerfilePath: 'docker/Dockerfile', sharesDockerfile: true });

    // WHEN another joins the Dockerfile from "b"
    const second = () => new Probe(project, 'b', { dockerfilePath: 'docker/Dockerfile', sharesDockerfile: true, writeDockerfile: false });

    // THEN
    expect(second).toThrow('Probe "b" shares docker/Dockerfile with "a" but builds from b instead of a: services sharing a Dockerfile share its build context (and its ignore file)');
  });
});
