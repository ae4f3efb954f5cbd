import { Project, typescript } from 'projen';
import { GoService, MultiArchPipeline, Platform, PythonService } from 'projen-multiarch';

// An internal mirror of the base images (here: the local lab registry of scripts/lab.sh).
const mirror = {
  builderImage: '127.0.0.1:5000/lab/golang:1.24',
  runtimeImage: '127.0.0.1:5000/lab/distroless-static:nonroot',
};

const project = new Project({ name: 'storefront' });
new typescript.ProjenrcTs(project);
project.gitignore.exclude('node_modules/', '.packed/', 'package-lock.json');

// The team owns its Makefile and includes the generated targets from multiarch.mk.
new MultiArchPipeline(project, {
  registry: 'registry.storefront.internal/shop',
  dockerfileSyntax: '',
  makefile: 'multiarch.mk',
  labels: { 'org.opencontainers.image.vendor': 'Storefront' },
});

new GoService(project, 'catalog', {
  ...mirror,
  moduleRoot: 'backend',
  mainPackage: './cmd/catalog-server',
  buildTags: ['netgo'],
  ldflags: ['-X', 'main.commit=e2e'],
  port: 9000,
});
// Orders only ships on amd64; payments is small enough for UPX.
new GoService(project, 'orders', { ...mirror, moduleRoot: 'backend', sharedDockerfile: true, platforms: [Platform.LINUX_AMD64] });
new GoService(project, 'payments', { ...mirror, moduleRoot: 'backend', sharedDockerfile: true, upx: true });

new PythonService(project, 'search', {
  directory: 'services/search',
  baseImage: '127.0.0.1:5000/lab/python:3.11-slim',
  command: ['python', '-m', 'search'],
});

project.synth();
