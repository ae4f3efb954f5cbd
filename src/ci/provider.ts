import { IBuildPipeline } from '../contract';

/**
 * A CI system the pipeline writes workflows for. A provider renders its files from the pipeline and
 * its contract (variables, standard Make targets), so that CI runs the same Make targets a
 * developer runs locally.
 */
export interface ICiProvider {
  /**
   * Binds the provider to the pipeline: called once, when it is added with
   * `MultiArchPipeline.addCiProvider` or the `ciProviders` option. The provider creates its files here.
   */
  bind(pipeline: IBuildPipeline): void;

  /**
   * Brings what the provider generates up to date with the pipeline's services: called right after
   * `bind` and after every service that joins the pipeline, so the jobs are whole after every
   * constructor. A job that `.projenrc.ts` replaced stays as it is.
   */
  update(pipeline: IBuildPipeline): void;
}
