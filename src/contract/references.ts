import { ImageArg } from './variables';

/** How a variable is referenced in each file format. */
export interface Dialect {
  /** A reference to the variable `name`. */
  ref(name: string): string;
}

/** `$(NAME)` */
export const MAKE: Dialect = { ref: name => `$(${name})` };
/** `${NAME}`: an HCL interpolation of a bake variable. */
export const BAKE: Dialect = { ref: name => `\${${name}}` };
/** `${NAME}`: a Dockerfile ARG. */
export const DOCKERFILE: Dialect = { ref: name => `\${${name}}` };

/** The image a service pushes: `<REGISTRY>/<image>:<VERSION>` in the given dialect. */
export function imageReference(d: Dialect, imageName: string, tag = d.ref('VERSION')): string {
  return `${d.ref('REGISTRY')}/${imageName}:${tag}`;
}

/** The registry cache of an image (or any cache repository): `<CACHE_REGISTRY>/<repository>:<CACHE_TAG>`. */
export function cacheReference(d: Dialect, repository: string): string {
  return `${d.ref('CACHE_REGISTRY')}/${repository}:${d.ref('CACHE_TAG')}`;
}

/** The OCI labels fed by contract variables, in catalogue order: `{ label: reference }`. */
export function variableLabels(variables: ImageArg[], d: Dialect): { [key: string]: string } {
  const out: { [key: string]: string } = {};
  for (const v of variables) if (v.label) out[v.label] = d.ref(v.name);
  return out;
}

/** The title label: the service name. */
export const TITLE_LABEL = 'org.opencontainers.image.title';
/** The description label. */
export const DESCRIPTION_LABEL = 'org.opencontainers.image.description';

/** Labels every image carries from BuildKit's automatic platform ARGs. */
export const PLATFORM_LABELS: { [key: string]: string } = {
  'build.architecture': DOCKERFILE.ref('TARGETARCH'),
  'build.platform': DOCKERFILE.ref('TARGETPLATFORM'),
  'build.multi-arch': 'true',
};
/** The automatic platform ARGs the platform labels read. */
export const PLATFORM_LABEL_ARGS = ['TARGETARCH', 'TARGETPLATFORM'];

/**
 * The labels a Dockerfile's runtime stage writes: title, description, the contract's OCI labels,
 * then the platform labels.
 */
export function dockerfileLabels(variables: ImageArg[], title: string, description?: string): { [key: string]: string } {
  return {
    [TITLE_LABEL]: title,
    ...(description !== undefined ? { [DESCRIPTION_LABEL]: description } : {}),
    ...variableLabels(variables, DOCKERFILE),
    ...PLATFORM_LABELS,
  };
}

/** The build args every service passes to bake: `{ NAME: '${NAME}' }` for each of `variables`. */
export function buildArgs(variables: ImageArg[]): { [name: string]: string } {
  const out: { [name: string]: string } = {};
  for (const v of variables) out[v.name] = BAKE.ref(v.name);
  return out;
}
