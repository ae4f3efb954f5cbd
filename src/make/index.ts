export { MakeVariable, MakeTarget, MakeModelOptions, MakeModel } from './make-model';
