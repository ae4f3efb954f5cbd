export { BuildSecretFile, ServiceOptions, MultiArchService, MultiArchServiceProps } from './service';
export { SynthesisInput } from './synthesis-inputs';
export * from './pipeline';
export { ImageMetadata } from './image-metadata';
