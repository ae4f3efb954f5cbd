export { MakeVariable, MakeTarget, MakeAssertion, MakeDerivedVariable, AddMakeTargetOptions, MakeModelOptions, MakeModel } from './make-model';
