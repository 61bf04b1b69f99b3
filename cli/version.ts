/**
 * The package version, read from deno.json.
 *
 * @module
 */
import denoJson from "../deno.json" with { type: "json" };

/** The package version, as published. */
export const VERSION: string = denoJson.version;
