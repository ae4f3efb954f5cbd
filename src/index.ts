export * from './platform';
export * from './dockerfile';
export * from './bake';
export * from './make';
export * from './components';
