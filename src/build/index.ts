export { GoRules } from './go/rules';
export { GoModuleInfo } from './go/module';
export { PipRules } from './python/rules';
