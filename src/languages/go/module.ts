import * as fs from 'fs';
import * as path from 'path';

/** What a Go image build needs to know about a module, read from its files at synthesis. */
export interface GoModuleInfo {
  /** Whether `go.mod` exists (a project may be synthesized before its code). */
  readonly exists: boolean;
  /**
   * The `go` line, e.g. `1.24` or `1.24.3`.
   * @default - no go.mod, or no go line
   */
  readonly go?: string;
  /**
   * The `toolchain` line's version, without the `go` prefix, e.g. `1.25.1`.
   * @default - no toolchain line
   */
  readonly toolchain?: string;
  /**
   * Directories inside the module root that `go mod download` needs the `go.mod`/`go.sum` of: local
   * `replace` targets and, with a `go.work`, the workspace's modules (relative, no `./`).
   */
  readonly localModules: string[];
  /** The directive that names each local module, by directory: `replace a => ./lib` (go.mod) or `use ./lib` (go.work). */
  readonly localDirectives: { [directory: string]: string };
  /** Whether the module root has a `go.work` (and so `go.work.sum` may matter). */
  readonly workspace: boolean;
  /** Whether the module root has a `vendor/modules.txt`: the build uses `-mod=vendor`, nothing is downloaded. */
  readonly vendor: boolean;
}

/**
 * Reads `go.mod`, `go.work` and `vendor/modules.txt` under `moduleRoot`. A local `replace` or `use`
 * that leaves the module root cannot be in the build context: that is an error naming the fix.
 */
export function readGoModule(projectDir: string, moduleRoot: string): GoModuleInfo {
  const dir = path.join(projectDir, moduleRoot);
  const read = (f: string) => (fs.existsSync(path.join(dir, f)) ? fs.readFileSync(path.join(dir, f), 'utf8') : undefined);
  const gomod = read('go.mod');
  const gowork = read('go.work');
  const local = new Map<string, string>();
  const inContext = (target: string, what: string, entry: string) => {
    const rel = path.posix.normalize(target.replace(/\\/g, '/'));
    if (path.posix.isAbsolute(rel) || rel === '..' || rel.startsWith('../')) {
      throw new Error(`${moduleRoot === '.' ? '' : moduleRoot + '/'}${what} points to "${target}", outside the Go module root "${moduleRoot}" (the build context): set "moduleRoot" to a directory that holds both modules, or replace it with a published version`);
    }
    const module = rel.replace(/\/$/, '');
    if (rel !== '.' && !local.has(module)) local.set(module, entry);
  };
  for (const r of localReplaces(gomod ?? '')) inContext(r.target, 'go.mod: a replace directive', `replace ${r.entry}`);
  for (const use of workspaceUses(gowork ?? '')) inContext(use, 'go.work: a use directive', `use ${use}`);
  return {
    exists: gomod !== undefined,
    go: release(directive(gomod ?? '', 'go')),
    toolchain: release(directive(gomod ?? '', 'toolchain')?.replace(/^go/, '')),
    localModules: [...local.keys()].sort(),
    localDirectives: Object.fromEntries(local),
    workspace: gowork !== undefined,
    vendor: read('vendor/modules.txt') !== undefined,
  };
}

/** `1.24`, `1.24.3`; the numeric part of a pre-release (`1.25rc1` → `1.25`); undefined for anything else. */
function release(v: string | undefined): string | undefined {
  return v === undefined ? undefined : /^(\d+\.\d+(?:\.\d+)?)/.exec(v)?.[1];
}

/** The value of a single-line directive (`go 1.24`, `toolchain go1.25.1`), comments stripped. */
function directive(text: string, name: string): string | undefined {
  const m = new RegExp(`^\\s*${name}\\s+(\\S+)`, 'm').exec(stripComments(text));
  return m?.[1];
}

/** `replace` directives whose target is a local path (`./x`, `../x`), in single-line and block form: the entry and its target. */
function localReplaces(text: string): Array<{ entry: string; target: string }> {
  return blockEntries(stripComments(text), 'replace')
    .map(l => ({ entry: l.trim().replace(/\s+/g, ' '), target: /=>\s*(\S+)\s*$/.exec(l)?.[1] }))
    .filter((r): r is { entry: string; target: string } => !!r.target && /^\.\.?(\/|$)/.test(r.target));
}

/** Directories of `use` directives of a go.work. */
function workspaceUses(text: string): string[] {
  return blockEntries(stripComments(text), 'use').map(l => l.trim().replace(/^"|"$/g, '')).filter(x => x);
}

/** The entries of a directive: `name entry` lines and the lines of `name ( … )` blocks. */
function blockEntries(text: string, name: string): string[] {
  const out: string[] = [];
  let inBlock = false;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (inBlock) {
      if (line === ')') inBlock = false;
      else if (line) out.push(line);
      continue;
    }
    const m = new RegExp(`^${name}\\s*(\\(|\\s)(.*)$`).exec(line);
    if (!m) continue;
    if (m[1] === '(' && m[2].trim() === '') inBlock = true;
    else out.push(m[2]);
  }
  return out;
}

function stripComments(text: string): string {
  return text.replace(/\/\/.*$/gm, '');
}

/** Compares Go versions (`1.24` < `1.24.3` < `1.25`): negative when a < b. */
export function compareGoVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}
