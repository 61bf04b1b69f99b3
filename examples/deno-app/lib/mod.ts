/**
 * Text helpers for the greeter app.
 *
 * @module
 */
export { shout, titleCase } from "./text.ts";
