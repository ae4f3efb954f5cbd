/**
 * The runtime options every service has (issue #23): `args`, `env`, `files` and `healthcheck`, on
 * GoService and PythonService alike, read back from the rendered Dockerfile through a parser.
 */
import * as fs from 'fs';
import * as path from 'path';
import { DockerfileParser } from 'dockerfile-ast';
import { Project } from 'projen';
import { DockerfileModel, GoService, GoServiceOptions, MultiArchPipeline, MultiArchService, MultiArchServiceProps, PythonService, PythonServiceOptions } from '../../src';
import { excludingPattern } from '../../src/dockerfile/dockerignore';
import { lintDockerfile, newProject, parseDockerfile, synth } from '../helpers';
import { addConfigServer, CONFIG_PATH, GREETING } from '../runtime-options/lab-project';

const LAB = { builderImage: '127.0.0.1:5000/lab/golang:1.24', runtimeImage: '127.0.0.1:5000/lab/distroless-static:nonroot' };
/** A value with everything ENV would otherwise read: `$`, `${}`, quotes, a backslash, spaces. */
const TRICKY = 'a $HOME "q" \\b ${X} \'s';

function goDockerfile(options: GoServiceOptions): string {
  const project = newProject();
  new MultiArchPipeline(project, { dockerfileSyntax: '' });
  new GoService(project, 'server', { ...LAB, ...options });
  return synth(project)['cmd/server/Dockerfile'];
}

function pythonDockerfile(options: PythonServiceOptions): string {
  const project = newProject();
  new MultiArchPipeline(project, { dockerfileSyntax: '' });
  new PythonService(project, 'api', { directory: 'api', ...options });
  return synth(project)['api/Dockerfile'];
}

/** The instructions of a stage (the final one by default) as the parser reads them. */
function stage(dockerfile: string, name?: string) {
  const stages = parseDockerfile(dockerfile).stages;
  return (name ? stages.find(s => s.name === name)! : stages[stages.length - 1]).instructions;
}

/** What BuildKit reads from an ENV value in double quotes: dockerfile-ast removes the quotes and `\"`, `\\`; `\$` is BuildKit's. */
function envValues(dockerfile: string, name: string): string[] {
  return DockerfileParser.parse(dockerfile).getENVs()
    .flatMap(i => i.getProperties()).filter(p => p.getName() === name)
    .map(p => (p.getValue() ?? '').replace(/\\\$/g, '$'));
}

