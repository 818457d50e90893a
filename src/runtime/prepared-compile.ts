import { compileConfig } from '../config/compile.js';
import type { CompileResult } from '../config/compile.js';

/**
 * A reception worker's compile of the epoch the owner is still compiling. The owner says
 * 'prepare' when its monitor sees the files change and 'epoch' once its own compile is live;
 * the worker compiles in between, on another core, so that the epoch is live here about when
 * it is in the owner instead of one compile later. The prepared result is used only for the
 * same epoch and the same files (content hash); otherwise the files are compiled again.
 */
export class PreparedCompile {
  private prepared: { epoch: number; result: Promise<CompileResult> } | undefined;

  constructor(private readonly configDir: string) {}

  /** Starts compiling the files as they are now, as `epoch` (a newer prepare replaces it); the compile's promise. */
  prepare(epoch: number): Promise<CompileResult> {
    const result = this.compile(epoch);
    // compileConfig reports bad files in its result; should it throw, the epoch's own compile
    // (forEpoch) runs instead, and nobody may be waiting on this one yet (an unhandled rejection)
    result.catch(() => undefined);
    this.prepared = { epoch, result };
    return result;
  }

  /** The compile for the announced epoch: the prepared one when it matches `hash`, else a new one. */
  async forEpoch(epoch: number, hash: string): Promise<CompileResult> {
    const p = this.take(epoch);
    if (p) {
      const res = await p.catch(() => undefined);
      if (res?.ok && res.snapshot.hash === hash) return res;
    }
    // no 'prepare', or the files changed again since: compile what is there now
    return this.compile(epoch);
  }

  /** Forgets a prepared compile of `epoch` (the epoch needs no compile here); returns it. */
  take(epoch: number): Promise<CompileResult> | undefined {
    const p = this.prepared;
    if (p?.epoch !== epoch) return undefined;
    this.prepared = undefined;
    return p.result;
  }

  private compile(epoch: number): Promise<CompileResult> {
    return compileConfig({ root: this.configDir, epoch, receptionOnly: true });
  }
}
