export { ICiProvider } from './provider';
export * from './github/github-actions';
export { GitHubActionPin } from './github/pins';
export * from './gitlab/gitlab-ci';
