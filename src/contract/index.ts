export { BuildVariable, CiValue } from './variables';
export { StandardTarget } from './targets';
export { IMultiArchService, IBuildPipeline } from './pipeline';
