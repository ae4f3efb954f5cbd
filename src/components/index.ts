export { BuildSecretFile, ServiceOptions, MultiArchService, MultiArchServiceProps } from './service';
export * from './pipeline';
