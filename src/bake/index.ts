export { BakeVariable, BakeTargetOptions, BakeTargetDefaults, BakeSecret, BakeTarget, BakeModel } from './bake-model';
