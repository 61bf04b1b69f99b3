/**
 * What a memo function of the library (such as `moduleGraph`) may use of
 * the build it runs in: its scheduler, its cancellation, a way to build a
 * path some rule produces. nodes.ts provides them; the library reads them
 * here, without importing the build's machinery.
 *
 * @module
 */
import type { Scheduler } from "../../fiber/mod.ts";

/** The services of a build, for a memo function running in it. */
export interface BuildServices {
  /** The project root. */
  readonly root: string;
  /** Runs its commands, in job slots. */
  readonly scheduler: Scheduler;
  /** Aborted when the build is cancelled. */
  readonly signal: AbortSignal;
  /**
   * Brings a path up to date when a rule produces it, as a dependency of
   * the running memo call.
   * @returns Whether a rule produces it.
   */
  produce(path: string): Promise<boolean>;
}

let provider: (() => BuildServices | undefined) | undefined;

/**
 * Says where the services come from (nodes.ts, once).
 * @param find Gives the services of the build the running memo call is part of.
 */
export function provideBuildServices(find: () => BuildServices | undefined): void {
  provider = find;
}

/**
 * The build the running memo call is part of, if any: outside a build (a
 * script's own engine) there is none.
 * @returns Its services, or undefined.
 *
 * @example Outside a build there are none
 * ```ts
 * import { buildServices } from "./build_services.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(buildServices(), undefined);
 * ```
 */
export function buildServices(): BuildServices | undefined {
  return provider?.();
}
