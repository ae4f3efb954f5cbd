export { MakeVariable, MakeTarget, MakeModel } from './make-model';
