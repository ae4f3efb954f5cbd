import { invalid, noControlCharacters, serviceName, variableName } from '../validation';

/** A bake `variable` block. Its value can be set from the environment (`VERSION=1.2.3 docker buildx bake`). */
export interface BakeVariable {
  /** The variable name, e.g. `REGISTRY`. */
  readonly name: string;
  /** The default value. */
  readonly default: string;
  /**
   * A comment written above the block.
   * @default - no comment
   */
  readonly description?: string;
}

/**
 * Options of a bake `target`. Strings are HCL templates: `${NAME}` interpolates a bake variable,
 * everything else is literal and escaped.
 */
export interface BakeTargetOptions {
  /** Build context directory. */
  readonly context: string;
  /** Path of the Dockerfile (relative to the bake file's directory). */
  readonly dockerfile: string;
  /**
   * Platforms as a literal list.
   * @default - see `platformsVariable`
   */
  readonly platforms?: string[];
  /**
   * Name of a bake variable holding a comma-separated platform list (rendered `split(",", VAR)`);
   * used when `platforms` is not given.
   * @default "PLATFORMS"
   */
  readonly platformsVariable?: string;
  /**
   * Image tags.
   * @default []
   */
  readonly tags?: string[];
  /**
   * Build arguments.
   * @default {}
   */
  readonly args?: { [name: string]: string };
  /**
   * Image labels.
   * @default {}
   */
  readonly labels?: { [key: string]: string };
  /**
   * Targets to inherit attributes from.
   * @default []
   */
  readonly inherits?: string[];
  /**
   * `cache-from` entries, e.g. `type=registry,ref=${CACHE_REGISTRY}/svc:cache`.
   * @default []
   */
  readonly cacheFrom?: string[];
  /**
   * `cache-to` entries.
   * @default []
   */
  readonly cacheTo?: string[];
  /**
   * A bake variable that must be non-empty for the cache entries to apply (rendered as a
   * conditional, so an empty `CACHE_REGISTRY` turns the cache off).
   * @default - the cache entries always apply
   */
  readonly cacheEnabledVariable?: string;
  /**
   * A bake variable that must be `"true"` for the `cache-to` entries to apply (rendered as a
   * conditional, so `CACHE_WRITE=false` builds read the cache without exporting it).
   * @default - the cache-to entries apply whenever the cache does
   */
  readonly cacheWriteVariable?: string;
  /**
   * Attestations, e.g. `type=provenance,mode=max` or `type=sbom`.
   * @default []
   */
  readonly attest?: string[];
  /**
   * The Dockerfile stage to build.
   * @default - the last stage
   */
  readonly target?: string;
  /**
   * Named build contexts: `{ deps: "target:other" }` makes the Dockerfile's `deps` stage (or a
   * `FROM deps`) the result of the bake target `other`, which bake builds once for every target that
   * names it. A name is what the Dockerfile's `FROM` or `--from` says (a stage or an image
   * reference); a value is `target:<bake target>`, `docker-image://<image>`, `oci-layout://<path>`, a
   * URL or a directory.
   * @default {}
   */
  readonly contexts?: { [name: string]: string };
  /**
   * A description shown by `docker buildx bake --list targets`.
   * @default - none
   */
  readonly description?: string;
  /**
   * Give the image index (what registries such as GHCR show for a multi-platform image) the
   * target's OCI labels (title, description, source, licenses, version, revision, created, ...)
   * as `index:` annotations.
   * @default false
   */
  readonly annotateIndex?: boolean;
}

/** The OCI labels a registry's page shows, which annotateIndex copies to the index. */
const INDEX_ANNOTATIONS = ['title', 'description', 'source', 'url', 'documentation', 'licenses', 'vendor', 'version', 'revision', 'created']
  .map(k => `org.opencontainers.image.${k}`);

