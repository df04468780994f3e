import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';

/** The parts of a V8 CPU profile (Profiler.Profile) a summary reads. */
export interface CpuProfile {
  readonly nodes: readonly {
    readonly id: number;
    readonly hitCount?: number;
    readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  }[];
  readonly startTime: number;
  readonly endTime: number;
  readonly samples?: readonly number[];
}

/** V8's sampling profiler on this process, through the inspector (same output as `node --cpu-prof`). */
export class CpuProfiler {
  private constructor(private readonly session: Session) {}

  static async open(): Promise<CpuProfiler> {
    const session = new Session();
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: 200 });
    return new CpuProfiler(session);
  }

  async start(): Promise<void> {
    await this.session.post('Profiler.start');
  }

  /** Stops sampling and writes the profile (open it in Chrome DevTools or speedscope). */
  async stop(file: string): Promise<CpuProfile> {
    const { profile } = await this.session.post('Profiler.stop');
    await writeFile(file, JSON.stringify(profile));
    return profile as CpuProfile;
  }

  close(): void {
    this.session.disconnect();
  }
}
