/**
 * Where barchan keeps a project's state.
 *
 * @module
 */

/** Where barchan keeps its state (store, outputs record, locks), relative to the project root. */
export const STATE_DIR = "_build/.barchan";
