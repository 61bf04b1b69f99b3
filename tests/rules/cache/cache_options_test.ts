import assert from "node:assert/strict";
import {
  actionCacheOptionsFromEnv,
  cacheNamespaceFromEnv,
} from "../../../rules/cache/cache_options.ts";

function envOf(vars: Record<string, string>): (name: string) => string | undefined {
  return (name) => vars[name];
}

const HOME = { HOME: "/home/ada" };

Deno.test("actionCacheOptionsFromEnv() gives a local cache under HOME by default, nothing remote", () => {
  assert.deepEqual(actionCacheOptionsFromEnv(envOf(HOME)), {
    enabled: true,
    cacheDir: "/home/ada/.cache/barchan",
    maxSize: 10 * 1024 ** 3,
  });
});

Deno.test("actionCacheOptionsFromEnv() reads every variable, and each flag wins over its variable", () => {
  const env = envOf({
    ...HOME,
    BARCHAN_CACHE_DIR: "/srv/cache",
    BARCHAN_CACHE_MAX: "500M",
    BARCHAN_REMOTE_CACHE: "http://cache.internal/barchan",
    BARCHAN_REMOTE_CACHE_UPLOAD: "1",
    BARCHAN_REMOTE_INSTANCE: "main",
    BARCHAN_REMOTE_CACHE_HEADERS: "Authorization=Bearer t0ken",
    BARCHAN_CACHE_TRUSTED_KEYS: "/etc/barchan/keys",
    BARCHAN_CACHE_SIGNING_KEY: "-----BEGIN PRIVATE KEY-----\nMC4...\n-----END PRIVATE KEY-----\n",
  });
  const fromEnv = actionCacheOptionsFromEnv(env);
  assert.deepEqual(fromEnv, {
    enabled: true,
    cacheDir: "/srv/cache",
    maxSize: 500 * 1024 ** 2,
    remote: "http://cache.internal/barchan",
    upload: true,
    instance: "main",
    headers: { authorization: "Bearer t0ken" },
    trustedKeys: "/etc/barchan/keys",
    signingKey: "-----BEGIN PRIVATE KEY-----\nMC4...\n-----END PRIVATE KEY-----",
  });
  const fromFlags = actionCacheOptionsFromEnv(env, {
    cacheDir: "/tmp/c",
    remoteCache: "grpcs://remote.example.com",
    remoteInstance: "pr",
    cacheTrustedKeys: "keys/ci.pub",
    cacheSigningKey: "/run/secrets/ci.key",
  });
  assert.equal(fromFlags.cacheDir, "/tmp/c");
  assert.equal(fromFlags.remote, "grpcs://remote.example.com");
  assert.equal(fromFlags.instance, "pr");
  assert.equal(fromFlags.trustedKeys, `${Deno.cwd()}/keys/ci.pub`);
  assert.equal(fromFlags.signingKey, "/run/secrets/ci.key");
});

Deno.test("actionCacheOptionsFromEnv() turns the cache off with --no-cache or BARCHAN_CACHE=off, needing no HOME", () => {
  assert.deepEqual(actionCacheOptionsFromEnv(envOf({}), { noCache: true }), { enabled: false });
  assert.deepEqual(actionCacheOptionsFromEnv(envOf({ BARCHAN_CACHE: "off" })), { enabled: false });
});

Deno.test("actionCacheOptionsFromEnv() uploads only when asked, by the flag or BARCHAN_REMOTE_CACHE_UPLOAD=1", () => {
  const remote = { ...HOME, BARCHAN_REMOTE_CACHE: "http://cache" };
  assert.equal(actionCacheOptionsFromEnv(envOf(remote)).upload, undefined);
  assert.equal(
    actionCacheOptionsFromEnv(envOf({ ...remote, BARCHAN_REMOTE_CACHE_UPLOAD: "0" })).upload,
    undefined,
  );
  assert.equal(actionCacheOptionsFromEnv(envOf(remote), { remoteCacheUpload: true }).upload, true);
  assert.throws(
    () => actionCacheOptionsFromEnv(envOf({ ...remote, BARCHAN_REMOTE_CACHE_UPLOAD: "maybe" })),
    /BARCHAN_REMOTE_CACHE_UPLOAD="maybe": expected 1 or 0/,
  );
});

Deno.test("actionCacheOptionsFromEnv() refuses a remote cache URL of another scheme, hiding its password", () => {
  assert.throws(
    () => actionCacheOptionsFromEnv(envOf(HOME), { remoteCache: "ftp://u:secret@host/cache" }),
    (error: Error) =>
      /"ftp:\/\/host\/cache" as a remote cache/.test(error.message) &&
      !error.message.includes("secret"),
  );
  assert.throws(
    () => actionCacheOptionsFromEnv(envOf({ ...HOME, BARCHAN_REMOTE_CACHE: "cache:8080" })),
    /as a remote cache: write an http:\/\//,
  );
});

Deno.test("cacheNamespaceFromEnv() takes the flag, else BARCHAN_CACHE_NAMESPACE, and checks the name", () => {
  const env = envOf({ BARCHAN_CACHE_NAMESPACE: "main" });
  assert.equal(cacheNamespaceFromEnv(envOf({})), "");
  assert.equal(cacheNamespaceFromEnv(env), "main");
  assert.equal(cacheNamespaceFromEnv(env, { cacheNamespace: "pr-12" }), "pr-12");
  assert.throws(() => cacheNamespaceFromEnv(env, { cacheNamespace: "x".repeat(129) }), /namespace/);
  assert.throws(() => cacheNamespaceFromEnv(env, { cacheNamespace: "a\nb" }), /namespace/);
});
