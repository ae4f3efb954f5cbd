import { Project, typescript } from 'projen';
import { GitHubActions, GitLabCi, GoService, MultiArchPipeline, PythonInstallStrategy, PythonService } from 'projen-multiarch';

// A Go monorepo, shaped like many real ones:
//   go.mod, go.sum        module monorepo.example/platform (the repository root is the module root)
//   cmd/gateway, cmd/worker   its two services
//   shared/               module monorepo.example/shared, a sibling used through `replace => ./shared`
//                         (so it must be in the build context of the root module's images)
//   legacy/               module monorepo.example/legacy, built from its committed vendor/ tree
//   ml/                   a Python service (`python -m scorer`) inside the Go module's directory
//   .lab-modules/         only for the lab: what its private module proxy serves (no image needs it)
// The root module and legacy both need modules.monorepo.internal/auth, a private module that exists
// only on the team's authenticated module proxy (go.sum pins its hashes; GONOSUMDB keeps it away from
// the public checksum database).

// An internal mirror of the base images (here: the local lab registry of scripts/lab.sh).
const mirror = { builderImage: '127.0.0.1:5000/lab/golang:1.24', runtimeImage: '127.0.0.1:5000/lab/distroless-static:nonroot' };
// Private modules come from the team's authenticated proxy; credentials are a build secret:
//   make build-multiarch GO_NETRC=~/.netrc   (in the lab: GO_NETRC=$LAB_GO_NETRC, see scripts/lab.sh env)
// HTTPS on the default port on purpose: the go command sends credentials to a proxy over HTTPS only,
// and it matches a netrc line without a port (`machine 172.17.0.1`) only on port 443. The builder image
// must trust the proxy's certificate (in the lab, lab/golang:1.24 trusts the lab CA).
const privateModules = { goProxy: 'https://172.17.0.1', goNoSumDb: 'modules.monorepo.internal' };

const project = new Project({ name: 'monorepo' });
new typescript.ProjenrcTs(project);
project.gitignore.exclude('node_modules/', '.packed/', 'package-lock.json', 'sbom/', 'ml/wheels/');

new MultiArchPipeline(project, {
  registry: 'registry.monorepo.internal/platform',
  dockerfileSyntax: '',
  // CI for both providers; the registry is not GitHub's, so the workflow logs in with a token of its own
  ciProviders: [
    new GitHubActions({ registryUsername: 'ci-bot', registryPasswordSecret: 'REGISTRY_TOKEN' }),
    new GitLabCi(),
  ],
});

// The root module's services: gateway has a Dockerfile of its own, worker uses the shared one.
// .lab-modules only feeds the lab's proxy: keep it out of both Dockerfiles' build contexts (each
// Dockerfile has its own ignore file).
const labOnly = { dockerignore: ['.lab-modules'] };
new GoService(project, 'gateway', { ...mirror, ...privateModules, ...labOnly, port: 8080 });
new GoService(project, 'worker', { ...mirror, ...privateModules, ...labOnly, sharedDockerfile: true });
// The legacy module vendors its dependencies (private ones included): no proxy and no secret needed.
new GoService(project, 'reporter', { ...mirror, moduleRoot: 'legacy' });

// The Python service lives inside the Go module's directory; its build context is ml/ alone.
// Its dependencies are wheels (ml/wheels, written by scripts/wheelhouse.sh), so CROSS_WHEELS installs
// the arm64 ones from the build platform: pip never runs under QEMU.
new PythonService(project, 'scorer', {
  directory: 'ml',
  baseImage: '127.0.0.1:5000/lab/python:3.11-slim',
  installStrategy: PythonInstallStrategy.CROSS_WHEELS,
  // the lab's python image is Debian bookworm (glibc 2.36), and so are the wheels
  glibcVersion: '2.36',
  localPackages: ['wheels'],
  pipInstallArgs: ['--no-index', '--find-links=wheels'],
  command: ['python', '-m', 'scorer'],
});

project.synth();
