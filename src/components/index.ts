export { BuildSecretFile, ServiceOptions, MultiArchService, MultiArchServiceProps } from './service';
export { ServiceFile } from './runtime-options';
export { SynthesisInput } from './synthesis-inputs';
export * from './pipeline';
export { ImageMetadata } from './image-metadata';