/** Annotations on the image index (`index:` and `index-descriptor:`), which only a multi-manifest export has. */
const INDEX_LEVEL = /^index(?:-descriptor)?[:[]/;

/** One HCL list expression of list expressions (conditionals parenthesized). */
const concat = (parts: string[]) => parts.length > 1 ? `concat(${parts.map(x => /\?/.test(x) ? `(${x})` : x).join(', ')})` : parts[0];

/** A build secret of a bake target (`secret = ["id=<id>,src=<source>"]`). */
export interface BakeSecret {
  /** The id the Dockerfile's `RUN --mount=type=secret,id=<id>` reads. */
  readonly id: string;
  /** The file that holds it, an HCL template such as `${GO_NETRC}`. */
  readonly source: string;
  /**
   * Pass the secret only when this bake variable is not empty (an empty `GO_NETRC` passes nothing).
   * @default - always passed
   */
  readonly whenSet?: string;
}

/**
 * Attributes a target gets from the pipeline it belongs to, merged under the target's own at render
 * time: a target adds to them and never loses them by adding (an extra attestation keeps provenance).
 */
export interface BakeTargetDefaults {
  /**
   * Tags added after the target's own (duplicates dropped).
   * @default []
   */
  readonly tags?: string[];
  /**
   * Labels; the target's own value wins for the same key.
   * @default {}
   */
  readonly labels?: { [key: string]: string };
  /**
   * Attestations; a target entry of the same `type=` replaces the default one.
   * @default []
   */
  readonly attest?: string[];
  /**
   * `cache-from` entries, before the target's own.
   * @default []
   */
  readonly cacheFrom?: string[];
  /**
   * `cache-to` entries, before the target's own.
   * @default []
   */
  readonly cacheTo?: string[];
  /**
   * A bake variable that must be non-empty for the default cache entries to apply.
   * @default - the default cache entries always apply
   */
  readonly cacheEnabledVariable?: string;
  /**
   * A bake variable that must be `"true"` for the default `cache-to` entries to apply.
   * @default - the default cache-to entries apply whenever the default cache does
   */
  readonly cacheWriteVariable?: string;
  /**
   * A bake variable that must be `"true"` for the `index:` annotations to apply (rendered as a
   * conditional). A single-platform build without provenance exports a manifest, not an index,
   * and BuildKit refuses index annotations on it; `INDEX_ANNOTATIONS=false` builds it.
   * @default - the index annotations always apply
   */
  readonly indexAnnotationsVariable?: string;
}

/** A bake `target` block. Mutable, so escape hatches can change any attribute before synthesis. */
export class BakeTarget {
  /** The target name. */
  public readonly name: string;
  /** Build context. */
  public context: string;
  /** Dockerfile path. */
  public dockerfile: string;
  /** Literal platforms, if any. */
  public platforms?: string[];
  /** Variable holding the platforms, used when `platforms` is unset. */
  public platformsVariable: string;
  /** Tags. */
  public readonly tags: string[];
  /** Build args. */
  public readonly args: { [name: string]: string };
  /** Labels. */
  public readonly labels: { [key: string]: string };
  /** Inherited targets. */
  public readonly inherits: string[];
  /** cache-from entries. */
  public readonly cacheFrom: string[];
  /** cache-to entries. */
  public readonly cacheTo: string[];
  /** Variable gating the cache entries. */
  public cacheEnabledVariable?: string;
  /** Variable gating the cache-to entries. */
  public cacheWriteVariable?: string;
  /** Attestations. */
  public readonly attest: string[];
  /** Build secrets. */
  public readonly secrets: BakeSecret[] = [];
  /** Dockerfile stage. */
  public target?: string;
  /** Named build contexts, e.g. `{ deps: "target:_go-deps" }`. */
  public readonly contexts: { [name: string]: string };
  /** Description. */
  public description?: string;
  /** Whether the index gets the OCI labels as annotations. */
  public annotateIndex: boolean;
  /** More annotations, e.g. `index:com.example.team=payments` or `manifest:…` (add them with `addAnnotation`). */
  public readonly annotations: string[] = [];
  private readonly extra: { [attribute: string]: any } = {};

  constructor(name: string, options: BakeTargetOptions) {
    if (!/^[A-Za-z0-9_-]+$/.test(name)) throw invalid('bake target name', name, 'use letters, digits, "_" and "-"');
    this.name = name;
    this.context = options.context;
    this.dockerfile = options.dockerfile;
    this.platforms = options.platforms;
    this.platformsVariable = options.platformsVariable ?? 'PLATFORMS';
    this.tags = [...(options.tags ?? [])];
    this.args = { ...(options.args ?? {}) };
    this.labels = { ...(options.labels ?? {}) };
    this.inherits = [...(options.inherits ?? [])];
    this.cacheFrom = [...(options.cacheFrom ?? [])];
    this.cacheTo = [...(options.cacheTo ?? [])];
    this.cacheEnabledVariable = options.cacheEnabledVariable;
    this.cacheWriteVariable = options.cacheWriteVariable;
    this.attest = [...(options.attest ?? [])];
    this.target = options.target;
    this.contexts = { ...(options.contexts ?? {}) };
    checkContexts(this.contexts);
    this.description = options.description;
    this.annotateIndex = options.annotateIndex ?? false;
  }

  /**
   * Adds an annotation, e.g. `index:com.example.team=payments` (on the image index, as registries show
   * it) or `manifest:com.example.team=payments`. A method, because jsii hands other languages a copy of
   * the `annotations` array.
   */
  public addAnnotation(annotation: string): void {
    noControlCharacters('annotation', annotation);
    if (!/^(?:(?:index|manifest|index-descriptor|manifest-descriptor)(?:\[[a-z0-9/,]+\])?:)?[A-Za-z0-9._/-]+=/.test(annotation)) {
      throw invalid('annotation', annotation, 'must be [<level>:]<key>=<value>, e.g. "index:com.example.team=payments", with level index, manifest, index-descriptor or manifest-descriptor');
    }
    this.annotations.push(annotation);
  }

  /** Adds a build secret (from a file), passed only when its variable is set if `whenSet` is given. */
  public addSecret(secret: BakeSecret): void {
    if (!/^[A-Za-z0-9_.-]+$/.test(secret.id)) throw invalid('secret id', secret.id, 'use letters, digits, ".", "_" and "-"');
    if (secret.whenSet !== undefined) variableName('secret whenSet', secret.whenSet);
    noControlCharacters('secret source', secret.source);
    if (/,/.test(secret.source)) throw invalid('secret source', secret.source, 'must not contain "," (it separates the secret\'s fields)');
    this.secrets.push(secret);
  }

  /**
   * Escape hatch: sets any other bake attribute (e.g. `secret`, `ssh`, `no-cache`, `output`,
   * `shm-size`). Strings and string lists are written as HCL templates; booleans and numbers as is.
   * Check your buildx version supports the attribute (Debian's buildx 0.13 has no `network`).
   */
  public addOverride(attribute: string, value: any): void {
    if (!/^[a-z][a-z0-9-]*$/.test(attribute)) throw invalid('bake attribute', attribute, 'must be lowercase letters, digits and "-"');
    this.extra[attribute] = value;
  }

  /**
   * Renders the block; `variables` are the names `${...}` may reference, and `defaults` are merged
   * under the target's own attributes. `linkedCaches` are the `cache-from` entries (`cacheFrom`,
   * `cacheEnabledVariable`) of the targets this one names as contexts (`target:<name>`): they
   * follow the target's own.
   */
  public render(variables: string[], defaults: BakeTargetDefaults = {}, linkedCaches: BakeTargetDefaults[] = []): string {
    const t = (v: string) => template(v, variables);
    const list = (vs: string[]) => `[${vs.map(t).join(', ')}]`;
    const map = (m: { [k: string]: string }) => {
      const keys = Object.keys(m).sort();
      const width = Math.max(...keys.map(k => hclKey(k).length));
      return `{\n${keys.map(k => `    ${hclKey(k).padEnd(width)} = ${t(m[k])}`).join('\n')}\n  }`;
    };
    const attrs: Array<[string, string]> = [];
    if (this.description) attrs.push(['description', t(this.description)]);
    if (this.inherits.length) attrs.push(['inherits', list(this.inherits)]);
    attrs.push(['context', t(this.context)]);
    attrs.push(['dockerfile', t(this.dockerfile)]);
    if (this.target) attrs.push(['target', t(this.target)]);
    if (Object.keys(checkContexts(this.contexts)).length) attrs.push(['contexts', map(this.contexts)]);
    attrs.push(['platforms', this.platforms ? list(this.platforms) : `split(",", ${variableName('platformsVariable', this.platformsVariable)})`]);
    const tags = [...this.tags, ...(defaults.tags ?? []).filter(x => !this.tags.includes(x))];
    if (tags.length) attrs.push(['tags', list(tags)]);
    if (Object.keys(this.args).length) attrs.push(['args', map(this.args)]);
    const labels = { ...defaults.labels, ...this.labels };
    if (Object.keys(labels).length) attrs.push(['labels', map(labels)]);
    const annotations = [
      ...(this.annotateIndex ? INDEX_ANNOTATIONS.filter(k => labels[k] !== undefined && labels[k] !== '').map(k => `index:${k}=${labels[k]}`) : []),
      ...this.annotations,
    ];
    const gate = defaults.indexAnnotationsVariable;
    const onIndex = annotations.filter(a => INDEX_LEVEL.test(a));
    const elsewhere = annotations.filter(a => !INDEX_LEVEL.test(a));
    const annotationParts = gate && onIndex.length ? [
      `${variableName('indexAnnotationsVariable', gate)} == "true" ? ${list(onIndex)} : []`,
      ...(elsewhere.length ? [list(elsewhere)] : []),
    ] : annotations.length ? [list(annotations)] : [];
    if (annotationParts.length) attrs.push(['annotations', concat(annotationParts)]);
    const gated = (variable: string | undefined, entries: string[], write?: string) => {
      const conditions = [
        ...(variable ? [`${variableName('cacheEnabledVariable', variable)} == ""`] : []),
        ...(write ? [`${variableName('cacheWriteVariable', write)} != "true"`] : []),
      ];
      return conditions.length ? `${conditions.join(' || ')} ? [] : ${list(entries)}` : list(entries);
    };
    // entries behind the same variables are one list: [gate variable, write variable, entries]
    type CacheGroup = [string | undefined, string | undefined, string[]];
    const cache = (groups: CacheGroup[]) => {
      const merged: CacheGroup[] = [];
      for (const [variable, write, entries] of groups) {
        const last = merged[merged.length - 1];
        const fresh = entries.filter(e => !merged.some(g => g[2].includes(e)));
        if (!fresh.length) continue;
        if (last && last[0] === variable && last[1] === write) last[2].push(...fresh);
        else merged.push([variable, write, [...fresh]]);
      }
      return merged.length ? concat(merged.map(([variable, write, entries]) => gated(variable, entries, write))) : undefined;
    };
    // a target reads the caches of the targets it links as well: BuildKit looks a step shared by
    // several builds of one bake up in the caches of the build that reaches it first, which is often
    // the linking target's (docker/buildx#2265, moby/buildkit#4674)
    const cacheFrom = cache([
      [defaults.cacheEnabledVariable, undefined, defaults.cacheFrom ?? []],
      [this.cacheEnabledVariable, undefined, this.cacheFrom],
      ...linkedCaches.map((l): CacheGroup => [l.cacheEnabledVariable, undefined, l.cacheFrom ?? []]),
    ]);
    if (cacheFrom) attrs.push(['cache-from', cacheFrom]);
    const cacheTo = cache([
      [defaults.cacheEnabledVariable, defaults.cacheWriteVariable, defaults.cacheTo ?? []],
      [this.cacheEnabledVariable, this.cacheWriteVariable, this.cacheTo],
    ]);
    if (cacheTo) attrs.push(['cache-to', cacheTo]);
    if (this.secrets.length) {
      const parts = this.secrets.map(x => gated(x.whenSet, [`id=${x.id},src=${x.source}`]));
      attrs.push(['secret', concat(parts)]);
    }
    const type = (entry: string) => /(?:^|,)type=([^,]*)/.exec(entry)?.[1];
    const ownTypes = this.attest.map(type);
    const attest = [...(defaults.attest ?? []).filter(a => !ownTypes.includes(type(a))), ...this.attest];
    if (attest.length) attrs.push(['attest', list(attest)]);
    for (const [k, v] of Object.entries(this.extra)) attrs.push([k, literal(v, variables)]);
    const width = Math.max(...attrs.map(([k]) => k.length));
    return `target "${this.name}" {\n${attrs.map(([k, v]) => `  ${k.padEnd(width)} = ${v}`).join('\n')}\n}`;
  }
}

/** Named build contexts: a name a `FROM` can say, and a non-empty source without a newline. */
function checkContexts(contexts: { [name: string]: string }): { [name: string]: string } {
  for (const [name, source] of Object.entries(contexts)) {
    if (!/^[A-Za-z0-9][A-Za-z0-9._/:@-]*$/.test(name)) {
      throw invalid('contexts name', name, 'must be a stage name or an image reference, e.g. "deps" or "alpine:3.20" (letters, digits, ".", "_", "/", ":", "@", "-")');
    }
    noControlCharacters(`contexts.${name}`, source);
    if (typeof source !== 'string' || source.trim() === '') {
      throw invalid(`contexts.${name}`, String(source), 'must be a source: "target:<bake target>", "docker-image://<image>", "oci-layout://<path>", a URL or a directory');
    }
  }
  return contexts;
}

/** The bake file model: variables, groups and targets. */
export class BakeModel {
  private readonly _variables: BakeVariable[] = [];
  private readonly _groups: Map<string, string[]> = new Map();
  private readonly _targets: BakeTarget[] = [];
  private readonly _byName: Map<string, BakeTarget> = new Map();
  private readonly _defaults: Map<string, BakeTargetDefaults> = new Map();

  /** Adds (or replaces) a variable. */
  public addVariable(variable: BakeVariable): void {
    variableName('bake variable', variable.name);
    noControlCharacters(`bake variable ${variable.name} default`, variable.default);
    const i = this._variables.findIndex(v => v.name === variable.name);
    if (i >= 0) this._variables.splice(i, 1, variable);
    else this._variables.push(variable);
  }

  /**
   * Adds a target; `defaults` are merged under its own attributes when it renders (see
   * `BakeTargetDefaults`).
   */
  public addTarget(target: BakeTarget, defaults?: BakeTargetDefaults): BakeTarget {
    if (this.hasTarget(target.name)) throw new Error(`The bake file already has a target named "${target.name}"`);
    this._targets.push(target);
    this._byName.set(target.name, target);
    if (defaults) this._defaults.set(target.name, defaults);
    return target;
  }

  /** The defaults a target inherits from the pipeline (empty when it has none). */
  public defaultsOf(name: string): BakeTargetDefaults {
    return this._defaults.get(name) ?? {};
  }

  /** Whether a target exists. */
  public hasTarget(name: string): boolean {
    return this.tryFindTarget(name) !== undefined;
  }

  /** Sets a group's targets. */
  public setGroup(name: string, targets: string[]): void {
    serviceName(name);
    this._groups.set(name, [...targets]);
  }

  /** Finds a target. */
  public tryFindTarget(name: string): BakeTarget | undefined {
    return this._byName.get(name);
  }

  /** The variables. */
  public get variables(): BakeVariable[] {
    return [...this._variables];
  }

  /** The targets. */
  public get targets(): BakeTarget[] {
    return [...this._targets];
  }

  /** Renders HCL. */
  public render(marker?: string): string {
    const names = this._variables.map(v => v.name);
    const blocks: string[] = [];
    if (marker) blocks.push(`# ${marker}`);
    for (const v of this._variables) {
      const comment = v.description ? `# ${noControlCharacters('variable description', v.description)}\n` : '';
      blocks.push(`${comment}variable "${v.name}" {\n  default = ${template(v.default, [])}\n}`);
    }
    for (const [name, targets] of this._groups) {
      blocks.push(`group "${name}" {\n  targets = [${targets.map(x => `"${x}"`).join(', ')}]\n}`);
    }
    for (const target of this._targets) {
      const linked = Object.values(target.contexts)
        .map(source => /^target:(.+)$/.exec(source)?.[1])
        .map(name => name === undefined ? undefined : this.tryFindTarget(name))
        .filter((l): l is BakeTarget => l !== undefined && l !== target)
        .flatMap((l): BakeTargetDefaults[] => [this.defaultsOf(l.name), { cacheFrom: l.cacheFrom, cacheEnabledVariable: l.cacheEnabledVariable }]);
      blocks.push(target.render(names, this.defaultsOf(target.name), linked));
    }
    return blocks.join('\n\n') + '\n';
  }
}

/**
 * Writes an HCL template string: `${NAME}` stays an interpolation when NAME is a declared variable;
 * every other `${`, `%{`, quote and backslash is escaped, so no input can become an expression.
 */
export function template(value: string, variables: string[]): string {
  noControlCharacters('bake value', value);
  // nothing to escape or interpolate: most values
  if (!/["\\$%]/.test(value)) return `"${value}"`;
  let out = '';
  let i = 0;
  const interpolation = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/y;
  while (i < value.length) {
    interpolation.lastIndex = i;
    const m = value[i] === '$' ? interpolation.exec(value) : null;
    if (m && variables.includes(m[1])) {
      out += m[0];
      i += m[0].length;
      continue;
    }
    const c = value[i];
    if (c === '"' || c === '\\') out += `\\${c}`;
    else if ((c === '$' || c === '%') && value[i + 1] === '{') out += c + c;
    else out += c;
    i++;
  }
  return `"${out}"`;
}

function hclKey(key: string): string {
  return /^[A-Za-z_][A-Za-z0-9_-]*$/.test(key) ? key : template(key, []);
}

function literal(value: any, variables: string[]): string {
  if (typeof value === 'string') return template(value, variables);
  if (typeof value === 'boolean' || typeof value === 'number') return String(value);
  if (Array.isArray(value)) return `[${value.map(v => literal(v, variables)).join(', ')}]`;
  if (value && typeof value === 'object') {
    return `{ ${Object.entries(value).map(([k, v]) => `${hclKey(k)} = ${literal(v, variables)}`).join(', ')} }`;
  }
  throw invalid('bake attribute value', value, 'must be a string, number, boolean, list or map');
}
