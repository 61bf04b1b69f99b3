/**
 * Rules, aliases and the build executor.
 *
 * @module
 */
export {};
