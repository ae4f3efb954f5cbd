export { GoRules } from './go/rules';
export { PipRules } from './python/rules';
