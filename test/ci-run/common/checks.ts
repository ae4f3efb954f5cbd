// The assertions of issue #20 item 2 on what a CI run left in the registry, shared by the GitHub and
// the GitLab runner: tags, digests equal to the one-machine build, labels and annotations naming each
// service, signatures, SBOM attestations on their own image only, and no public tag after a failed scan.
import { run } from './proc';
import { PlatformManifest, Registry } from './registry';
import { Report } from './report';

/** Where a service's images are: `<registry host>/<repository>`, e.g. 127.0.0.1:5000/ci-gh-1/nephoran/rag-api */
export interface Service {
  readonly name: string;
  readonly repository: string;
  /** the service's own description, when it has one */
  readonly description?: string;
}

export interface Cosign {
  readonly binary: string;
  readonly publicKey: string;
  /** writes the command's output there */
  readonly log: string;
}

/** The tags every service must have, all on one index; returns the index digest of the first. */
export async function checkTags(report: Report, registry: Registry, svc: Service, expected: readonly string[]): Promise<string | undefined> {
  const tags = await registry.tags(svc.repository);
  const missing = expected.filter(t => !tags.includes(t));
  report.check(missing.length === 0, `${svc.name}: tags ${expected.join(', ')}`, `missing ${missing.join(', ')}; the repository has: ${tags.join(', ') || 'nothing'}`);
  const digests = new Set<string>();
  for (const t of expected.filter(x => tags.includes(x))) digests.add((await registry.manifest(svc.repository, t))!.digest);
  if (digests.size > 1) report.fail(`${svc.name}: the tags ${expected.join(', ')} name one index`, `they name ${[...digests].join(', ')}`);
  return digests.values().next().value;
}

/** Every per-platform manifest of `ref` equals the one of the one-machine build. */
export async function checkBaseline(report: Report, registry: Registry, svc: Service, ref: string,
  baseline: Service, baselineRef: string): Promise<void> {
  const got = await registry.platforms(svc.repository, ref);
  const want = await registry.platforms(baseline.repository, baselineRef);
  if (!report.check(want.length > 0, `${svc.name}: the one-machine build ${baseline.repository}:${baselineRef} exists`)) return;
  const show = (l: PlatformManifest[]) => l.map(p => `${p.platform} ${p.digest}`).join('\n');
  const same = want.length === got.length && want.every(w => got.some(g => g.platform === w.platform && g.digest === w.digest));
  report.check(same, `${svc.name}: per-platform digests equal the one-machine build-multiarch digests`,
    `CI (${svc.repository}:${ref}):\n${show(got) || 'no platform manifests'}\none machine (${baseline.repository}:${baselineRef}):\n${show(want)}`);
}

/** The image config labels of every platform, and the index annotations, name the service (not the repository). */
export async function checkLabels(report: Report, registry: Registry, svc: Service, ref: string, repositoryDescription: string): Promise<void> {
  const index = await registry.manifest(svc.repository, ref);
  if (!index) return report.fail(`${svc.name}: labels and annotations`, `no ${svc.repository}:${ref}`);
  const title = index.annotations?.['org.opencontainers.image.title'];
  report.check(title === svc.name, `${svc.name}: index annotation org.opencontainers.image.title = ${svc.name}`, `it is ${JSON.stringify(title)}`);
  for (const p of await registry.platforms(svc.repository, ref)) {
    const labels = (await registry.imageConfig(svc.repository, p.digest)).config?.Labels ?? {};
    const t = labels['org.opencontainers.image.title'];
    const d = labels['org.opencontainers.image.description'];
    report.check(t === svc.name, `${svc.name} ${p.platform}: label org.opencontainers.image.title = ${svc.name}`, `it is ${JSON.stringify(t)}`);
    if (svc.description) {
      report.check(d === svc.description, `${svc.name} ${p.platform}: label description is the service's (${JSON.stringify(svc.description)})`, `it is ${JSON.stringify(d)}`);
    } else {
      report.check(d !== repositoryDescription, `${svc.name} ${p.platform}: label description is not the repository's`, `it is ${JSON.stringify(d)}`);
    }
  }
}

