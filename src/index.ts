export * from './platform';
export * from './contract';
export * from './dockerfile';
export * from './bake';
export * from './make';
export * from './ci';
export * from './languages';
export * from './components';
