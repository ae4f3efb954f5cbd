import * as path from 'path';
import { invalid } from '../../validation';

/** What the check reads of a resolved PythonService. */
export interface WheelhouseSources {
  readonly requirementsFile: string;
  readonly localPackages: string[];
  readonly pipArgs: string[];
}

/** pip options whose value is a local path (or a `file:` URL) the install reads. */
const PATH_OPTIONS = ['-f', '--find-links', '-r', '--requirement', '-c', '--constraint', '-e', '--editable'];
/** pip options whose value is an index URL: local only with `file:`. */
const INDEX_OPTIONS = ['-i', '--index-url', '--extra-index-url'];

/**
 * Refuses a wheelhouse or local path that the install reads but the Dockerfile does not copy: pip
 * would say "Location 'wheels' is ignored" deep in the build, then that a requirement has no wheel.
 * Reads `pipInstallArgs` and, when it exists, the requirements file (`requirements`).
 */
export function checkWheelhouses(py: WheelhouseSources, requirements: string | undefined): void {
  const args = optionValues(py.pipArgs);
  for (const { option, value, text } of args) {
    const local = localPath(option, value);
    if (local !== undefined && !copied(local, py.localPackages)) {
      throw invalid('pipInstallArgs', text, `reads "${local}", which is not under localPackages (${JSON.stringify(py.localPackages)}), so the Dockerfile does not copy it into the builder: ${fix(local)}`);
    }
  }
  if (requirements === undefined) return;
  const lines = requirements.split('\n');
  lines.forEach((raw, i) => {
    const line = raw.replace(/(^|\s)#.*$/, '').trim();
    if (!line) return;
    for (const local of requirementPaths(line, path.posix.dirname(py.requirementsFile))) {
      if (local.some(p => copied(p, py.localPackages))) continue;
      throw invalid('requirementsFile', py.requirementsFile, `line ${i + 1} "${line}" reads "${local[0]}", which is not under localPackages (${JSON.stringify(py.localPackages)}), so the Dockerfile does not copy it into the builder: ${fix(local[0])}`);
    }
  });
}

/** `--opt value`, `--opt=value` and `-fvalue` pairs of an argument list. */
function optionValues(words: string[]): Array<{ option: string; value: string; text: string }> {
  const out: Array<{ option: string; value: string; text: string }> = [];
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    const eq = /^(--[a-z-]+)=(.*)$/.exec(w);
    const short = /^(-[fcrei])(.+)$/.exec(w);
    if (eq) out.push({ option: eq[1], value: eq[2], text: w });
    else if (short) out.push({ option: short[1], value: short[2], text: w });
    else if ([...PATH_OPTIONS, ...INDEX_OPTIONS].includes(w) && i + 1 < words.length) out.push({ option: w, value: words[i + 1], text: `${w} ${words[++i]}` });
  }
  return out;
}

/** The local path an option reads, relative to the service directory, or undefined for a URL or another option. */
function localPath(option: string, value: string): string | undefined {
  const isIndex = INDEX_OPTIONS.includes(option);
  if (!isIndex && !PATH_OPTIONS.includes(option)) return undefined;
  if (/^file:/.test(value)) return normalize(value.replace(/^file:(\/\/)?/, ''));
  if (isIndex || /^[a-z][a-z0-9+.-]*:/i.test(value)) return undefined; // http(s)://, git+https://
  return normalize(value);
}

/**
 * The local paths a requirements line reads, each as its possible readings (pip resolves `-f`, `-r`
 * and `-c` against the requirements file's folder when the path exists there, else the working
 * directory, which is the service directory).
 */
function requirementPaths(line: string, reqDir: string): string[][] {
  const words = line.split(/\s+/);
  if (words[0].startsWith('-')) {
    return optionValues(words.slice(0, 2)).flatMap(({ option, value }) => {
      const local = localPath(option, value);
      if (local === undefined) return [];
      return [reqDir === '.' || path.posix.isAbsolute(local) ? [local] : [local, normalize(path.posix.join(reqDir, local))]];
    });
  }
  // `name @ file:///…`, `./vendor/pkg`, `wheels/pkg-1.0-py3-none-any.whl`
  const at = /@\s*(file:\S+)/.exec(line);
  if (at) return [[normalize(at[1].replace(/^file:(\/\/)?/, ''))]];
  const first = words[0];
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(first)) return [];
  if (/^(\.{1,2}\/|\/)/.test(first) || /\.(whl|zip|tar\.gz|tgz)$/.test(first) || (first.includes('/') && !/[<>=!~;@[]/.test(first))) return [[normalize(first)]];
  return [];
}

/** What to change: list the path, or first move it into the build context. */
function fix(local: string): string {
  if (path.posix.isAbsolute(local) || local === '..' || local.startsWith('../')) {
    return 'it is outside the service directory (the build context): move it there and list it in localPackages';
  }
  return `add "${local}" to localPackages`;
}

function normalize(p: string): string {
  return path.posix.normalize(p).replace(/\/+$/, '') || '.';
}

/** Whether a path is one of the copied local packages or under one. */
function copied(p: string, localPackages: string[]): boolean {
  return localPackages.some(l => {
    const n = normalize(l);
    return n === '.' || p === n || p.startsWith(`${n}/`);
  });
}
