/**
 * The `barchan` command line. Its work is in cli/: `main.ts` takes the
 * arguments to a command and the command to an exit code, one file per
 * command beside it.
 *
 * ```sh
 * deno run -A cli.ts build [TARGET|@ALIAS ...] [-j N] [-C DIR]
 * ```
 *
 * @module
 */
import { main } from "./cli/main.ts";

export { main, VERSION } from "./cli/main.ts";

if (import.meta.main) Deno.exit(await main(Deno.args));
