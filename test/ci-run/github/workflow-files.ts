// GITHUB_ENV, GITHUB_OUTPUT, GITHUB_PATH and GITHUB_STEP_SUMMARY: real files that a step writes and
// the runner applies after the step, as GitHub's runner does (actions/runner, FileCommandManager).
import { randomUUID } from 'crypto';
import * as fs from 'fs';

/**
 * Parses the `name=value` and `name<<DELIMITER … DELIMITER` lines of a GITHUB_ENV or GITHUB_OUTPUT file.
 * Like the runner: empty lines are skipped, a heredoc's value is its lines joined with "\n", and a
 * missing delimiter or a line of neither form is an error.
 */
export function parseKeyValueFile(text: string, what: string): Map<string, string> {
  const out = new Map<string, string>();
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line === '') continue;
    const eq = line.indexOf('=');
    const heredoc = line.indexOf('<<');
    if (eq > 0 && (heredoc < 0 || eq < heredoc)) {
      out.set(line.slice(0, eq), line.slice(eq + 1));
    } else if (heredoc > 0) {
      const name = line.slice(0, heredoc);
      const delimiter = line.slice(heredoc + 2);
      if (!delimiter) throw new Error(`${what}: invalid format '${line}': the delimiter is empty`);
      const value: string[] = [];
      let closed = false;
      for (i++; i < lines.length; i++) {
        if (lines[i] === delimiter) {
          closed = true;
          break;
        }
        value.push(lines[i]);
      }
      if (!closed) throw new Error(`${what}: invalid value for '${name}': matching delimiter not found '${delimiter}'`);
      out.set(name, value.join('\n'));
    } else {
      throw new Error(`${what}: invalid format '${line}'`);
    }
  }
  return out;
}

/** The directories a GITHUB_PATH file adds (one a line), in the order they end up first on PATH. */
export function parsePathFile(text: string): string[] {
  return text.split(/\r?\n/).map(l => l.trim()).filter(Boolean).reverse();
}

/** Writes `name` as @actions/core does (a heredoc with a random delimiter), for the stand-ins. */
export function appendKeyValue(file: string, name: string, value: string): void {
  const delimiter = `ghadelimiter_${randomUUID()}`;
  fs.appendFileSync(file, `${name}<<${delimiter}\n${value}\n${delimiter}\n`);
}

/** The files of one step: fresh and empty before it runs. */
export interface StepFiles {
  readonly env: string;
  readonly output: string;
  readonly path: string;
  readonly summary: string;
}

export function createStepFiles(dir: string, step: number): StepFiles {
  fs.mkdirSync(dir, { recursive: true });
  const files = {
    env: `${dir}/set_env_${step}`,
    output: `${dir}/set_output_${step}`,
    path: `${dir}/add_path_${step}`,
    summary: `${dir}/step_summary_${step}`,
  };
  for (const f of Object.values(files)) fs.writeFileSync(f, '');
  return files;
}

/** Environment variables a step may not set through GITHUB_ENV (the runner refuses them). */
export const PROTECTED_ENV = ['NODE_OPTIONS'];
