import { IBuildPipeline } from '../contract';

/**
 * A CI system the pipeline writes workflows for. A provider renders its files from the pipeline and
 * its contract (variables, standard Make targets), so that CI runs the same Make targets a
 * developer runs locally.
 */
export interface ICiProvider {
  /**
   * Binds the provider to the pipeline: called once, when it is added with
   * `MultiArchPipeline.addCiProvider` or the `ciProviders` option. The provider creates its files
   * here; they render at synthesis, when every service is known.
   */
  bind(pipeline: IBuildPipeline): void;
}
