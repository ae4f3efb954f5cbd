import { DockerfileInstruction } from '../../dockerfile';
import { cacheMountTargets, DockerfileStage, IDockerfileRule, shellCommands, stageName } from '../../dockerfile/dockerfile-model';

/**
 * pip rules for a Dockerfile model, registered by a PythonService on its model: `--no-cache-dir`
 * under a pip cache mount is refused (it defeats the cache, which never reaches the image anyway).
 */
export class PipRules implements IDockerfileRule {
  public check(stage: DockerfileStage, instruction: DockerfileInstruction): void {
    const pipCache = cacheMountTargets(instruction).some(target => /pip|\.cache/.test(target));
    if (pipCache && shellCommands(instruction).some(command => /--no-cache-dir/.test(command))) {
      throw new Error(`"--no-cache-dir" under a pip cache mount in ${stageName(stage)} defeats the cache; drop one of them`);
    }
  }
}
