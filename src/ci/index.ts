export { ICiProvider } from './provider';
