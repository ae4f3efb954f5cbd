export { CacheSharing, CacheMountOptions, BindMountOptions, SecretMountOptions, Mount } from './mount';
export { IDockerfileRule, DockerfileStageOptions, RunOptions, CopyOptions, HealthcheckOptions, DockerfileInstruction, DockerfileStage, DockerfileModelOptions, DockerfileModel } from './dockerfile-model';
export { DockerIgnoreFile } from './dockerignore';
