// SBOM attestations must land on their own image: services `api` and `api-gateway` share a prefix
// (issue #20 defect 7), so the CI-run check compares repositories exactly, and the generated
// Makefile's build-sign is run here with stand-in cosign and docker to see where each SBOM goes.
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { GoService, MultiArchPipeline, Platform } from '../../../src';
import { newProject, synthToDisk } from '../../helpers';
import { sbomBelongsTo } from './checks';

const HOST = '127.0.0.1:5000';
const D = (c: string) => `sha256:${c.repeat(64)}`;

describe('the CI-run SBOM check', () => {
  test("api-gateway's SBOM on api's manifest is foreign (no prefix match)", () => {
    // GIVEN the arm64 manifest of api, and an SBOM made from api-gateway's
    const gatewaySbom = { subjectDigest: D('a'), documentName: `${HOST}/ci-gh-1/x/api-gateway@${D('a')}` };
    // THEN
    expect(sbomBelongsTo(gatewaySbom, HOST, 'ci-gh-1/x/api', D('a'))).toBe(false);
    expect(sbomBelongsTo(gatewaySbom, HOST, 'ci-gh-1/x/api-gateway', D('a'))).toBe(true);
  });

  test('an SBOM of another platform of the same image is foreign too', () => {
    const amd64 = { subjectDigest: D('b'), documentName: `${HOST}/ci-gh-1/x/api@${D('c')}` };
    expect(sbomBelongsTo(amd64, HOST, 'ci-gh-1/x/api', D('b'))).toBe(false);
  });
});

describe("the generated Makefile's build-sign, services api and api-gateway", () => {
  /** Runs `make build-sign` with stand-in cosign (records its arguments) and docker (an index per service). */
  function attestations(): { predicate: string; target: string }[] {
    // GIVEN a project with two services whose names share a prefix, both pushed (digests recorded)
    const project = newProject();
    new MultiArchPipeline(project, { registry: 'r.example/x', platforms: [Platform.LINUX_AMD64, Platform.LINUX_ARM64], dockerfileSyntax: '' });
    new GoService(project, 'api', {});
    new GoService(project, 'api-gateway', {});
    synthToDisk(project);
    const dir = project.outdir;
    const index: Record<string, string> = { 'api': D('1'), 'api-gateway': D('2') };
    const manifests: Record<string, string> = {
      api: `linux-amd64=${D('3')} linux-arm64=${D('4')} unknown-unknown=${D('5')}`,
      'api-gateway': `linux-amd64=${D('6')} linux-arm64=${D('7')} unknown-unknown=${D('8')}`,
    };
    fs.mkdirSync(path.join(dir, '.multiarch', 'digests'), { recursive: true });
    fs.mkdirSync(path.join(dir, 'sbom'), { recursive: true });
    for (const svc of Object.keys(index)) {
      fs.writeFileSync(path.join(dir, '.multiarch', 'digests', svc), `r.example/x/${svc}@${index[svc]}\n`);
      for (const pair of ['linux-amd64', 'linux-arm64']) fs.writeFileSync(path.join(dir, 'sbom', `${svc}-${pair}.spdx.json`), `{"name":"${svc} ${pair}"}`);
    }
    const bin = path.join(dir, 'stand-in-bin');
    fs.mkdirSync(bin);
    const record = path.join(dir, 'cosign-calls');
    fs.writeFileSync(path.join(bin, 'cosign'), `#!/usr/bin/env bash\nprintf '%s\\n' "$*" >> ${record}\n`, { mode: 0o755 });
    fs.writeFileSync(path.join(bin, 'docker'), [
      '#!/usr/bin/env bash',
      '# docker buildx imagetools inspect <repo>@<digest> --format …: the platform=digest list of that service\'s index',
      'case "$4" in',
      ...Object.keys(index).map(svc => `  r.example/x/${svc}@*) echo '${manifests[svc]}' ;;`),
      '  *) exit 1 ;;',
      'esac',
    ].join('\n') + '\n', { mode: 0o755 });
    // WHEN
    const r = spawnSync('make', ['-f', 'Makefile', 'build-sign'], { cwd: dir, env: { ...process.env, PATH: `${bin}:${process.env.PATH}` }, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    // THEN every `cosign attest --predicate <file> … <target>`
    const calls = fs.readFileSync(record, 'utf8').split('\n').filter(l => l.startsWith('attest '));
    return calls.map(l => ({ predicate: /--predicate (\S+)/.exec(l)![1], target: l.split(' ').pop()! }));
  }

  test('make is available', () => {
    expect(execFileSync('make', ['--version']).toString()).toMatch(/GNU Make/);
  });

  // Fails until issue #20 defect 7 is fixed (sbom/api-*.spdx.json also matches api-gateway's SBOMs,
  // which then fall back to api's index digest): turn test.failing into test with the fix.
  test.failing("each SBOM is attested to its own service's platform manifest, and nothing else", () => {
    const calls = attestations();
    const expected = [
      { predicate: 'sbom/api-linux-amd64.spdx.json', target: `r.example/x/api@${D('3')}` },
      { predicate: 'sbom/api-linux-arm64.spdx.json', target: `r.example/x/api@${D('4')}` },
      { predicate: 'sbom/api-gateway-linux-amd64.spdx.json', target: `r.example/x/api-gateway@${D('6')}` },
      { predicate: 'sbom/api-gateway-linux-arm64.spdx.json', target: `r.example/x/api-gateway@${D('7')}` },
    ];
    expect(calls.sort((a, b) => a.predicate.localeCompare(b.predicate))).toEqual(expected.sort((a, b) => a.predicate.localeCompare(b.predicate)));
  });
});
