export { MultiArchProject, MultiArchProjectOptions } from './multiarch-project';
