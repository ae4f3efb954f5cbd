export * from './go/go-service';
export { GoModuleBuild, GoModuleMember } from './go/module-build';
export * from './python/python-service';
export { GoRules } from './go/rules';
export { GoModuleInfo } from './go/module';
export { PipRules } from './python/rules';