describe('GoService runtime options', () => {
  test('args are the CMD after the binary\'s ENTRYPOINT, in exec form', () => {
    // GIVEN a server that needs a subcommand and its config path WHEN rendered
    const runtime = stage(goDockerfile({ args: ['serve', '/etc/app/config.json'] }));
    // THEN the binary is the entrypoint and the args are its CMD
    const start = runtime.filter(i => i.keyword === 'ENTRYPOINT' || i.keyword === 'CMD').map(i => [i.keyword, JSON.parse(i.args)]);
    expect(start).toEqual([['ENTRYPOINT', ['/usr/local/bin/server']], ['CMD', ['serve', '/etc/app/config.json']]]);
  });

  test('no args, no CMD', () => {
    expect(stage(goDockerfile({})).filter(i => i.keyword === 'CMD')).toEqual([]);
  });

  test('env values are taken literally: the parser reads back each value as given', () => {
    // GIVEN values with "$", "${}", quotes and a backslash
    const dockerfile = goDockerfile({ env: { GREETING: TRICKY, LOG_LEVEL: 'info', EMPTY: '' } });
    // THEN the Dockerfile lints clean, and each value reads back unchanged from the runtime's ENV
    expect(lintDockerfile(dockerfile)).toEqual([]);
    expect(envValues(dockerfile, 'GREETING')).toEqual([TRICKY]);
    expect(envValues(dockerfile, 'LOG_LEVEL')).toEqual(['info']);
    expect(envValues(dockerfile, 'EMPTY')).toEqual(['']);
    // AND the ENV is in the runtime stage, before USER
    const keywords = stage(dockerfile).map(i => i.keyword);
    expect(keywords.indexOf('ENV')).toBeGreaterThan(keywords.indexOf('COPY'));
    expect(keywords.indexOf('ENV')).toBeLessThan(keywords.indexOf('USER'));
  });

  test('healthcheck: exec form with the given timings', () => {
    // GIVEN the service's own binary as the probe (distroless has no shell or curl)
    const dockerfile = goDockerfile({ healthcheck: { command: ['/usr/local/bin/server', 'health', '--url=http://127.0.0.1:8080/"x"'], intervalSeconds: 10, startPeriodSeconds: 3 } });
    // THEN HEALTHCHECK has the options and a JSON array the parser reads back
    const hc = stage(dockerfile).find(i => i.keyword === 'HEALTHCHECK')!;
    expect(hc.raw).toMatch(/^HEALTHCHECK --interval=10s --timeout=5s --start-period=3s --retries=3 CMD \[/);
    expect(JSON.parse(hc.args.slice(hc.args.indexOf('[')))).toEqual(['/usr/local/bin/server', 'health', '--url=http://127.0.0.1:8080/"x"']);
    expect(lintDockerfile(dockerfile)).toEqual([]);
  });

  test('files are copied by a step of the builder into the rootfs tree, read-only, with the constant time', () => {
    // GIVEN a config file and a directory
    const dockerfile = goDockerfile({
      files: [{ source: 'config/app.json', destination: '/etc/app/config.json' }, { source: './static/', destination: '/usr/share/server/static/', mode: '0644' }],
    });
    // THEN the builder's last step mounts each source from the context and copies it under /out/rootfs
    const builder = stage(dockerfile, 'builder');
    const step = builder[builder.length - 1];
    expect(step.keyword).toBe('RUN');
    expect(step.raw).toContain('--mount=type=bind,source=config/app.json,target=/service-files/0');
    expect(step.raw).toContain('--mount=type=bind,source=static,target=/service-files/1');
    expect(step.raw).toContain('cp -R /service-files/0 /out/rootfs/etc/app/config.json');
    expect(step.raw).toContain('cp -R /service-files/1 /out/rootfs/usr/share/server/static');
    expect(step.raw).toContain('find /out/rootfs/etc/app/config.json -type f -exec chmod a=rX {} +');
    expect(step.raw).toContain('find /out/rootfs/usr/share/server/static -type f -exec chmod 0644 {} +');
    expect(step.raw).toContain('find /out/rootfs/usr/share/server/static -type d -exec chmod 0555 {} +');
    // AND the constant time on what it wrote and on every directory it changed, not the whole tree
    expect(step.raw).toContain('find /out/rootfs/etc/app/config.json -exec touch -h -d @0 {} +');
    expect(step.raw).toContain('touch -h -d @0 /out/rootfs /out/rootfs/etc /out/rootfs/etc/app /out/rootfs/usr /out/rootfs/usr/share /out/rootfs/usr/share/server');
    expect(step.raw).not.toContain('find /out/rootfs -exec');
    // AND the runtime still copies the one tree, and nothing from the context
    expect(stage(dockerfile).filter(i => i.keyword === 'COPY').map(i => i.raw)).toEqual(['COPY --from=builder /out/rootfs/ /']);
    expect(lintDockerfile(dockerfile)).toEqual([]);
  });

  test('a files source the context\'s .dockerignore excludes fails synthesis, naming the pattern', () => {
    // GIVEN a certificate (every context ignores **/*.pem)
    const project = newProject();
    new GoService(project, 'server', { ...LAB, files: [{ source: 'certs/ca.pem', destination: '/etc/app/ca.pem' }] });
    // THEN synthesis says which pattern excludes it
    expect(() => synth(project)).toThrow(/pattern "\*\*\/\*\.pem" excludes "certs\/ca\.pem", which cmd\/server\/Dockerfile \(files\) copies/);
  });

  test('credential files stay out of every build context, Go and Python; a !pattern takes one back for files', () => {
    // GIVEN a Go service (module root context) and a Python service (its own directory)
    const project = newProject();
    new GoService(project, 'server', LAB);
    new PythonService(project, 'api', { directory: 'api' });
    const out = synth(project);
    const credentials = ['.env', 'deploy/.env.prod', '.envrc', 'certs/tls.key', 'certs/ca.pem', 'certs/client.p12', 'certs/client.pfx',
      'java/app.jks', 'java/app.keystore', 'id_rsa', 'home/.ssh/config', 'keys/id_ed25519.pub', 'keys/id_ecdsa', '.gnupg/pubring.kbx',
      '.npmrc', '.netrc', '.git-credentials', '.docker/config.json', '.aws/credentials', '.azure/accessTokens.json',
      '.config/gcloud/credentials.db', '.kube/config', 'ops/prod.kubeconfig'];
    for (const ignoreFile of ['cmd/server/Dockerfile.dockerignore', 'api/Dockerfile.dockerignore']) {
      const patterns = out[ignoreFile].split('\n').filter(l => l && !l.startsWith('#'));
      // THEN each credential file is excluded, at the root and below it
      for (const file of credentials) {
        expect([file, excludingPattern(patterns, file)]).toEqual([file, expect.any(String)]);
        expect([file, excludingPattern(patterns, `sub/${file}`)]).toEqual([file, expect.any(String)]);
      }
      // AND code whose names are close is not: a Go package named kubeconfig, a keys module, docs about keys
      for (const file of ['pkg/kubeconfig/load.go', 'internal/keys/keys.go', 'docs/ssh.md', 'envs/dev.yaml', 'main.go']) {
        expect([file, excludingPattern(patterns, file)]).toEqual([file, undefined]);
      }
    }
    // AND a certificate the image needs is copied once the service's dockerignore takes it back
    const other = newProject();
    new GoService(other, 'server', { ...LAB, dockerignore: ['!certs/ca.pem'], files: [{ source: 'certs/ca.pem', destination: '/etc/app/ca.pem' }] });
    const patterns = synth(other)['cmd/server/Dockerfile.dockerignore'].split('\n').filter(l => l && !l.startsWith('#'));
    expect(excludingPattern(patterns, 'certs/ca.pem')).toBeUndefined();
    expect(excludingPattern(patterns, 'certs/other.pem')).toBe('**/*.pem');
  });

  test('a files source that does not exist yet is a warning, not an error', () => {
    // GIVEN a project without the file
    const project = newProject();
    const warn = jest.spyOn(project.logger, 'warn');
    new GoService(project, 'server', { ...LAB, files: [{ source: 'config/app.json', destination: '/etc/app/config.json' }] });
    // WHEN synthesized THEN a warning names the option and the path
    synth(project);
    expect(warn.mock.calls.map(c => String(c[0]))).toContainEqual(expect.stringContaining('GoService "server": config/app.json does not exist yet (files "config/app.json"): the image gets it at /etc/app/config.json'));
    // AND with the file there, no warning about it
    const other = newProject();
    fs.mkdirSync(path.join(other.outdir, 'config'));
    fs.writeFileSync(path.join(other.outdir, 'config/app.json'), '{}');
    const quiet = jest.spyOn(other.logger, 'warn');
    new GoService(other, 'server', { ...LAB, files: [{ source: 'config/app.json', destination: '/etc/app/config.json' }] });
    synth(other);
    expect(quiet.mock.calls.map(c => String(c[0])).filter(m => m.includes('config/app.json'))).toEqual([]);
  });

  test('the service exposes what it resolved', () => {
    const project = newProject();
    const api = new GoService(project, 'server', { ...LAB, args: ['serve'], env: { A: '1' }, files: [{ source: 'c.json', destination: '/etc/app/c.json/' }] });
    expect([api.args, api.env, api.files, api.healthcheck]).toEqual([['serve'], { A: '1' }, [{ source: 'c.json', destination: '/etc/app/c.json' }], undefined]);
  });
});

describe('PythonService runtime options', () => {
  test('args are appended to the command', () => {
    const runtime = stage(pythonDockerfile({ command: ['gunicorn', 'api:app'], args: ['--bind', '0.0.0.0:8000'] }));
    expect(runtime.filter(i => i.keyword === 'CMD').map(i => JSON.parse(i.args))).toEqual([['gunicorn', 'api:app', '--bind', '0.0.0.0:8000']]);
  });

  test('env comes after the image\'s own ENV, literally', () => {
    const dockerfile = pythonDockerfile({ env: { GREETING: TRICKY, PYTHONPATH: '/app/src' } });
    expect(envValues(dockerfile, 'GREETING')).toEqual([TRICKY]);
    expect(envValues(dockerfile, 'PYTHONPATH')).toEqual(['/app/src']);
    const envs = stage(dockerfile).filter(i => i.keyword === 'ENV');
    expect(envs).toHaveLength(2);
    expect(envs[1].args).toContain('GREETING=');
    expect(lintDockerfile(dockerfile)).toEqual([]);
  });

  test('files are copied by the last step of the application stage: they change with the code, not the venv', () => {
    const dockerfile = pythonDockerfile({ files: [{ source: 'conf/logging.ini', destination: '/etc/api/logging.ini' }] });
    const app = stage(dockerfile, 'app');
    const step = app[app.length - 1];
    expect(step.raw).toContain('--mount=type=bind,source=conf/logging.ini,target=/service-files/0');
    expect(step.raw).toContain('cp -R /service-files/0 /out/rootfs/etc/api/logging.ini');
    expect(app.filter(i => i.keyword === 'COPY').map(i => i.args)).toContain('. /out/rootfs/app');
    // AND the dependencies' stage copies no service file (a config edit keeps the venv layer)
    expect(stage(dockerfile, 'builder').map(i => i.raw).join('\n')).not.toContain('/service-files/');
    expect(lintDockerfile(dockerfile)).toEqual([]);
  });

  test('a python -c probe is a healthcheck', () => {
    const probe = ['python', '-c', 'import urllib.request; urllib.request.urlopen("http://127.0.0.1:8000/health")'];
    const hc = stage(pythonDockerfile({ healthcheck: { command: probe } })).find(i => i.keyword === 'HEALTHCHECK')!;
    expect(JSON.parse(hc.args.slice(hc.args.indexOf('[')))).toEqual(probe);
  });
});

describe('refused runtime options', () => {
  test.each<[string, GoServiceOptions, RegExp]>([
    ['an env name that is not a variable name', { env: { '1X': 'a' } }, /Invalid env name "1X": must be a variable name/],
    ['PATH', { env: { PATH: '/bin' } }, /Invalid env name "PATH": is the base image's search path/],
    ['a name that looks like a credential', { env: { API_TOKEN: 'x' } }, /Invalid env name "API_TOKEN": looks like a credential/],
    ['a value with a newline', { env: { A: 'one\ntwo' } }, /Invalid env value of A "one\\ntwo": must not contain newlines/],
    ['a value that is not a string', { env: { PORT: 8080 as unknown as string } }, /Invalid env value of PORT 8080: must be a string/],
    ['args with a newline', { args: ['serve', 'a\nb'] }, /must not contain newlines/],
    ['args as one string', { args: 'serve' as unknown as string[] }, /Invalid args "serve": must be a list of strings/],
    ['a relative destination', { files: [{ source: 'a.json', destination: 'etc/a.json' }] }, /Invalid files destination "etc\/a.json": must be an absolute path/],
    ['a destination with a quote', { files: [{ source: 'a.json', destination: '/etc/a"; rm -rf /' }] }, /Invalid files destination/],
    ['a destination with "$"', { files: [{ source: 'a.json', destination: '/etc/$HOME' }] }, /Invalid files destination "\/etc\/\$HOME"/],
    ['a source outside the context', { files: [{ source: '../secrets.json', destination: '/etc/a.json' }] }, /Invalid files source "..\/secrets.json": must be a path inside the build context/],
    ['a source with ".." inside', { files: [{ source: 'config/../../x', destination: '/etc/a.json' }] }, /Invalid files source "config\/..\/..\/x"/],
    ['an absolute source', { files: [{ source: '/etc/passwd', destination: '/etc/a' }] }, /Invalid files source "\/etc\/passwd": must be a path relative/],
    ['the whole context', { files: [{ source: '.', destination: '/srv/app' }] }, /Invalid files source ".": must name a file or directory/],
    ['/tmp', { files: [{ source: 'a', destination: '/tmp/a' }] }, /Invalid files destination "\/tmp\/a": would replace \/tmp/],
    ['/etc/passwd', { files: [{ source: 'passwd', destination: '/etc/passwd' }] }, /would replace \/etc\/passwd/],
    ['/etc, above /etc/passwd', { files: [{ source: 'etc', destination: '/etc' }] }, /would replace \/etc\/passwd/],
    ['the binary', { files: [{ source: 'x', destination: '/usr/local/bin/server' }] }, /collides with \/usr\/local\/bin\/server, which GoService writes into the image itself/],
    ['the binary\'s directory', { files: [{ source: 'bin', destination: '/usr/local/bin' }] }, /collides with \/usr\/local\/bin\/server/],
    ['two files at one place', { files: [{ source: 'a', destination: '/etc/app/a' }, { source: 'b', destination: '/etc/app/a' }] }, /Invalid files destination .* lists "\/etc\/app\/a" twice/],
    ['a file inside another', { files: [{ source: 'conf', destination: '/etc/app' }, { source: 'b', destination: '/etc/app/b' }] }, /Invalid files destination "\/etc\/app\/b": is inside "\/etc\/app"/],
    ['a mode others may write', { files: [{ source: 'a', destination: '/etc/app/a', mode: '0666' }] }, /Invalid files mode "0666": must let others read and not write/],
    ['a mode others cannot read', { files: [{ source: 'a', destination: '/etc/app/a', mode: '0440' }] }, /Invalid files mode "0440"/],
    ['a setuid mode', { files: [{ source: 'a', destination: '/etc/app/a', mode: '4555' }] }, /Invalid files mode "4555": must be an octal mode/],
    ['a shell probe on distroless', { healthcheck: { command: ['curl', '-f', 'http://127.0.0.1:8080/'] } }, /GoService "server": healthcheck: HEALTHCHECK in stage .* runs "curl", which the base image .* does not have/],
    ['a shell-form probe', { healthcheck: { command: [] } }, /Invalid HEALTHCHECK command \[\]: must be a non-empty list/],
    ['a zero interval', { healthcheck: { command: ['/usr/local/bin/server', 'health'], intervalSeconds: 0 } }, /Invalid intervalSeconds 0: must be a positive integer/],
  ])('GoService: %s', (_, options, error) => {
    // GIVEN a pipeline
    const project = newProject();
    new MultiArchPipeline(project);
    // WHEN the option is refused THEN the error names it, the value and what is allowed
    expect(() => new GoService(project, 'server', { ...LAB, ...options })).toThrow(error);
    // AND nothing of the service stays
    expect(project.tryFindFile('cmd/server/Dockerfile')).toBeUndefined();
    expect(MultiArchPipeline.of(project)!.services).toEqual([]);
  });

  test.each<[string, PythonServiceOptions, RegExp]>([
    ['an ENV the image sets', { env: { VIRTUAL_ENV: '/venv' } }, /Invalid env name "VIRTUAL_ENV": is set by PythonService "api" itself \(VIRTUAL_ENV=\/opt\/venv\)/],
    ['HOME', { env: { HOME: '/root' } }, /Invalid env name "HOME": is set by PythonService "api" itself/],
    ['the application directory', { files: [{ source: 'settings.py', destination: '/app/settings.py' }] }, /collides with \/app, which PythonService writes/],
    ['the venv', { files: [{ source: 'x', destination: '/opt/venv/lib/x' }] }, /collides with \/opt\/venv/],
  ])('PythonService: %s', (_, options, error) => {
    const project = newProject();
    expect(() => new PythonService(project, 'api', { directory: 'api', ...options })).toThrow(error);
    expect(project.tryFindFile('api/Dockerfile')).toBeUndefined();
  });

  test.each(['args', 'env', 'files', 'healthcheck'])('%s on a service of a shared Go Dockerfile', option => {
    // GIVEN a service that builds from the shared Dockerfile
    const project = newProject();
    const values: { [k: string]: unknown } = { args: ['serve'], env: { A: '1' }, files: [{ source: 'a', destination: '/etc/a' }], healthcheck: { command: ['/usr/local/bin/service'] } };
    // WHEN it sets a runtime option THEN the error says to give it its own Dockerfile
    expect(() => new GoService(project, 'server', { ...LAB, sharedDockerfile: true, [option]: values[option] }))
      .toThrow(new RegExp(`Invalid ${option} .*: applies to one image, and GoService "server" builds from a Dockerfile shared with other services .*sharedDockerfile: false`));
  });

  test('files for a kind of service that names no rootfs stage', () => {
    // GIVEN a kind of service on the seam without a rootfsStage
    class Bare extends MultiArchService {
      constructor(project: Project, name: string, props: Partial<MultiArchServiceProps> = {}) {
        const dockerfile = new DockerfileModel();
        dockerfile.addStage({ from: 'debian:bookworm-slim' }).addUser('65532:65532');
        super(project, name, { kind: 'Bare', context: name, dockerfilePath: `${name}/Dockerfile`, dockerfile, ...props });
      }
    }
    const project = newProject();
    // THEN files are refused, and the other options land in its runtime stage
    expect(() => new Bare(project, 'one', { files: [{ source: 'a', destination: '/etc/a' }] })).toThrow(/Bare "one": files: Bare "one" does not copy files into its image \(its kind names no rootfsStage\)/);
    const bare = new Bare(project, 'two', { args: ['run'], env: { A: '1' }, healthcheck: { command: ['/bin/sh', '-c', 'true'] } });
    expect(bare.dockerfile.render().split('\n').filter(l => l && !l.startsWith('#'))).toEqual([
      'FROM debian:bookworm-slim', 'ENV A="1"', 'USER 65532:65532', 'CMD ["run"]', 'HEALTHCHECK --interval=30s --timeout=5s --retries=3 CMD ["/bin/sh", "-c", "true"]',
    ]);
  });
});

describe('the lab\'s config server (scripts/e2e-runtime-options.sh builds it)', () => {
  test('synthesizes a Dockerfile that lints clean, with its args, env, file and probe', () => {
    // GIVEN the project the lab builds
    const project = newProject();
    addConfigServer(project);
    // WHEN synthesized
    const dockerfile = synth(project)['cmd/configserver/Dockerfile'];
    // THEN the runtime starts the server with its config, GREETING reads back as given, and the probe is the binary
    expect(lintDockerfile(dockerfile)).toEqual([]);
    const runtime = stage(dockerfile);
    expect(JSON.parse(runtime.find(i => i.keyword === 'CMD')!.args)).toEqual(['serve', CONFIG_PATH]);
    expect(envValues(dockerfile, 'GREETING')).toEqual([GREETING]);
    expect(runtime.find(i => i.keyword === 'HEALTHCHECK')!.raw).toContain(`CMD ["/usr/local/bin/configserver", "health", "${CONFIG_PATH}"]`);
    expect(stage(dockerfile, 'builder').slice(-1)[0].raw).toContain(`cp -R /service-files/0 /out/rootfs${CONFIG_PATH}`);
  });
});
