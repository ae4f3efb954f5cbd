export { CacheSharing, CacheMountOptions, BindMountOptions, SecretMountOptions, Mount } from './mount';
export {
  InstructionOptions, DockerfileInstruction, RunOptions, RunInstruction, CopyOptions, CopyInstruction, ArgDeclaration, ArgInstruction,
  EnvOptions, EnvInstruction, LabelInstruction, UserInstruction, WorkdirInstruction, ExposeInstruction, EntrypointInstruction, CmdInstruction,
  HealthcheckProbe, HealthcheckOptions, HealthcheckInstruction, RawInstruction,
} from './instructions';
export { IDockerfileRule, DockerfileStageOptions, DockerfileStage, DockerfileModelOptions, DockerfileModel } from './dockerfile-model';
export { DockerIgnoreFile } from './dockerignore';
