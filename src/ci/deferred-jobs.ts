import { IBuildPipeline } from '../contract';

/** Where a provider's jobs live: projen's workflow or CI configuration, by job id. */
export interface JobStore<J> {
  get(id: string): J | undefined;
  add(id: string, job: J): void;
  replace(id: string, job: J): void;
}

/**
 * A provider's jobs, written when they are next read rather than on every update: jobs list every
 * service, and rewriting them for each service that joins would make synthesis quadratic. A job the
 * provider wrote is replaced; one not there yet is added; one `.projenrc.ts` replaced or removed
 * stays so.
 */
export class DeferredJobs<J> {
  private pending?: IBuildPipeline;
  private flushing = false;
  /** The jobs as they were last written, to tell them from the ones `.projenrc.ts` replaced. */
  private readonly written: Map<string, J> = new Map();

  constructor(private readonly store: JobStore<J>, private readonly jobs: (pipeline: IBuildPipeline) => { [id: string]: J }) {}

  /** The pipeline changed: its jobs are written when they are next read. */
  public update(pipeline: IBuildPipeline): void {
    this.pending = pipeline;
  }

  /** Makes reading `holder[property]` (where the store keeps its jobs) write the pending jobs first. */
  public writeBeforeReading(holder: object, property: string): void {
    const value = (holder as any)[property];
    Object.defineProperty(holder, property, { configurable: true, get: () => { this.flush(); return value; } });
  }

  /** Writes the jobs of the last update, if they are not written yet. */
  private flush(): void {
    const pipeline = this.pending;
    // the jobs list services: they come with the first one
    if (!pipeline || this.flushing || pipeline.services.length === 0) return;
    this.flushing = true;
    try {
      for (const [id, job] of Object.entries(this.jobs(pipeline))) {
        const current = this.store.get(id);
        const mine = this.written.get(id);
        if (current !== undefined ? current !== mine : mine !== undefined) continue;
        if (current === undefined) this.store.add(id, job);
        else this.store.replace(id, job);
        this.written.set(id, this.store.get(id)!);
      }
      this.pending = undefined;
    } finally {
      this.flushing = false;
    }
  }
}
