/**
 * Validation shared by every component. Each check throws an error that names the option,
 * quotes the bad value and says what is allowed, so the user knows what to change.
 * Everything that ends up in a Dockerfile, Makefile, HCL or YAML file passes through one of
 * these checks first; the renderers escape on top of that.
 */

/** `{ option: 'ldflags', value: '...' }` → `Invalid ldflags "...": <allowed>` */
export function invalid(option: string, value: unknown, allowed: string): Error {
  return new Error(`Invalid ${option} ${JSON.stringify(value)}: ${allowed}`);
}

const CONTROL = /[\u0000-\u001f\u007f]/;

/** Rejects newlines and other control characters, which would start a new instruction, rule or attribute. */
export function noControlCharacters(option: string, value: string): string {
  if (typeof value !== 'string') {
    throw invalid(option, value, 'must be a string');
  }
  if (CONTROL.test(value)) {
    throw invalid(option, value, 'must not contain newlines or other control characters');
  }
  return value;
}

/**
 * A list option: an array of strings. From JavaScript a single string is an easy slip, and it would
 * otherwise be read character by character or fail with a TypeError.
 */
export function stringList(option: string, value: unknown): string[] {
  if (!Array.isArray(value) || value.some(v => typeof v !== 'string')) {
    throw invalid(option, value, 'must be a list of strings, e.g. ["a", "b"]');
  }
  return value;
}

/** An on/off option: true or false, never "false" (a non-empty string would turn it on). */
export function flag(option: string, value: unknown): boolean | undefined {
  if (value !== undefined && typeof value !== 'boolean') throw invalid(option, value, 'must be true or false');
  return value as boolean | undefined;
}

/** A list that names each thing once: a repeat is a slip that would reach a generated file twice. */
export function noRepeats(option: string, values: string[]): void {
  const twice = values.find((v, i) => values.indexOf(v) !== i);
  if (twice !== undefined) throw invalid(option, values, `lists "${twice}" twice: give each once`);
}

/** A map option: an object (its values are checked by the caller). */
export function stringMap(option: string, value: unknown, example: string): { [key: string]: unknown } {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid(option, value, `must be an object, e.g. ${example}`);
  return value as { [key: string]: unknown };
}

const SERVICE_NAME = /^[a-z0-9]+(?:[-_][a-z0-9]+)*$/;

/** A service name is used as an image name component, a bake target, a Make target and a path segment. */
export function serviceName(value: string): string {
  noControlCharacters('service name', value);
  if (!SERVICE_NAME.test(value) || value.length > 63) {
    throw invalid('service name', value,
      'use 1-63 lowercase letters and digits, separated by single "-" or "_" (it becomes an image name, a bake target and a Make target)');
  }
  return value;
}

/** An image repository name (what follows the registry), e.g. `nephoran/llm-processor`. */
export function imageName(option: string, value: string): string {
  noControlCharacters(option, value);
  const component = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
  if (!new RegExp(`^${component}(?:/${component})*$`).test(value) || value.length > 255) {
    throw invalid(option, value, 'use lowercase path components of letters and digits separated by ".", "_", "__" or "-", joined by "/"');
  }
  return value;
}

const DOMAIN = '(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::[0-9]+)?';
const PATH_COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const TAG = '[\\w][\\w.-]{0,127}';
const DIGEST = 'sha256:[a-f0-9]{64}';
const IMAGE_REFERENCE = new RegExp(`^(?:${DOMAIN}/)?${PATH_COMPONENT}(?:/${PATH_COMPONENT})*(?::${TAG})?(?:@${DIGEST})?$`);
const REGISTRY = new RegExp(`^${DOMAIN}(?:/${PATH_COMPONENT})*$`);

/** A full image reference as written in `FROM`, e.g. `golang:1.24-bookworm` or `127.0.0.1:5000/lab/golang:1.24`. */
export function imageReference(option: string, value: string): string {
  noControlCharacters(option, value);
  if (value !== 'scratch' && !IMAGE_REFERENCE.test(value)) {
    throw invalid(option, value, 'must be an image reference such as "golang:1.24-bookworm", "registry.example.com/team/image:tag" or "image@sha256:<digest>"');
  }
  return value;
}

/** A registry plus optional namespace, e.g. `ghcr.io/nephoran` or `127.0.0.1:5000/lab`. */
export function registry(option: string, value: string): string {
  noControlCharacters(option, value);
  if (!REGISTRY.test(value)) {
    throw invalid(option, value, 'must be a registry host (with optional :port) and optional lowercase namespace, such as "ghcr.io/my-org" or "127.0.0.1:5000/lab"');
  }
  return value;
}

/**
 * A relative path inside the project: no absolute paths, no `..` escaping the project, and only
 * characters that need no quoting in a Dockerfile, Makefile or HCL string.
 */
