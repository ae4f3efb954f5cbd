// Running commands for the CI runs: output goes to a log file (one per job), never to the console.
import { spawnSync, SpawnSyncOptions } from 'child_process';
import * as fs from 'fs';

export interface RunOptions {
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** appended to; stdout and stderr both go there */
  readonly log?: string;
  readonly input?: string;
  /** @default 60 minutes */
  readonly timeoutMs?: number;
}

export interface RunResult {
  readonly status: number;
  readonly stdout: string;
}

/** Runs a command, its output appended to `log` (stdout is also returned when no log is given). */
export function run(cmd: string, args: readonly string[], options: RunOptions = {}): RunResult {
  const fd = options.log ? fs.openSync(options.log, 'a') : undefined;
  try {
    const spawnOptions: SpawnSyncOptions = {
      cwd: options.cwd,
      env: options.env ?? process.env,
      input: options.input,
      timeout: options.timeoutMs ?? 60 * 60 * 1000,
      stdio: [options.input !== undefined ? 'pipe' : 'ignore', fd ?? 'pipe', fd ?? 'pipe'],
      maxBuffer: 256 * 1024 * 1024,
    };
    const r = spawnSync(cmd, args, spawnOptions);
    if (r.error) {
      if (fd !== undefined) fs.writeSync(fd, `${cmd}: ${r.error.message}\n`);
      return { status: 127, stdout: '' };
    }
    return { status: r.status ?? 128, stdout: r.stdout ? r.stdout.toString() : '' };
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** Runs a command and returns its stdout; throws with its stderr when it fails. */
export function capture(cmd: string, args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string } = {}): string {
  const r = spawnSync(cmd, args, { cwd: options.cwd, env: options.env ?? process.env, input: options.input, maxBuffer: 256 * 1024 * 1024 });
  if (r.error) throw r.error;
  if (r.status !== 0) {
    throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr.toString().trim()}`);
  }
  return r.stdout.toString();
}

export function appendLog(log: string, text: string): void {
  fs.appendFileSync(log, text.endsWith('\n') ? text : text + '\n');
}

/** "12.3 s" */
export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