/** `cosign verify --key … --insecure-ignore-tlog` on the index and on its arm64 manifest. */
export async function checkSignatures(report: Report, registry: Registry, svc: Service, indexDigest: string, cosign: Cosign): Promise<void> {
  const host = registry.host;
  const targets = [{ what: 'index', digest: indexDigest }];
  const arm = (await registry.platforms(svc.repository, indexDigest)).find(p => p.platform === 'linux/arm64');
  if (arm) targets.push({ what: 'linux/arm64 manifest', digest: arm.digest });
  else report.fail(`${svc.name}: has a linux/arm64 manifest to verify`);
  for (const t of targets) {
    const r = run(cosign.binary, ['verify', '--key', cosign.publicKey, '--insecure-ignore-tlog', `${host}/${svc.repository}@${t.digest}`], { log: cosign.log });
    report.check(r.status === 0, `${svc.name}: cosign verify (key) passes on the ${t.what}`, `exit ${r.status}, see ${cosign.log}`);
  }
}

/** An SPDX document names the image it describes (the syft stand-in writes <registry>/<repository>@<digest>). */
export interface Attestation {
  readonly subjectDigest: string;
  readonly documentName: string;
}

/**
 * Whether an SBOM attestation found on `repository@digest` belongs there: the in-toto subject is that
 * manifest and the SPDX document was made from that same repository and digest. (A prefix match
 * of the repository would let api-gateway's SBOM pass on api: the comparison is exact.)
 */
export function sbomBelongsTo(a: Attestation, host: string, repository: string, digest: string): boolean {
  return a.subjectDigest === digest && a.documentName === `${host}/${repository}@${digest}`;
}

/** Reads the attestations of type spdxjson that `cosign verify-attestation` verifies on an image. */
export function spdxAttestations(cosign: Cosign, ref: string): { status: number; attestations: Attestation[] } {
  const r = run(cosign.binary, ['verify-attestation', '--key', cosign.publicKey, '--insecure-ignore-tlog', '--type', 'spdxjson', '--output', 'json', ref], { log: undefined });
  const attestations: Attestation[] = [];
  for (const line of r.stdout.split('\n').filter(l => l.trim().startsWith('{'))) {
    const envelope = JSON.parse(line) as { payload: string };
    const statement = JSON.parse(Buffer.from(envelope.payload, 'base64').toString()) as {
      subject: { digest: { sha256: string } }[]; predicate: { name?: string; Data?: { name?: string } | string };
    };
    const p = statement.predicate;
    const data = typeof p.Data === 'string' ? JSON.parse(p.Data) as { name?: string } : p.Data;
    attestations.push({ subjectDigest: `sha256:${statement.subject[0]?.digest.sha256}`, documentName: p.name ?? data?.name ?? '' });
  }
  return { status: r.status, attestations };
}

/** Each platform manifest carries its own SBOM and no other; the index carries none (the fallback). */
export async function checkSboms(report: Report, registry: Registry, svc: Service, indexDigest: string, cosign: Cosign): Promise<void> {
  for (const p of await registry.platforms(svc.repository, indexDigest)) {
    const { attestations } = spdxAttestations(cosign, `${registry.host}/${svc.repository}@${p.digest}`);
    const foreign = attestations.filter(a => !sbomBelongsTo(a, registry.host, svc.repository, p.digest));
    report.check(attestations.length > 0 && foreign.length === 0, `${svc.name} ${p.platform}: its SBOM attestation, and only its own`,
      attestations.length === 0 ? 'no spdxjson attestation verifies on it' : `foreign SBOMs: ${foreign.map(a => a.documentName).join(', ')}`);
  }
  const onIndex = spdxAttestations(cosign, `${registry.host}/${svc.repository}@${indexDigest}`).attestations;
  report.check(onIndex.length === 0, `${svc.name}: no SBOM attested to the index (the per-platform SBOMs belong on the manifests)`,
    `on the index: ${onIndex.map(a => a.documentName).join(', ')}`);
}

/** After a failed scan: no release tag, and no other tag than the staging tag (`<staging>` or `<staging>-<platform>`) nobody pulls. */
export async function checkNoPublicTags(report: Report, registry: Registry, services: readonly Service[],
  releaseTags: readonly string[], staging: string): Promise<void> {
  for (const svc of services) {
    const tags = await registry.tags(svc.repository);
    const release = tags.filter(t => releaseTags.includes(t));
    report.check(release.length === 0, `${svc.name}: no release tag (${releaseTags.join(', ')}) after the failed scan`, `tagged: ${release.join(', ')}`);
    const other = tags.filter(t => !releaseTags.includes(t) && !/^sha256-[0-9a-f]{64}\.(sig|att|sbom)$/.test(t));
    const stray = other.filter(t => t !== staging && !t.startsWith(`${staging}-`));
    report.check(stray.length === 0, `${svc.name}: no other tag than the staging tag ${staging}[-<platform>]`, `tagged: ${stray.join(', ')}`);
  }
}
