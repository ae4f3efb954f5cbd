export { BuildSecretFile, ServiceOptions, MultiArchService, MultiArchServiceProps } from './service';
export { ServiceFile } from './runtime-options';
export * from './pipeline';
export { ImageMetadata } from './image-metadata';