export function relativePath(option: string, value: string): string {
  noControlCharacters(option, value);
  if (value.startsWith('/') || /^[a-zA-Z]:/.test(value)) {
    throw invalid(option, value, 'must be a path relative to the project root, not an absolute path');
  }
  if (!/^[A-Za-z0-9._/+-]+$/.test(value)) {
    throw invalid(option, value, 'may only contain letters, digits, ".", "_", "-", "+" and "/"');
  }
  if (value.split('/').some(part => part.startsWith('-'))) {
    throw invalid(option, value, 'must not start a path segment with "-" (it would read as a flag)');
  }
  const parts: string[] = [];
  for (const part of value.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (parts.length === 0) {
        throw invalid(option, value, 'must stay inside the project (it escapes it with "..")');
      }
      parts.pop();
    } else {
      parts.push(part);
    }
  }
  return parts.length === 0 ? '.' : parts.join('/');
}

/** A Go package path relative to the module, e.g. `./cmd/llm-processor`; never a single `.go` file. */
export function goPackage(option: string, value: string): string {
  noControlCharacters(option, value);
  if (/\.go$/.test(value)) {
    throw invalid(option, value, 'must be a package directory such as "./cmd/server", not a single .go file (building one file ignores the rest of the package)');
  }
  if (!value.startsWith('./') && value !== '.') {
    throw invalid(option, value, 'must start with "./" (a package directory relative to the module root), e.g. "./cmd/server"');
  }
  const rel = relativePath(option, value);
  return rel === '.' ? '.' : `./${rel}`;
}

/** A version such as `1.24` or `1.24.3`. */
export function version(option: string, value: string): string {
  noControlCharacters(option, value);
  if (!/^[0-9]+\.[0-9]+(?:\.[0-9]+)?$/.test(value)) {
    throw invalid(option, value, 'must be a version such as "1.24" or "1.24.3"');
  }
  return value;
}

/** A TCP port, 1-65535. */
export function port(option: string, value: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 65535) {
    throw invalid(option, value, 'must be an integer from 1 to 65535');
  }
  return value;
}

/** `uid:gid` with numeric, non-zero ids: a numeric USER is checkable by Kubernetes' runAsNonRoot. */
export function nonRootUser(option: string, value: string): string {
  noControlCharacters(option, value);
  const m = /^([0-9]+)(?::([0-9]+))?$/.exec(value);
  if (!m) {
    throw invalid(option, value, 'must be a numeric "uid:gid" such as "65532:65532" (a user name cannot be checked for non-root by Kubernetes)');
  }
  if (Number(m[1]) === 0 || (m[2] !== undefined && Number(m[2]) === 0)) {
    throw invalid(option, value, 'must not be root (uid or gid 0); use a non-root id such as "65532:65532"');
  }
  return m[2] === undefined ? `${m[1]}:${m[1]}` : value;
}

/** An identifier for ARG / ENV / bake variables / Make variables. */
export function variableName(option: string, value: string): string {
  noControlCharacters(option, value);
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(value)) {
    throw invalid(option, value, 'must be a variable name of letters, digits and "_", not starting with a digit');
  }
  return value;
}

/** A list entry that becomes one shell word (ldflags, build tags, pip arguments). */
export function shellWord(option: string, value: string, allowed = /^[A-Za-z0-9_./:=,+@%-]+$/): string {
  noControlCharacters(option, value);
  if (!allowed.test(value)) {
    throw invalid(option, value, `each entry must be one word matching ${allowed} (no spaces, quotes, "$", backslashes or backticks)`);
  }
  return value;
}

/** A value that is quoted into Dockerfile labels, HCL strings and Make variables: printable text without quotes. */
export function plainText(option: string, value: string): string {
  noControlCharacters(option, value);
  if (/["`\\$]/.test(value)) {
    throw invalid(option, value, 'must not contain double quotes, backticks, backslashes or "$"');
  }
  return value;
}

/** Names of variables that look like credentials must never be an ARG or ENV (they end up in the image history). */
export function notASecret(option: string, name: string): void {
  if (/(^|_)(PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|CREDENTIALS?|ACCESS_?KEY|AUTH)(_|$)/i.test(name)) {
    throw invalid(option, name, 'looks like a credential; ARG and ENV values are stored in the image history. Pass it with a secret mount (Mount.secret) instead');
  }
}

/**
 * The candidate closest to `value` when it is close enough to be a typo of it (case aside, at most
 * one edit for names of up to five characters, two for longer ones; a swap of two neighbours is one
 * edit), else undefined.
 */
export function closeMatch(value: string, candidates: string[]): string | undefined {
  let best: { candidate: string; distance: number } | undefined;
  for (const candidate of candidates) {
    const distance = editDistance(value.toLowerCase(), candidate.toLowerCase());
    if (candidate !== value && (!best || distance < best.distance)) best = { candidate, distance };
  }
  return best && best.distance <= (value.length > 5 ? 2 : 1) ? best.candidate : undefined;
}

/** Edits (insert, delete, replace, swap of neighbours) from `a` to `b`: optimal string alignment. */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}
