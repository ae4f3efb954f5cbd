import { IConstruct } from 'constructs';
import { FileBase, FileBaseOptions, IResolver } from 'projen';

/**
 * The one projen file class of this library for rendered text (Dockerfiles, the bake file, the
 * Makefile, its helper script): it renders a typed model at synthesis, with the projen marker.
 */
export class GeneratedFile extends FileBase {
  constructor(scope: IConstruct, filePath: string, private readonly renderer: (marker?: string) => string, options: FileBaseOptions = {}) {
    super(scope, filePath, options);
  }

  protected synthesizeContent(_: IResolver): string | undefined {
    return this.renderer(this.marker);
  }
}
