import * as fs from 'fs';
import * as path from 'path';
import { Project } from 'projen';
import { PROJEN_MARKER } from './generated-file';

/** The files GNU make reads in a directory when none is named, in its order. */
const DEFAULT_MAKEFILES = ['GNUmakefile', 'makefile', 'Makefile'];

/**
 * Warns when the generated Makefile has another name (`makefile` option) and the Makefile `make`
 * reads in the project's root is the repository's own without a line that includes it: `make
 * build-multiarch` would say "No rule to make target". A line `include <file>`, `-include <file>` or
 * `sinclude <file>` (any whitespace, among other files, also as `$(wildcard <file>)`) counts.
 */
export function warnMakefileWithoutInclude(project: Project, makefilePath: string): void {
  if (DEFAULT_MAKEFILES.includes(makefilePath)) return;
  const root = DEFAULT_MAKEFILES.find(f => fs.existsSync(path.join(project.outdir, f)) && fs.statSync(path.join(project.outdir, f)).isFile());
  if (!root) return;
  const text = fs.readFileSync(path.join(project.outdir, root), 'utf8');
  if (text.includes(PROJEN_MARKER)) return;
  const included = text.split('\n').some(line => {
    const words = line.trim().split(/\s+/);
    // the files named, also inside $(wildcard …) (include it when it is there) or ${wildcard …}
    const files = words.slice(1).join(' ').replace(/[$][({]wildcard\s+([^)}]*)[)}]/g, ' $1 ').split(/\s+/).filter(w => w !== '');
    return ['include', '-include', 'sinclude'].includes(words[0]) && files.some(w => path.posix.normalize(w) === makefilePath);
  });
  if (!included) {
    project.logger.warn(`${root} is your own and does not include ${makefilePath}, the generated Makefile: its targets (make build-multiarch, make multiarch-help, …) are not there until you add the line "include ${makefilePath}" to ${root}.`);
  }
}
