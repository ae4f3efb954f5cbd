export { BuildVariable, CiValue, InputGrammar } from './variables';
export { StandardTarget } from './targets';
export { IMultiArchService, IBuildPipeline } from './pipeline';
