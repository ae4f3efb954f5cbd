/**
 * The oldest toolchain the generated files are built and tested with (Debian 13's docker.io and
 * docker-buildx; README "Supported toolchain"). `make` checks the tools against it before it runs
 * anything that needs them (`multiarch.sh check-tools`).
 */
export const SUPPORTED_TOOLCHAIN = {
  /** Docker Engine and CLI, `major.minor`. */
  docker: '26.1',
  /** The buildx plugin, `major.minor`: the bake file keeps to what it accepts. */
  buildx: '0.13',
} as const;
