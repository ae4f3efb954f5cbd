// What the library's own modules use from the contract; the public part is re-exported by index.ts.
export * from './variables';
export * from './targets';
export * from './references';
export * from './pipeline';
export * from './ci-plan';
export * from './toolchain';
