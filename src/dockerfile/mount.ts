import { noControlCharacters, variableName } from '../validation';

/** How concurrent builds share a cache mount. */
export enum CacheSharing {
  /** Concurrent writers share the cache (BuildKit's default). */
  SHARED = 'shared',
  /** Each concurrent writer gets its own empty cache. */
  PRIVATE = 'private',
  /** Writers wait for each other; use for tools that cannot share a cache (apt). */
  LOCKED = 'locked',
}

/** Options of a `--mount=type=cache` mount. */
export interface CacheMountOptions {
  /** Where the cache is mounted in the build container. */
  readonly target: string;
  /**
   * Cache id; mounts with the same id share contents.
   * @default - the target path
   */
  readonly id?: string;
  /**
   * How concurrent builds share the cache.
   * @default CacheSharing.SHARED
   */
  readonly sharing?: CacheSharing;
}

/** Options of a `--mount=type=bind` mount. */
export interface BindMountOptions {
  /** Where the files are mounted in the build container. */
  readonly target: string;
  /**
   * Path in the source (build context or `from` stage) to mount.
   * @default - the root of the source
   */
  readonly source?: string;
  /**
   * A stage or image to mount from.
   * @default - the build context
   */
  readonly from?: string;
  /**
   * Allow writes to the mount (they are discarded after the step).
   * @default false
   */
  readonly readWrite?: boolean;
}

/** Options of a `--mount=type=secret` mount. */
export interface SecretMountOptions {
  /** The secret id, as passed to `docker buildx build --secret id=<id>,...` or bake's `secret`. */
  readonly id: string;
  /**
   * Mount the secret as a file at this path.
   * @default - /run/secrets/<id>
   */
  readonly target?: string;
  /**
   * Expose the secret as this environment variable for the one RUN step instead of a file.
   * @default - not exposed as a variable
   */
  readonly env?: string;
  /**
   * Fail the build when the secret is not provided.
   * @default false
   */
  readonly required?: boolean;
}

/**
 * A `RUN --mount=...` mount. Secrets reach the build only through secret mounts: they are never
 * stored in a layer or in the image history, unlike ARG and ENV values.
 */
export class Mount {
  /** A persistent cache directory (module caches, compiler caches, pip's cache). */
  public static cache(options: CacheMountOptions): Mount {
    const parts = ['type=cache', `target=${checkValue('target', options.target)}`];
    if (options.id) parts.push(`id=${checkValue('id', options.id)}`);
    if (options.sharing && options.sharing !== CacheSharing.SHARED) parts.push(`sharing=${options.sharing}`);
    return new Mount('cache', options.target, parts.join(','));
  }

  /** Files from the build context (or a stage) mounted read-only for one step, without a layer. */
  public static bind(options: BindMountOptions): Mount {
    const parts = ['type=bind'];
    if (options.from) parts.push(`from=${checkValue('from', options.from)}`);
    if (options.source) parts.push(`source=${checkValue('source', options.source)}`);
    parts.push(`target=${checkValue('target', options.target)}`);
    if (options.readWrite) parts.push('rw');
    return new Mount('bind', options.target, parts.join(','));
  }

  /** A build secret, visible to one RUN step only. */
  public static secret(options: SecretMountOptions): Mount {
    const parts = ['type=secret', `id=${checkValue('id', options.id)}`];
    if (options.target) parts.push(`target=${checkValue('target', options.target)}`);
    if (options.env) parts.push(`env=${variableName('secret env', options.env)}`);
    if (options.required) parts.push('required=true');
    return new Mount('secret', options.target ?? `/run/secrets/${options.id}`, parts.join(','));
  }

  private constructor(
    /** The mount type: cache, bind or secret. */
    public readonly type: string,
    /** The mount target inside the build container. */
    public readonly target: string,
    private readonly spec: string,
  ) {}

  /** The `--mount=...` flag. */
  public render(): string {
    return `--mount=${this.spec}`;
  }
}

function checkValue(option: string, value: string): string {
  noControlCharacters(`mount ${option}`, value);
  if (!/^[A-Za-z0-9._/${}:@+-]+$/.test(value)) {
    throw new Error(`Invalid mount ${option} ${JSON.stringify(value)}: may only contain letters, digits and "._/-:@+" (and \${VAR} references)`);
  }
  return value;
}
