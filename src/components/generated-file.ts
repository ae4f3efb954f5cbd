import { IConstruct } from 'constructs';
import { FileBase, FileBaseOptions, IResolver } from 'projen';

/** The projen marker, read once for many files (projen finds the projenrc file anew for each). */
export interface MarkerCache {
  value?: string;
  read?: boolean;
}

/**
 * The one projen file class of this library for rendered text (Dockerfiles, the bake file, the
 * Makefile, its helper script): it renders a typed model at synthesis, with the projen marker.
 */
export class GeneratedFile extends FileBase {
  constructor(
    scope: IConstruct,
    filePath: string,
    private readonly renderer: (marker?: string) => string,
    private readonly markerCache?: MarkerCache,
    options: FileBaseOptions = {},
  ) {
    super(scope, filePath, options);
  }

  public get marker(): string | undefined {
    const cache = this.markerCache;
    if (!cache) return super.marker;
    if (!cache.read) Object.assign(cache, { value: super.marker, read: true });
    return cache.value;
  }

  protected synthesizeContent(_: IResolver): string | undefined {
    return this.renderer(this.marker);
  }
}
