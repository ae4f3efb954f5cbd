import { DockerfileStage, IDockerfileRule, stageName } from '../../dockerfile/dockerfile-model';

/**
 * pip rules for a Dockerfile model, registered by a PythonService on its model: `--no-cache-dir`
 * under a pip cache mount is refused (it defeats the cache, which never reaches the image anyway).
 */
export class PipRules implements IDockerfileRule {
  public check(stage: DockerfileStage, keyword: string, value: string): void {
    if (keyword !== 'RUN') return;
    const command = value.replace(/--mount=\S+\s*/g, '').trim();
    if (/--no-cache-dir/.test(command) && /--mount=type=cache,target=[^\s,]*(pip|\.cache)/.test(value)) {
      throw new Error(`"--no-cache-dir" under a pip cache mount in ${stageName(stage)} defeats the cache; drop one of them`);
    }
  }
}
