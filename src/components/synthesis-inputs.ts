import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { invalid, noControlCharacters, plainText, relativePath } from '../validation';

/**
 * A file that synthesis reads to write a service's files (a kind of service lists them, see
 * `MultiArchServiceProps.synthesisInputs`). The generated helper records a digest of each, and every
 * build target checks first that none changed since (`make check-inputs`): files generated from an
 * older version would build something else, or fail far from the cause.
 */
export interface SynthesisInput {
  /** The file, relative to the project root. */
  readonly path: string;
  /**
   * Only whether the file exists matters (its content is not read).
   * @default false
   */
  readonly presenceOnly?: boolean;
  /**
   * Only the lines whose first word (after spaces and tabs) is one of these matter, e.g. `["go",
   * "toolchain"]`; with `linesContaining`, the lines that match either. Letters, digits, "_" and "-".
   * @default - every line, unless linesContaining is given
   */
  readonly linesStartingWith?: string[];
  /**
   * Only the lines holding one of these strings matter, e.g. `["=>"]`; with `linesStartingWith`, the
   * lines that match either. Letters, digits, "=", ">", "<", ":", "_", "-" and "@".
   * @default - every line, unless linesStartingWith is given
   */
  readonly linesContaining?: string[];
  /**
   * What synthesis reads of the file, in words, for the message when it changed, e.g. "its go,
   * toolchain and replace lines".
   * @default - "the file" ("whether it exists" with presenceOnly)
   */
  readonly description?: string;
}

/** A synthesis input, validated, with the digest of what synthesis read of it. */
export interface RecordedInput {
  readonly path: string;
  /** `absent`, `present` (presence only), or `sha256:<hex>` of the file or of its selected lines. */
  readonly recorded: string;
  /** The POSIX extended regular expression that selects the lines, or '' for the whole file. */
  readonly pattern: string;
  readonly description: string;
}

/**
 * Validates an input and records what synthesis reads of it now. The selected lines are the same in
 * the helper (`LC_ALL=C grep -a -E`, line by line, bytes) and here: the pattern uses only what reads the
 * same in a POSIX ERE and a JavaScript regular expression, and blanks are spaces and tabs.
 */
export function recordInput(projectDir: string, input: SynthesisInput): RecordedInput {
  const at = relativePath('synthesisInputs path', input.path);
  const starts = (input.linesStartingWith ?? []).map(w => word('synthesisInputs linesStartingWith', w, /^[A-Za-z0-9_-]+$/, 'letters, digits, "_" and "-"'));
  const contains = (input.linesContaining ?? []).map(w => word('synthesisInputs linesContaining', w, /^[A-Za-z0-9=><:_@-]+$/, 'letters, digits, "=", ">", "<", ":", "_", "-" and "@"'));
  if (input.presenceOnly && (starts.length || contains.length)) {
    throw invalid('synthesisInputs', at, 'reads either the presence of a file (presenceOnly) or some of its lines, not both');
  }
  const alternatives = [...(starts.length ? [`^[[:blank:]]*(${starts.join('|')})([[:blank:]]|$)`] : []), ...contains];
  const pattern = alternatives.join('|');
  const file = path.join(projectDir, at);
  let recorded: string;
  if (input.presenceOnly) recorded = fs.existsSync(file) ? 'present' : 'absent';
  else if (!fs.statSync(file, { throwIfNoEntry: false })?.isFile()) recorded = 'absent';
  else recorded = digestOf(fs.readFileSync(file), pattern);
  return { path: at, recorded, pattern, description: plainText('synthesisInputs description', input.description ?? (input.presenceOnly ? 'whether it exists' : 'the file')) };
}

/** `sha256:<hex>` of a file's bytes, or of the lines the pattern selects (each with its newline, as grep prints them). */
function digestOf(bytes: Buffer, pattern: string): string {
  let data = bytes;
  if (pattern) {
    // latin1 maps each byte to one character and back: the lines are the file's bytes, as grep reads them in the C locale
    const re = new RegExp(pattern.replace(/\[\[:blank:\]\]/g, '[ \\t]'));
    const lines = bytes.toString('latin1').split('\n');
    if (lines[lines.length - 1] === '') lines.pop();
    data = Buffer.from(lines.filter(l => re.test(l)).map(l => `${l}\n`).join(''), 'latin1');
  }
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

function word(option: string, value: string, allowed: RegExp, what: string): string {
  noControlCharacters(option, value);
  if (!allowed.test(value)) throw invalid(option, value, `may only hold ${what}`);
  return value;
}
