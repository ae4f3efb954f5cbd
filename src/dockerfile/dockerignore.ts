import { IgnoreFile, IResolver, Project } from 'projen';
import { noControlCharacters } from '../validation';

/**
 * The ignore file of one Dockerfile, `<Dockerfile>.dockerignore` next to it (BuildKit reads it
 * instead of the build context's `.dockerignore`), on projen's `IgnoreFile`. Several services that
 * share a Dockerfile share the file; each declares the paths its Dockerfile copies, and synthesis
 * fails if a pattern excludes one of them (an ignored `requirements.txt` broke a real build this way).
 * Its patterns are relative to the build context, as in a `.dockerignore`.
 */
export class DockerIgnoreFile extends IgnoreFile {
  /**
   * @internal
   * Where the projen marker is read once for many files (projen finds the projenrc file anew on
   * each read): the pipeline's.
   */
  public _markerCache?: { value?: string; read?: boolean };

  private readonly required: Map<string, string> = new Map();
  private readonly exclusions: string[] = [];
  private readonly own: Set<string> = new Set();
  private readonly ownMarker: { value?: string; read?: boolean } = {};

  constructor(project: Project, filePath: string) {
    super(project, filePath);
  }

  /** The projen marker. */
  public get marker(): string | undefined {
    const cache = this._markerCache ?? this.ownMarker;
    if (!cache.read) Object.assign(cache, { value: super.marker, read: true });
    return cache.value;
  }

  /**
   * Adds exclusion patterns (`!pattern` re-includes). A pattern already present keeps its place, so
   * services sharing a context do not reorder the file.
   */
  public addPatterns(...patterns: string[]): void {
    for (const p of patterns) {
      noControlCharacters('dockerignore pattern', p);
      if (p.trim() === '' || p.startsWith('#') || this.own.has(p)) continue;
      // a pattern replaces its opposite (projen's IgnoreFile removes it)
      this.own.delete(p.startsWith('!') ? p.slice(1) : `!${p}`);
      this.own.add(p);
      super.addPatterns(p);
    }
  }

  /** Removes patterns added with addPatterns. */
  public removePatterns(...patterns: string[]): void {
    patterns.forEach(p => this.own.delete(p));
    super.removePatterns(...patterns);
  }

  /**
   * Excludes paths that belong to others: other services' build contexts inside this one, the
   * pipeline's files and outputs. They are listed after every service's own patterns, in the order
   * they are added.
   */
  public addExclusions(...paths: string[]): void {
    for (const p of paths) {
      noControlCharacters('dockerignore pattern', p);
      if (!this.exclusions.includes(p)) this.exclusions.push(p);
    }
  }

  /** Declares that a context path is copied by a Dockerfile and must not be excluded. */
  public requirePath(path: string, by: string): void {
    this.required.set(path, by);
  }

  /** The current patterns, in file order. */
  public get allPatterns(): string[] {
    return [...this.ownPatterns(), ...this.exclusions.filter(p => !this.own.has(p))];
  }

  protected synthesizeContent(resolver: IResolver): string | undefined {
    const patterns = this.allPatterns;
    for (const [path, by] of this.required) {
      const pattern = excludingPattern(patterns, path);
      if (pattern) {
        throw new Error(`${this.path} pattern "${pattern}" excludes "${path}", which ${by} copies: remove the pattern or add "!${path}"`);
      }
    }
    const text = super.synthesizeContent(resolver);
    const extra = this.exclusions.filter(p => !this.own.has(p));
    return text === undefined || extra.length === 0 ? text : `${text.replace(/\n$/, '')}\n${extra.join('\n')}\n`;
  }

  /** The patterns added with addPatterns, in file order. */
  private ownPatterns(): string[] {
    // IgnoreFile keeps its patterns to itself: they are the lines it renders after the marker
    const lines = super.synthesizeContent({ resolve: (x: any) => x }) ?? '';
    return lines.split('\n').filter(l => l !== '' && !l.startsWith('#'));
  }
}

/** Returns the pattern that leaves `path` excluded, or undefined when the path reaches the build. */
export function excludingPattern(patterns: string[], path: string): string | undefined {
  const clean = path.replace(/^\.\//, '').replace(/\/$/, '');
  let excludedBy: string | undefined;
  for (const raw of patterns) {
    const negate = raw.startsWith('!');
    const pattern = (negate ? raw.slice(1) : raw).trim().replace(/^\.?\//, '').replace(/\/$/, '');
    if (matches(pattern, clean)) {
      excludedBy = negate ? undefined : raw;
    }
  }
  return excludedBy;
}

function matches(pattern: string, path: string): boolean {
  const re = new RegExp('^' + pattern.split('/').map(segment =>
    segment === '**' ? '.*' : segment.replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]'),
  ).join('/').replace(/\.\*\//g, '(?:.*/)?') + '$');
  // a pattern that matches a parent directory excludes everything below it
  const parts = path.split('/');
  for (let i = 1; i <= parts.length; i++) {
    if (re.test(parts.slice(0, i).join('/'))) return true;
  }
  return false;
}
