// SBOM attestations must land on their own image: services `api` and `api-gateway` share a prefix
// (issue #20 defect 7), so the CI-run check compares repositories exactly, and the generated
// Makefile's build-sign is run here with stand-in cosign and docker to see where each SBOM goes.
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { sbomBelongsTo } from './checks';
import { GoService, MultiArchPipeline, Platform } from '../../../src';
import { newProject, synthToDisk } from '../../helpers';

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

describe("the generated Makefile's build-sbom and build-sign, services api and api-gateway", () => {
  /**
   * Runs `make build-sbom build-sign` with stand-in syft (writes which image and platform it read),
   * cosign (records its arguments) and docker (an index per service); returns each attestation as
   * the SBOM's image and platform, and the target cosign attested it to.
   */
  function attestations(): { sbom: { ref: string; platform: string }; target: string }[] {
    // GIVEN a project with two services whose names share a prefix, both pushed (digests recorded)
    const project = newProject();
    new MultiArchPipeline(project, { registry: 'r.example/x', platforms: [Platform.LINUX_AMD64, Platform.LINUX_ARM64], dockerfileSyntax: '' });
    new GoService(project, 'api', {});
    new GoService(project, 'api-gateway', {});
    synthToDisk(project);
    const dir = project.outdir;
    fs.mkdirSync(path.join(dir, '.multiarch', 'digests'), { recursive: true });
    for (const svc of Object.keys(INDEX)) fs.writeFileSync(path.join(dir, '.multiarch', 'digests', svc), `r.example/x/${svc}@${INDEX[svc]}\n`);
    const bin = path.join(dir, 'stand-in-bin');
    fs.mkdirSync(bin);
    const record = path.join(dir, 'cosign-calls');
    const script = (name: string, lines: string[]) => fs.writeFileSync(path.join(bin, name), ['#!/usr/bin/env bash', ...lines].join('\n') + '\n', { mode: 0o755 });
    script('cosign', [`printf '%s\\n' "$*" >> ${record}`]);
    script('syft', [
      '# syft scan --platform P registry:REF -o spdx-json=FILE: FILE says which image and platform it read',
      'while [ $# -gt 0 ]; do case $1 in --platform) p=$2; shift ;; registry:*) ref=${1#registry:} ;; -o) out=${2#spdx-json=}; shift ;; esac; shift; done',
      'mkdir -p "$(dirname "$out")"; printf \'{"ref":"%s","platform":"%s"}\' "$ref" "$p" > "$out"',
    ]);
    script('docker', [
      '# docker buildx imagetools inspect <repo>@<digest> --format …: the platform=digest list of that service\'s index',
      '# (docker buildx version: buildx 0.29.1, for the tools check build-sign runs first)',
      '[ "$1 $2" != "buildx version" ] || { echo "github.com/docker/buildx v0.29.1 a8d0c1d"; exit 0; }',
      'case "$4" in',
      ...Object.keys(INDEX).map(svc => `  r.example/x/${svc}@*) echo '${Object.entries(MANIFESTS[svc]).map(([p, d]) => `${p.replace(/\//g, '-')}=${d}`).join(' ')} unknown-unknown=${D('9')}' ;;`),
      '  *) exit 1 ;;',
      'esac',
    ]);
    // WHEN
    const r = spawnSync('make', ['-f', 'Makefile', 'build-sbom', 'build-sign'], { cwd: dir, env: { ...process.env, PATH: `${bin}:${process.env.PATH}` }, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    // THEN every `cosign attest --predicate <file> … <target>`
    const calls = fs.readFileSync(record, 'utf8').split('\n').filter(l => l.startsWith('attest '));
    return calls.map(l => ({ sbom: JSON.parse(fs.readFileSync(path.join(dir, /--predicate (\S+)/.exec(l)![1]), 'utf8')), target: l.split(' ').pop()! }));
  }

  const INDEX: Record<string, string> = { 'api': D('1'), 'api-gateway': D('2') };
  const MANIFESTS: Record<string, Record<string, string>> = {
    'api': { 'linux/amd64': D('3'), 'linux/arm64': D('4') },
    'api-gateway': { 'linux/amd64': D('6'), 'linux/arm64': D('7') },
  };

  test('make is available', () => {
    expect(execFileSync('make', ['--version']).toString()).toMatch(/GNU Make/);
  });

  // Before the fix of issue #20 defect 7 (sbom/<svc>-*.spdx.json, matched by prefix), api-gateway's
  // SBOMs were attested to api's index digest: the fallback when no platform matched.
  test("each SBOM is attested to its own service's platform manifest, and nothing else", () => {
    const got = attestations().map(a => ({ sbom: `${a.sbom.ref} ${a.sbom.platform}`, target: a.target })).sort((a, b) => a.sbom.localeCompare(b.sbom));
    const expected = Object.entries(MANIFESTS).flatMap(([svc, platforms]) => Object.entries(platforms)
      .map(([p, d]) => ({ sbom: `r.example/x/${svc}@${INDEX[svc]} ${p}`, target: `r.example/x/${svc}@${d}` }))).sort((a, b) => a.sbom.localeCompare(b.sbom));
    expect(got).toEqual(expected);
  });
});
