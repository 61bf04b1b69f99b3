// The environment of the client a build server builds for: builds read
// variables through the process's environment (memo's `env`, build.ts's
// `Deno.env`, the commands spawned, which inherit it), so the server makes
// its own environment the client's for each build.

/**
 * Makes this process's environment `env`: variables it lacks are removed,
 * the others set.
 * @param env The environment to take.
 * @returns The names of the variables whose value changed (or that appeared or went).
 */
export function takeEnvironment(env: Readonly<Record<string, string>>): string[] {
  const changed: string[] = [];
  for (const name of Object.keys(Deno.env.toObject())) {
    if (Object.hasOwn(env, name)) continue;
    Deno.env.delete(name);
    changed.push(name);
  }
  for (const [name, value] of Object.entries(env)) {
    if (Deno.env.get(name) === value) continue;
    try {
      Deno.env.set(name, value);
      changed.push(name);
    } catch {
      // A name the system does not take (with "=" or NUL): no build can read it either.
    }
  }
  return changed;
}
