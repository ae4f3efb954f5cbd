import { Project } from 'projen';
import { BuildVariable } from './variables';
import { BakeModel, BakeTarget } from '../bake';
import { DockerfileModel, DockerIgnoreFile } from '../dockerfile';
import { MakeModel } from '../make';
import { Platform } from '../platform';

/** A service of a multi-arch pipeline, as the pipeline and the CI providers see it. */
export interface IMultiArchService {
  /** The service name. */
  readonly name: string;
  /** Image repository under the registry. */
  readonly imageName: string;
  /** Platform override, if any. */
  readonly platforms?: Platform[];
  /** The bake target (escape hatch). */
  readonly bakeTarget: BakeTarget;
  /** The build context, relative to the project root. */
  readonly context: string;
  /** The Dockerfile path, relative to the project root. */
  readonly dockerfilePath: string;
  /** The Dockerfile model (escape hatch). */
  readonly dockerfile: DockerfileModel;
  /** The ignore file of the Dockerfile (`<Dockerfile>.dockerignore`), which BuildKit reads for the build context. */
  readonly dockerignore: DockerIgnoreFile;
  /**
   * The port the service listens on (`make run-<service>` publishes it).
   * @default - none: the service publishes no port
   */
  readonly port?: number;
}

/** What a CI provider reads from the pipeline it renders. */
export interface IBuildPipeline {
  /** The project the pipeline belongs to. */
  readonly project: Project;
  /** The services, in creation order. */
  readonly services: IMultiArchService[];
  /** The build contract: every variable, with its Make and bake defaults, build arg, label and CI value. */
  readonly variables: BuildVariable[];
  /** The registry. */
  readonly registry: string;
  /** The default platforms. */
  readonly platforms: Platform[];
  /** The build cache registry ('' for none). */
  readonly cacheRegistry: string;
  /** The Makefile path (CI runs its targets). */
  readonly makefilePath: string;
  /** The bake file path. */
  readonly bakeFilePath: string;
  /** The Makefile model. */
  readonly make: MakeModel;
  /** The bake model. */
  readonly bake: BakeModel;
}
