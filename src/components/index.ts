export { ServiceOptions } from './service';
export * from './pipeline';
