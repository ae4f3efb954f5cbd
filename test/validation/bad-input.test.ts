import * as fs from 'fs';
import { Project } from 'projen';
import {
  GitHubActions, GitHubPlatformStrategy, GitLabCi, GoService, MultiArchPipeline, Platform, PythonInstallStrategy, PythonService,
} from '../../src';
import { newProject, parseDockerfile, parseHcl, synthToDisk } from '../helpers';

/**
 * Bad input, at every door: each case is refused with an Error (never a TypeError) that names the
 * option and the bad value and says what is allowed, at construction or, for conflicts between
 * constructs, at synthesis; and it leaves no generated file behind.
 */
type Case = [string, (p: Project) => void, RegExp];

const go = (options: any, name = 'api') => (p: Project) => { new GoService(p, name, options); };
const py = (options: any, name = 'ml') => (p: Project) => { new PythonService(p, name, options); };
const pipeline = (options: any) => (p: Project) => { new MultiArchPipeline(p, options); new GoService(p, 'api'); };
const github = (options: any, registry = 'ghcr.io/acme') => (p: Project) => {
  new MultiArchPipeline(p, { registry, ciProviders: [new GitHubActions(options)] });
  new GoService(p, 'api');
};
const INJECTIONS = ['a"b', 'a$(id)b', 'a`id`b', 'a\nb', 'a${{ github.token }}b', 'a${HOME}b', 'a\\'];

