export { ServiceOptions } from './service';
export * from './pipeline';
export * from './go-service';
export * from './python-service';
