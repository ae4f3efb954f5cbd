export { MakeVariable, MakeTarget, MakeAssertion, MakeDerivedVariable, AddMakeTargetOptions, AddMakeVariableOptions, MakeModelOptions, MakeModel } from './make-model';
