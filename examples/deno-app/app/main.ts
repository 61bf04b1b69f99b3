import { VERSION } from "../_build/gen/version.ts";
import { greeting } from "./greeting.ts";

console.log(`${greeting(Deno.args[0] ?? "world")} (greeter ${VERSION})`);
