import { GoService, PythonInstallStrategy, PythonService } from '../../src';
import { lintDockerfile, nephoranProject, newProject, parseDockerfile, synth } from '../helpers';

describe('PythonService Dockerfile', () => {
  test('snapshot: pkg/rag/Dockerfile', () => {
    expect(synth(nephoranProject())['pkg/rag/Dockerfile']).toMatchSnapshot();
  });

  test('snapshot: pkg/rag/Dockerfile.dockerignore', () => {
    expect(synth(nephoranProject())['pkg/rag/Dockerfile.dockerignore']).toMatchSnapshot();
  });

  test('dependencies install into a venv on the target platform; the runtime gets it at the same path, apart from the code', () => {
    // GIVEN
    const project = newProject();
    // WHEN
    new PythonService(project, 'api', { directory: 'services/api', port: 5001, command: ['gunicorn', 'api:app'] });
    const dockerfile = synth(project)['services/api/Dockerfile'];
    // THEN
    expect(lintDockerfile(dockerfile)).toEqual([]);
    const [b, app, r] = parseDockerfile(dockerfile).stages;
    expect([b.from, b.platform]).toEqual(['python:3.12-slim', undefined]);
    expect(r.from).toBe('python:3.12-slim');
    expect(b.instructions.some(i => i.raw.includes('python -m venv /opt/venv'))).toBe(true);
    const install = b.instructions.find(i => i.raw.includes('pip install'))!;
    expect(install.raw).toContain('--mount=type=cache,target=/root/.cache/pip');
    expect(install.raw).not.toContain('--no-cache-dir');
    expect(install.raw).toContain('pip install -r requirements.txt');
    const kw = (k: string) => r.instructions.filter(i => i.keyword === k).map(i => i.args);
    // the venv (at its own path) and the application reach the runtime in two layers: the builder
    // never sees the code, so a code edit cannot change the venv's layer
    expect(b.instructions.filter(i => i.keyword === 'COPY').map(i => i.raw)).toEqual(['COPY requirements.txt ./requirements.txt']);
    expect(b.instructions.at(-1)!.raw).toContain('cp -a /opt/venv /out/rootfs/opt/venv');
    expect([app.name, app.platform]).toEqual(['app', '$BUILDPLATFORM']);
    expect(app.instructions.filter(i => i.keyword === 'COPY').map(i => i.raw)).toEqual(['COPY . /out/rootfs/app']);
    expect(r.instructions.filter(i => i.keyword === 'COPY').map(i => i.raw)).toEqual(['COPY --from=builder /out/rootfs/ /', 'COPY --from=app /out/rootfs/ /']);
    expect(kw('WORKDIR')).toEqual(['/app']);
    expect(kw('ENV')[0]).toContain('PATH="/opt/venv/bin:${PATH}"');
    expect(kw('ENV')[0]).toContain('APP_VERSION="${VERSION}"');
    expect(kw('USER')).toEqual(['65532:65532']);
    expect(kw('EXPOSE')).toEqual(['5001']);
    expect(JSON.parse(kw('CMD')[0])).toEqual(['gunicorn', 'api:app']);
    expect(kw('LABEL')[0]).toContain('build.platform="${TARGETPLATFORM}"');
  });

  test('pythonVersion, baseImage, requirementsFile, localPackages and pipInstallArgs', () => {
    const project = newProject();
    new PythonService(project, 'api', {
      pythonVersion: '3.11', requirementsFile: 'requirements-prod.txt', localPackages: ['vendor/pkg'], pipInstallArgs: ['--no-index', '--no-build-isolation'],
    });
    const out = synth(project);
    expect(out.Dockerfile).toContain('FROM python:3.11-slim AS builder');
    expect(out.Dockerfile).toContain('COPY requirements-prod.txt ./requirements-prod.txt');
    expect(out.Dockerfile).toContain('COPY vendor/pkg ./vendor/pkg');
    expect(out.Dockerfile).toContain('pip install --no-index --no-build-isolation -r requirements-prod.txt');
    const other = newProject();
    new PythonService(other, 'api', { baseImage: 'mirror.local/python:3.11-slim' });
    expect(parseDockerfile(synth(other).Dockerfile).stages.map(s => s.from)).toEqual(['mirror.local/python:3.11-slim', 'mirror.local/python:3.11-slim', 'mirror.local/python:3.11-slim']);
  });

  test('a .dockerignore that would exclude the requirements file fails synthesis', () => {
    const project = newProject();
    new PythonService(project, 'api', { requirementsFile: 'requirements-rag.txt', dockerignore: ['requirements*.txt'] });
    expect(() => synth(project)).toThrow('.dockerignore pattern "requirements*.txt" excludes "requirements-rag.txt", which Dockerfile copies: remove the pattern or add "!requirements-rag.txt"');
  });

  test('a re-include after the exclusion is fine', () => {
    const project = newProject();
    new PythonService(project, 'api', { dockerignore: ['*.txt', '!requirements.txt'] });
    expect(() => synth(project)).not.toThrow();
  });

  test.each([
    [{ pipInstallArgs: ['--no-cache-dir'] }, /Invalid pipInstallArgs "--no-cache-dir"/],
    [{ pipInstallArgs: ['--index-url=$(curl evil)'] }, /Invalid pipInstallArgs/],
    [{ command: [] }, /Invalid command \[\]: must be a non-empty list/],
    [{ directory: '/abs' }, /Invalid directory "\/abs"/],
    [{ requirementsFile: '../secrets.txt' }, /Invalid requirementsFile "\.\.\/secrets\.txt": must stay inside the project/],
    [{ pythonVersion: 'three' }, /Invalid pythonVersion "three"/],
    [{ port: 0 }, /Invalid port 0/],
    [{ description: 'say "hi"' }, /Invalid description .*double quotes/],
    [{ requirementsFile: '--link' }, /Invalid requirementsFile "--link": must not start a path segment with "-"/],
    [{ pipInstallArgs: ['--index-url=https://user:s3cret@pypi.example.com/simple'] }, /carries credentials in a URL/],
  ])('rejects %j', (options, error) => {
    expect(() => new PythonService(newProject(), 'api', options as any)).toThrow(error);
  });
});

describe('PythonService and other files', () => {
  test('a Dockerfile path that another service uses is refused with the options to change', () => {
    const project = newProject();
    new GoService(project, 'a', { sharedDockerfile: true });
    expect(() => new PythonService(project, 'api')).toThrow('Another file already uses Dockerfile: give PythonService "api" another "dockerfilePath"');
  });
});

describe('PythonService base images that are not python:X.Y', () => {
  test('a tag that starts with a number is not read as the Python version (nvidia/cuda:12.4.1-...)', () => {
    const project = newProject();
    const svc = new PythonService(project, 'ml', { baseImage: 'nvidia/cuda:12.4.1-runtime-ubuntu22.04' });
    expect(svc.pythonVersion).toBe('3.12');
    expect(new PythonService(project, 'gpu', { directory: 'gpu', baseImage: 'nvidia/cuda:12.4.1-runtime-ubuntu22.04', pythonVersion: '3.10' }).pythonVersion).toBe('3.10');
  });

  test('CROSS_WHEELS on such an image installs wheels for the pythonVersion given', () => {
    const project = newProject();
    new PythonService(project, 'ml', { baseImage: 'nvidia/cuda:12.4.1-runtime-ubuntu22.04', pythonVersion: '3.10', installStrategy: PythonInstallStrategy.CROSS_WHEELS });
    expect(synth(project).Dockerfile).toContain('--python-version 3.10');
  });
});
