// The summary every CI run prints: one line per assertion ("ok …" / "FAIL …") and a final count.
import * as fs from 'fs';

export class Report {
  private passed = 0;
  private failed = 0;
  private readonly lines: string[] = [];

  /** @param file where the lines are also written (appended), e.g. the run's summary.txt */
  constructor(private readonly file?: string) {}

  /** Records one assertion; `detail` explains a failure (what was seen instead). */
  public check(ok: boolean, what: string, detail?: string): boolean {
    if (ok) {
      this.passed++;
      this.emit(`ok ${what}`);
    } else {
      this.failed++;
      this.emit(`FAIL ${what}${detail ? `\n     ${detail.replace(/\n/g, '\n     ')}` : ''}`);
    }
    return ok;
  }

  public ok(what: string): void {
    this.check(true, what);
  }

  public fail(what: string, detail?: string): void {
    this.check(false, what, detail);
  }

  /** A line that is not an assertion (timings, evidence). */
  public note(line: string): void {
    this.emit(`   ${line}`);
  }

  public get failures(): number {
    return this.failed;
  }

  public get successes(): number {
    return this.passed;
  }

  /** Adds another report's counts (one report per run, one for the whole invocation). */
  public absorb(other: Report): void {
    this.passed += other.passed;
    this.failed += other.failed;
  }

  public summary(): string {
    return `${this.passed} passed, ${this.failed} failed`;
  }

  public get text(): string {
    return this.lines.join('\n');
  }

  private emit(line: string): void {
    this.lines.push(line);
    console.log(line);
    if (this.file) fs.appendFileSync(this.file, line + '\n');
  }
}
