import { Project, typescript } from 'projen';
import { GitHubActions, GitLabCi, GoService, MultiArchPipeline, Platform, PythonService } from 'projen-multiarch';

// Base images come from an internal mirror. Here that is the local lab registry (scripts/lab.sh in
// the projen-multiarch repository), which holds offline stand-ins for golang, distroless and python.
const MIRROR = '127.0.0.1:5000/lab';
const go = {
  builderImage: `${MIRROR}/golang:1.24`,
  runtimeImage: `${MIRROR}/distroless-static:nonroot`,
};

const project = new Project({ name: 'nephoran-intent-operator' });
new typescript.ProjenrcTs(project);
// The library is installed from the tarball the projen-multiarch repository packs (scripts/example.sh).
project.gitignore.exclude('node_modules/', '.packed/', 'package-lock.json', 'sbom/');

new MultiArchPipeline(project, {
  registry: 'ghcr.io/thc1006/nephoran',
  platforms: [Platform.LINUX_AMD64, Platform.LINUX_ARM64],
  // The mirror serves no Dockerfile frontend image; BuildKit's built-in frontend is enough.
  dockerfileSyntax: '',
  labels: { 'org.opencontainers.image.source': 'https://github.com/thc1006/nephoran-intent-operator' },
  // CI for both providers: .github/workflows/images.yml and .gitlab-ci.yml (the CI-run tier runs both)
  ciProviders: [new GitHubActions(), new GitLabCi()],
});

// Per-service Dockerfile under cmd/llm-processor/, UPX on amd64.
new GoService(project, 'llm-processor', { ...go, upx: true, port: 8080, description: 'LLM intent processor' });
// These two share the root multi-service Dockerfile, chosen by build args.
new GoService(project, 'nephio-bridge', { ...go, sharedDockerfile: true, port: 8081 });
new GoService(project, 'oran-adaptor', { ...go, sharedDockerfile: true, port: 8082 });

new PythonService(project, 'rag-api', {
  directory: 'pkg/rag',
  baseImage: `${MIRROR}/python:3.11-slim`,
  requirementsFile: 'requirements-rag.txt',
  localPackages: ['vendor'],
  pipInstallArgs: ['--no-index', '--no-build-isolation'],
  // ragcore has a C extension built from source on each target platform (TARGET, the default),
  // linked with OpenMP: the compiler stays in the builder, the OpenMP runtime goes to the image.
  // (The lab's python image is Debian's python3, whose headers are a package; python:*-slim has them.)
  buildPackages: ['gcc', 'libc6-dev', 'libpython3.11-dev'],
  runtimePackages: ['libgomp1'],
  command: ['python', 'api.py'],
  port: 5001,
  user: '1001:1001',
});

project.synth();
