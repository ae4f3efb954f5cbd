import * as path from 'path';
import { invalid } from '../../validation';

/** Where the requirements file is, for the error. */
export interface MarkerSources {
  readonly directory: string;
  readonly requirementsFile: string;
}

/**
 * The one PEP 508 marker that tells the CPU apart: `platform_machine` (and `platform.machine`, the
 * PEP 345 spelling that pip's packaging still reads as the same marker). The other markers are the
 * same on the build and the target platform here: the builder runs the base image, Linux on both
 * (`platform_system`, `sys_platform`, `os_name`), with the same Python (`python_version`,
 * `implementation_name`…) and, under BuildKit, the same kernel (`platform_release`, `platform_version`).
 */
const MACHINE_MARKER = /\bplatform[._]machine\b/;

/**
 * Refuses, for CROSS_WHEELS, a requirement whose marker reads the CPU: pip evaluates markers on
 * the machine it runs on, and `--platform` selects wheels only (pypa/pip#10050, #11664). From an
 * amd64 builder, `foo; platform_machine == "aarch64"` would be left out of the arm64 image, and an
 * x86_64-only requirement installed into it. Reads the requirements file itself (`requirements`),
 * when it exists, and the files it includes with `-r`/`--requirement`, at any depth, as pip finds
 * them (relative to the including file), through `read` (a path relative to the service directory;
 * undefined when it does not exist: an include that is not there yet is not read). The requirements
 * of its requirements (their own metadata) are not read.
 */
export function checkMachineMarkers(py: MarkerSources, requirements: string | undefined, read: (file: string) => string | undefined): void {
  const shown = (file: string) => (py.directory === '.' ? file : path.posix.join(py.directory, file));
  const seen = new Set<string>();
  const check = (file: string, text: string, via: string) => {
    seen.add(file);
    for (const { line, number } of logicalLines(text)) {
      const include = requirementInclude(line);
      if (include !== undefined) {
        const nested = path.posix.normalize(path.posix.join(path.posix.dirname(file), include));
        const nestedText = seen.has(nested) ? undefined : read(nested);
        if (nestedText !== undefined) check(nested, nestedText, `, included by ${shown(file)} line ${number}${via}`);
        continue;
      }
      const marker = line.split(';').slice(1).join(';');
      if (line.startsWith('-') || !MACHINE_MARKER.test(marker)) continue;
      throw invalid('installStrategy', 'CROSS_WHEELS', `${shown(file)} line ${number} "${line}"${via} has a platform_machine marker, which pip evaluates on the build machine, not on the target platform: --platform selects wheels only (https://github.com/pypa/pip/issues/11664), so an image for another architecture would leave this requirement out, or install it where it does not belong. Use installStrategy PythonInstallStrategy.TARGET, whose pip runs on the target platform, or a requirementsFile without platform_machine markers`);
    }
  };
  if (requirements !== undefined) check(path.posix.normalize(py.requirementsFile), requirements, '');
}

/** The file a `-r`/`--requirement` line includes (`-r f`, `-rf`, `--requirement f`, `--requirement=f`), unless it is a URL. */
function requirementInclude(line: string): string | undefined {
  const m = /^(?:-r\s*|--requirement(?:\s+|\s*=\s*))(\S+)/.exec(line);
  if (!m || /^[a-z][a-z0-9+.-]*:\/\//i.test(m[1])) return undefined;
  return m[1];
}

/** Requirement lines as pip reads them: `\`-continued lines joined, comments removed; numbered by their first line. */
function logicalLines(text: string): Array<{ line: string; number: number }> {
  const out: Array<{ line: string; number: number }> = [];
  let pending: { line: string; number: number } | undefined;
  text.split('\n').forEach((raw, i) => {
    const continued = /\\\r?$/.test(raw);
    const part = raw.replace(/\\?\r?$/, '');
    pending = pending ? { line: `${pending.line} ${part}`, number: pending.number } : { line: part, number: i + 1 };
    if (continued) return;
    const line = pending.line.replace(/(^|\s)#.*$/, '').replace(/\s+/g, ' ').trim();
    if (line) out.push({ line, number: pending.number });
    pending = undefined;
  });
  return out;
}
