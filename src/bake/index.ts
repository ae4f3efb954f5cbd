export { BakeVariable, BakeTargetOptions, BakeTargetDefaults, BakeTarget, BakeModel } from './bake-model';