const CASES: Case[] = [
  // names and image names
  ['service name with a space', go({}, 'my api'), /Invalid service name "my api"/],
  ['service name with upper case', go({}, 'Api'), /Invalid service name "Api"/],
  ['service name starting with "-"', go({}, '-api'), /Invalid service name "-api"/],
  ['reserved service name', go({}, 'multiarch'), /Invalid service name "multiarch": it is reserved/],
  ['reserved service name "local" (build-local)', go({}, 'local'), /Invalid service name "local": it is reserved/],
  ['two services of one name', p => { new GoService(p, 'api'); new PythonService(p, 'api', { directory: 'py' }); }, /A service named "api" already exists/],
  ['two services of one imageName, Go and Python', p => { new GoService(p, 'api'); new PythonService(p, 'web', { directory: 'web', imageName: 'api' }); },
    /Invalid imageName "api": is already the image of service "api": both would push to \$\{REGISTRY\}\/api/],
  ['imageName with a tag', go({ imageName: 'api:latest' }), /Invalid imageName "api:latest"/],
  ['imageName with upper case', go({ imageName: 'Api' }), /Invalid imageName "Api"/],
  // paths
  ['absolute moduleRoot', go({ moduleRoot: '/src' }), /Invalid moduleRoot "\/src": must be a path relative to the project root/],
  ['moduleRoot outside the project', go({ moduleRoot: '../other' }), /Invalid moduleRoot "\.\.\/other"/],
  ['mainPackage outside the module', go({ mainPackage: '../cmd/api' }), /Invalid mainPackage "\.\.\/cmd\/api"/],
  ['mainPackage as a file', go({ mainPackage: './cmd/api/main.go' }), /Invalid mainPackage "\.\/cmd\/api\/main\.go"/],
  ['Python directory with ".."', py({ directory: 'a/../../b' }), /Invalid directory "a\/\.\.\/\.\.\/b"/],
  ['requirementsFile outside the directory', py({ requirementsFile: '../requirements.txt' }), /Invalid requirementsFile "\.\.\/requirements\.txt"/],
  ['absolute requirementsFile', py({ requirementsFile: '/requirements.txt' }), /Invalid requirementsFile "\/requirements\.txt": must be a path relative/],
  ['localPackages with a space', py({ localPackages: ['my wheels'] }), /Invalid localPackages "my wheels"/],
  ['dockerfilePath with a newline', go({ dockerfilePath: 'a\nRUN id' }), /Invalid dockerfilePath .*control characters/],
  // platforms
  ['unknown platform', go({ platforms: ['linux/sparc' as unknown as Platform] }), /Invalid platforms "linux\/sparc": is not a platform this library knows/],
  ['empty service platforms', go({ platforms: [] }), /Invalid platforms for service "api": give at least one platform/],
  ['empty pipeline platforms', pipeline({ platforms: [] }), /Invalid platforms/],
  ['CROSS_WHEELS for linux/arm/v6', py({ installStrategy: PythonInstallStrategy.CROSS_WHEELS, platforms: [Platform.LINUX_ARM_V6] }), /Invalid installStrategy .*no wheel platform tag for linux\/arm\/v6/],
  // versions
  ['goVersion "latest"', go({ goVersion: 'latest' }), /Invalid goVersion "latest": must be a version such as "1.24"/],
  ['goVersion with a suffix', go({ goVersion: '1.24; id' }), /Invalid goVersion "1.24; id"/],
  ['Python 2', py({ pythonVersion: '2.7' }), /Invalid pythonVersion "2.7": must be a supported Python version: 3.9, 3.10/],
  ['Python 3.8', py({ pythonVersion: '3.8' }), /Invalid pythonVersion "3.8"/],
  ['a base image of Python 2', py({ baseImage: 'python:2.7-slim' }), /Invalid baseImage "python:2.7-slim": is Python 2.7, which is not supported/],
  ['pythonVersion against the base image', py({ baseImage: 'python:3.11-slim', pythonVersion: '3.12' }), /Invalid pythonVersion "3.12": does not match baseImage/],
  // ports and users
  ['port 0', go({ port: 0 }), /Invalid port 0: must be an integer from 1 to 65535/],
  ['port 70000', go({ port: 70000 }), /Invalid port 70000/],
  ['port as a string', go({ port: '8080' }), /Invalid port "8080": must be an integer/],
  ['port 80.5', py({ port: 80.5 }), /Invalid port 80.5/],
  ['root user', go({ user: '0:0' }), /Invalid user "0:0"/],
  ['named user', go({ user: 'nobody' }), /Invalid user "nobody"/],
  ['root group', py({ user: '1001:0' }), /Invalid user "1001:0": must not be root/],
  // images, registries and labels
  ['builderImage with a space', go({ builderImage: 'golang 1.24' }), /Invalid builderImage "golang 1.24"/],
  ['runtimeImage with a newline', go({ runtimeImage: 'distroless\nRUN id' }), /Invalid runtimeImage .*control characters/],
  ['cgo with a static runtime', go({ cgo: true, runtimeImage: 'gcr.io/distroless/static-debian12:nonroot' }), /Invalid runtimeImage .*static image without a C library/],
  ['baseImage with a quote', py({ baseImage: 'python:3.12"slim' }), /Invalid baseImage "python:3.12\\"slim"/],
  ['registry with a scheme', pipeline({ registry: 'https://ghcr.io/acme' }), /Invalid registry "https:\/\/ghcr\.io\/acme"/],
  ['registry with a space', pipeline({ registry: 'ghcr.io/ac me' }), /Invalid registry "ghcr\.io\/ac me"/],
  ['cacheRegistry with a quote', pipeline({ cacheRegistry: 'ghcr.io/"x' }), /Invalid cacheRegistry/],
  ['label key with upper case', pipeline({ labels: { 'Org.Example': 'x' } }), /Invalid labels key "Org\.Example"/],
  ['scanSeverity "severe"', pipeline({ scanSeverity: 'severe' }), /Invalid scanSeverity "severe"/],
  ['buildxDriver "podman"', pipeline({ buildxDriver: 'podman' }), /Invalid buildxDriver "podman"/],
  ['makefile path with a space', pipeline({ makefile: 'my make.mk' }), /Invalid makefile "my make\.mk"/],
  // healthchecks against the runtime's capabilities
  ['a shell healthcheck on distroless', p => { new GoService(p, 'api').dockerfile.finalStage.addHealthcheck({ command: ['sh', '-c', 'true'] }); }, /HEALTHCHECK in .* runs "sh", which the base image .* does not have/],
  ['a curl healthcheck on distroless', p => { new GoService(p, 'api').dockerfile.finalStage.addHealthcheck({ command: ['curl', '-f', 'localhost'] }); }, /runs "curl"/],
  ['an empty healthcheck command', p => { new GoService(p, 'api').dockerfile.finalStage.addHealthcheck({ command: [] }); }, /Invalid HEALTHCHECK/],
  ['a healthcheck interval of 0', p => { new GoService(p, 'api').dockerfile.finalStage.addHealthcheck({ command: ['/usr/local/bin/api'], intervalSeconds: 0 }); }, /Invalid intervalSeconds 0/],
  // Python packages, indexes, strategies
  ['buildPackages with a shell command', py({ buildPackages: ['gcc; rm -rf /'] }), /Invalid buildPackages "gcc; rm -rf \/": must be a Debian package name/],
  ['runtimePackages with two names in one', py({ runtimePackages: ['libpq5 libgomp1'] }), /Invalid runtimePackages "libpq5 libgomp1"/],
  ['buildPackages with CROSS_WHEELS', py({ installStrategy: PythonInstallStrategy.CROSS_WHEELS, buildPackages: ['gcc'] }), /Invalid buildPackages \["gcc"\]: CROSS_WHEELS installs wheels only/],
  ['indexUrl with credentials', py({ indexUrl: 'https://u:p@pypi.example/simple' }), /Invalid indexUrl .*carries credentials/],
  ['pip args with credentials', py({ pipInstallArgs: ['--extra-index-url=https://u:p@pypi.example/simple'] }), /Invalid pipInstallArgs .*carries credentials in a URL/],
  ['pip args with --no-cache-dir', py({ pipInstallArgs: ['--no-cache-dir'] }), /Invalid pipInstallArgs "--no-cache-dir"/],
  ['an empty command', py({ command: [] }), /Invalid command \[\]: must be a non-empty list/],
  ['installStrategy not in the enum', py({ installStrategy: 'FAST' }), /Invalid installStrategy "FAST"/],
  // Go options
  ['ldflags with a quote', go({ ldflags: ['-X main.v="1"'] }), /Invalid ldflags/],
  ['buildTags with a space', go({ buildTags: ['a b'] }), /Invalid buildTags "a b"/],
  ['goProxy with credentials', go({ goProxy: 'https://u:p@proxy.example' }), /Invalid goProxy/],
  ['goPrivate with a space', go({ goPrivate: 'github.com/acme/* x' }), /Invalid goPrivate/],
  ['versionVariable without a package', go({ versionVariable: 'version' }), /Invalid versionVariable "version"/],
  // CI providers
  ['GitHubActions pushing to localhost', github({}, 'localhost:5000'), /Invalid MultiArchPipeline registry "localhost:5000": is local/],
  ['GitHubActions branch with a quote', github({ branches: ['ma"in'] }), /Invalid branches "ma\\"in"/],
  ['GitHubActions runner with an expression', github({ runners: { 'linux/arm64': '${{ github.token }}' } }), /Invalid runners\["linux\/arm64"\]/],
  ['GitHubActions metadata tag with an expression', github({ metadataTags: ['type=raw,value=${{ secrets.TOKEN }}'] }), /Invalid metadataTags .*\$\{\{/],
  ['GitHubActions secret name in lower case', github({ registryPasswordSecret: 'my-token', registryUsername: 'bot' }, 'registry.example/acme'), /Invalid registryPasswordSecret "my-token"/],
  ['GitHubActions strategy not in the enum', github({ platformStrategy: 'FAST' as GitHubPlatformStrategy }), /Invalid platformStrategy "FAST"/],
  // wrong types from JavaScript, and options that would do nothing (found by probing every new option)
  ['service platforms as a string', go({ platforms: 'linux/amd64' }), /Invalid platforms "linux\/amd64": must be a list/],
  ['a platform listed twice', go({ platforms: [Platform.LINUX_AMD64, Platform.LINUX_AMD64] }), /Invalid platforms \["linux\/amd64","linux\/amd64"\]: lists "linux\/amd64" twice/],
  ['a pipeline platform listed twice', pipeline({ platforms: [Platform.LINUX_ARM64, Platform.LINUX_ARM64] }), /Invalid platforms .*lists "linux\/arm64" twice/],
  ['buildPackages as a string', py({ buildPackages: 'gcc' }), /Invalid buildPackages "gcc": must be a list of strings/],
  ['runtimePackages listed twice', py({ runtimePackages: ['libgomp1', 'libgomp1'] }), /Invalid runtimePackages .*lists "libgomp1" twice/],
  ['runtimePackages on Alpine', py({ baseImage: 'python:3.12-alpine', runtimePackages: ['libgomp1'] }), /Invalid runtimePackages \["libgomp1"\]: are installed with apt-get/],
  ['extraIndexUrls as a string', py({ extraIndexUrls: 'https://pypi.example.com/simple' }), /Invalid extraIndexUrls .*must be a list of strings/],
  ['command as a string', py({ command: 'python main.py' }), /Invalid command "python main.py": must be a list of strings/],
  ['glibcVersion with TARGET', py({ glibcVersion: '2.36' }), /Invalid glibcVersion "2.36": chooses the wheels CROSS_WHEELS installs/],
  ['buildTags as a string', go({ buildTags: 'netgo' }), /Invalid buildTags "netgo": must be a list of strings/],
  ['upxImage without upx', go({ upxImage: 'registry.example.com/upx:4' }), /Invalid upxImage "registry.example.com\/upx:4": pins the UPX of upx: true, which is off/],
  ['upxImage scratch', go({ upx: true, upxImage: 'scratch' }), /Invalid upxImage "scratch": must be an image holding/],
  ['CROSS_WHEELS on a base image without a Python tag', py({ installStrategy: PythonInstallStrategy.CROSS_WHEELS, baseImage: 'nvidia/cuda:12.4.1-runtime-ubuntu22.04' }),
    /Invalid baseImage "nvidia\/cuda:12.4.1-runtime-ubuntu22.04": does not say its Python version .* set pythonVersion/],
  ['GitHubActions workflowName as a number', github({ workflowName: 123 }), /Invalid workflowName 123: must be a string/],
  ['GitHubActions workflowName too long', github({ workflowName: 'a'.repeat(300) }), /Invalid workflowName "a{300}": use 1-63/],
  ['GitHubActions metadataTags as a string', github({ metadataTags: 'type=sha' }), /Invalid metadataTags "type=sha": must be a list of strings/],
  ['GitHubActions metadataTags blank', github({ metadataTags: [' '] }), /Invalid metadataTags \[" "\]: give at least one docker\/metadata-action rule/],
  ['GitHubActions branches as a string', github({ branches: 'main' }), /Invalid branches "main": must be a list of strings/],
  ['GitHubActions scan as a string', github({ scan: 'false' }), /Invalid scan "false": must be true or false/],
  ['GitHubActions runners key not a platform', github({ runners: { 'bogus/x': 'my-runner' } }), /Invalid runners "bogus\/x": keys must be platforms/],
  ['GitHubActions runners key not as written', github({ runners: { ' LINUX/ARM64 ': 'my-arm' } }), /Invalid runners " LINUX\/ARM64 ": keys must be platforms/],
  ['GitHubActions runners as a list', github({ runners: ['ubuntu'] }), /Invalid runners \["ubuntu"\]: must be an object/],
  ['GitHubActions pin of an action it does not use', github({ actionPins: { 'evil/x': { sha: 'a'.repeat(40), version: 'v1' } } }), /Invalid actionPins "evil\/x": is not an action these workflows use/],
  ['GitHubActions pin without a SHA', github({ actionPins: { 'actions/checkout': null } }), /Invalid actionPins\["actions\/checkout"\] null: must be an object/],
  ['GitHubActions pin without a version', github({ actionPins: { 'actions/checkout': { sha: 'a'.repeat(40), version: '' } } }), /Invalid actionPins\["actions\/checkout"\]\.version "": must name the release/],
  ['GitHubActions secret named GITHUB_*', github({ registryUsername: 'me', registryPasswordSecret: 'GITHUB_X' }, 'quay.io/acme'), /Invalid registryPasswordSecret "GITHUB_X": GitHub refuses secret names/],
  ['GitHubActions GITHUB_TOKEN for another registry', github({ registryUsername: 'me', registryPasswordSecret: 'GITHUB_TOKEN' }, 'quay.io/acme'), /Invalid registryPasswordSecret "GITHUB_TOKEN": logs in to ghcr.io only/],
  ['GitHubActions blank username for another registry', github({ registryUsername: ' ', registryPasswordSecret: 'QUAY_TOKEN' }, 'quay.io/acme'), /give registryUsername and registryPasswordSecret/],
  ['GitHubActions cacheRegistry as a number', github({ cacheRegistry: 0 }), /Invalid cacheRegistry 0/],
  ['GitLabCi sign as a string', p => { new MultiArchPipeline(p, { registry: 'registry.gitlab.com/acme', ciProviders: [new GitLabCi({ sign: 'no' as any })] }); new GoService(p, 'api'); }, /Invalid sign "no": must be true or false/],
  ['GitLabCi namespace over 63 characters', p => { new MultiArchPipeline(p, { registry: 'registry.gitlab.com/acme', ciProviders: [new GitLabCi({ builder: 'kubernetes' as any, kubernetesNamespace: 'a'.repeat(64) })] }); new GoService(p, 'api'); }, /Invalid kubernetesNamespace "a{64}": must be a Kubernetes namespace name: 1-63/],
  ['GitLabCi namespace without the Kubernetes builder', p => { new MultiArchPipeline(p, { registry: 'registry.gitlab.com/acme', ciProviders: [new GitLabCi({ kubernetesNamespace: 'buildkit' })] }); new GoService(p, 'api'); }, /Invalid kubernetesNamespace "buildkit": applies to builder GitLabBuilder.KUBERNETES only/],
  ['GitLabCi job image with a space', p => { new MultiArchPipeline(p, { registry: 'registry.gitlab.com/acme', ciProviders: [new GitLabCi({ dockerImage: 'docker 27' })] }); new GoService(p, 'api'); }, /Invalid dockerImage "docker 27"/],
  // free text: refused where it would reach a Dockerfile, a Makefile, HCL or YAML unescaped
  ...INJECTIONS.map((v): Case => [`description ${JSON.stringify(v)}`, go({ description: v }), /Invalid description/]),
  ...INJECTIONS.map((v): Case => [`label value ${JSON.stringify(v)}`, pipeline({ labels: { 'org.example.note': v } }), /Invalid labels\["org\.example\.note"\]/]),
];

describe('bad input is refused with the option, the value and what is allowed, and leaves nothing behind', () => {
  test('there are at least 50 cases', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(50);
  });

  test.each(CASES)('%s', (_, create, message) => {
    const project = newProject();
    let error: unknown;
    try {
      create(project);
      synthToDisk(project);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(TypeError);
    expect((error as Error).message).toMatch(message);
    expect(fs.readdirSync(project.outdir)).toEqual([]);
  });
});

describe('free text that is accepted comes out of every parser exactly as it went in', () => {
  const tricky = ['print("a $(id) `id` ${HOME} ${{ github.token }}")', "it's", 'a\\b', '&<>|;#'];

  test('a Python command: the CMD is a JSON array that the Dockerfile parser reads back whole', () => {
    const project = newProject();
    new PythonService(project, 'ml', { command: ['python', '-c', ...tricky] });
    const out = synthToDisk(project);
    const cmd = parseDockerfile(out.Dockerfile).stages.at(-1)!.instructions.find(i => i.keyword === 'CMD')!;
    expect(JSON.parse(cmd.args)).toEqual(['python', '-c', ...tricky]);
  });

  test('a healthcheck on a runtime with a shell: the exec-form JSON reads back whole', () => {
    const project = newProject();
    const svc = new PythonService(project, 'ml', {});
    svc.dockerfile.finalStage.addHealthcheck({ command: ['python', '-c', ...tricky] });
    const out = synthToDisk(project);
    const check = parseDockerfile(out.Dockerfile).stages.at(-1)!.instructions.find(i => i.keyword === 'HEALTHCHECK')!;
    expect(JSON.parse(check.args.slice(check.args.indexOf('[')))).toEqual(['python', '-c', ...tricky]);
  });

  test('a description with quotes, <, > and & reads back the same from the Dockerfile, the bake file (HCL) and its annotations', async () => {
    const description = "Orders & payments: <fast>, {small}, it's 100%";
    const project = newProject();
    new MultiArchPipeline(project, { labels: { 'org.opencontainers.image.licenses': 'Apache-2.0 OR MIT' } });
    new GoService(project, 'api', { description });
    const out = synthToDisk(project);
    const label = parseDockerfile(out['cmd/api/Dockerfile']).stages.at(-1)!.instructions.find(i => i.keyword === 'LABEL')!.args;
    expect(label).toContain(`org.opencontainers.image.description="${description}"`);
    const hcl = await parseHcl(out['docker-bake.hcl']);
    const target = hcl.target.api[0];
    expect(target.description).toBe(description);
    expect(target.annotations).toContain(`index:org.opencontainers.image.description=${description}`);
    expect(target.annotations).toContain('index:org.opencontainers.image.licenses=Apache-2.0 OR MIT');
  });
});
