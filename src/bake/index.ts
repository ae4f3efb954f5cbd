export { BakeVariable, BakeTargetOptions, BakeTarget, BakeModel } from './bake-model';
