import { titleCase } from "@app/lib";

/** The greeting for a name. */
export function greeting(name: string): string {
  return `Hello, ${titleCase(name)}`;
}
