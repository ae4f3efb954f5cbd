// A read-only client of the lab registry (distribution's HTTP API v2): what a CI run pushed.
const MANIFEST_TYPES = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');

export interface Descriptor {
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
  readonly platform?: { architecture: string; os: string; variant?: string };
  readonly annotations?: Record<string, string>;
}

export interface Manifest {
  readonly digest: string;
  readonly mediaType: string;
  readonly manifests?: Descriptor[];
  readonly config?: Descriptor;
  readonly layers?: Descriptor[];
  readonly annotations?: Record<string, string>;
}

export interface PlatformManifest {
  /** linux/arm64, linux/arm/v7 */
  readonly platform: string;
  readonly digest: string;
}

/** repository:tag -> digest, for the repositories under a prefix */
export type Snapshot = Map<string, string>;

export class Registry {
  /** @param host e.g. 127.0.0.1:5000 */
  constructor(public readonly host: string) {}

  /** Every repository (the registry pages its catalog: Link: <…?last=…&n=…>; rel="next"). */
  public async catalog(): Promise<string[]> {
    const out: string[] = [];
    let next: string | undefined = '/v2/_catalog?n=1000';
    while (next) {
      const res: Response = await fetch(`http://${this.host}${next}`);
      if (!res.ok) throw new Error(`GET ${next}: HTTP ${res.status}`);
      out.push(...(((await res.json()) as { repositories?: string[] }).repositories ?? []));
      next = /<([^>]+)>;\s*rel="next"/.exec(res.headers.get('link') ?? '')?.[1];
    }
    return out;
  }

  public async tags(repository: string): Promise<string[]> {
    const body = await this.json(`/v2/${repository}/tags/list?n=1000`);
    return ((body?.tags as string[] | null | undefined) ?? []).sort();
  }

  /** The manifest (or index) a tag or digest names, with its digest; undefined when there is none. */
  public async manifest(repository: string, reference: string): Promise<Manifest | undefined> {
    const res = await fetch(`http://${this.host}/v2/${repository}/manifests/${reference}`, { headers: { Accept: MANIFEST_TYPES } });
    if (res.status === 404) return undefined;
    if (!res.ok) throw new Error(`GET manifest ${repository}:${reference}: HTTP ${res.status}`);
    const body = await res.json() as Omit<Manifest, 'digest'>;
    return { ...body, digest: res.headers.get('docker-content-digest') ?? '', mediaType: body.mediaType ?? res.headers.get('content-type') ?? '' };
  }

  public async blob<T>(repository: string, digest: string): Promise<T> {
    const res = await fetch(`http://${this.host}/v2/${repository}/blobs/${digest}`);
    if (!res.ok) throw new Error(`GET blob ${repository}@${digest}: HTTP ${res.status}`);
    return await res.json() as T;
  }

  /** The platform manifests of an index (attestation entries, unknown/unknown, left out). */
  public async platforms(repository: string, reference: string): Promise<PlatformManifest[]> {
    const index = await this.manifest(repository, reference);
    if (!index) return [];
    if (!index.manifests) return [];
    return index.manifests
      .filter(m => m.platform && m.platform.os !== 'unknown')
      .map(m => ({ platform: [m.platform!.os, m.platform!.architecture, m.platform!.variant].filter(Boolean).join('/'), digest: m.digest }));
  }

  /** The image configuration (labels under config.Labels) of a platform manifest. */
  public async imageConfig(repository: string, manifestDigest: string): Promise<{ config?: { Labels?: Record<string, string> } }> {
    const m = await this.manifest(repository, manifestDigest);
    if (!m?.config) throw new Error(`${repository}@${manifestDigest} is not an image manifest`);
    return this.blob(repository, m.config.digest);
  }

  /** Every repository:tag under a prefix (e.g. "ci-gh-42/"), with the digest it points to. */
  public async snapshot(prefix: string): Promise<Snapshot> {
    const out: Snapshot = new Map();
    for (const repository of (await this.catalog()).filter(r => r.startsWith(prefix))) {
      for (const tag of await this.tags(repository)) {
        const res = await fetch(`http://${this.host}/v2/${repository}/manifests/${tag}`, { method: 'HEAD', headers: { Accept: MANIFEST_TYPES } });
        out.set(`${repository}:${tag}`, res.headers.get('docker-content-digest') ?? '?');
      }
    }
    return out;
  }

  private async json(path: string): Promise<Record<string, unknown> | undefined> {
    const res = await fetch(`http://${this.host}${path}`);
    if (res.status === 404) return undefined;
    if (!res.ok) throw new Error(`GET ${path}: HTTP ${res.status}`);
    return await res.json() as Record<string, unknown>;
  }
}

/** What changed between two snapshots: tags that appeared or now point elsewhere. */
export function written(before: Snapshot, after: Snapshot): string[] {
  return [...after].filter(([ref, digest]) => before.get(ref) !== digest).map(([ref]) => ref).sort();
}
