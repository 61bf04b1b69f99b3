// A real nginx for the remote cache tests, started from a config written in a
// temporary prefix and stopped by its pid.
//
// Two servers on 127.0.0.1, each a WebDAV root as Bazel's HTTP cache protocol
// needs (GET, HEAD, PUT with directories created on the way):
// - `url`: anyone reads and writes;
// - `authUrl`: anyone reads, writes need basic auth as `user`/`password`.
// Tests registered with `nginxTest` are skipped, with a printed note, only
// when nginx is not installed (`.ci/run` installs nginx-light).

/** The nginx binary: on PATH or in /usr/sbin (often off a user's PATH), if installed. */
export const NGINX: string | undefined = _findNginx();

function _findNginx(): string | undefined {
  const dirs = [...(Deno.env.get("PATH") ?? "").split(":"), "/usr/sbin", "/usr/local/sbin"];
  for (const dir of dirs) {
    if (dir === "") continue;
    try {
      const info = Deno.statSync(`${dir}/nginx`);
      if (info.isFile && ((info.mode ?? 0) & 0o111) !== 0) return `${dir}/nginx`;
    } catch {
      // Not there.
    }
  }
  return undefined;
}

/** A running nginx. */
export interface NginxServer {
  /** The open server's URL, ending without a slash. */
  url: string;
  /** The server whose writes need basic auth. */
  authUrl: string;
  /** The basic-auth user of `authUrl`. */
  user: string;
  /** Its password. */
  password: string;
  /** The directory `url` serves. */
  root: string;
  /** The directory `authUrl` serves. */
  authRoot: string;
  /** The master process's pid. */
  pid: number;
  /** Stops nginx (SIGTERM, then SIGKILL after 5 s); calling it again does nothing. */
  stop(): Promise<void>;
}

const USER = "ci";
const PASSWORD = "s3cret pass";

/** Starts nginx in a new temporary prefix and waits until both servers accept connections. */
export async function startNginx(): Promise<NginxServer> {
  if (NGINX === undefined) throw new Error("Cannot start nginx: it is not installed");
  const prefix = await Deno.makeTempDir({ prefix: "barchan_nginx_" });
  const root = `${prefix}/root`;
  const authRoot = `${prefix}/auth-root`;
  await Deno.mkdir(root);
  await Deno.mkdir(authRoot);
  await Deno.mkdir(`${prefix}/temp`);
  await Deno.writeTextFile(`${prefix}/htpasswd`, `${USER}:${await _passwordHash(PASSWORD)}\n`);
  const [port, authPort] = [_freePort(), _freePort()];
  await Deno.writeTextFile(`${prefix}/nginx.conf`, _config(prefix, root, authRoot, port, authPort));
  const child = new Deno.Command(NGINX, {
    args: ["-p", prefix, "-c", `${prefix}/nginx.conf`, "-e", `${prefix}/error.log`],
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  let stopped: Promise<void> | undefined;
  const server: NginxServer = {
    url: `http://127.0.0.1:${port}`,
    authUrl: `http://127.0.0.1:${authPort}`,
    user: USER,
    password: PASSWORD,
    root,
    authRoot,
    pid: child.pid,
    stop: () => stopped ??= _stop(child, prefix),
  };
  try {
    await _waitForPorts(child, prefix, [port, authPort]);
  } catch (error) {
    await server.stop();
    throw error;
  }
  return server;
}

/**
 * Registers a test that gets a fresh nginx, stopped in a `finally`; when
 * nginx is not installed, the test is skipped with a note.
 */
export function nginxTest(name: string, fn: (nginx: NginxServer) => Promise<void>): void {
  if (NGINX === undefined) {
    console.log(`note: nginx is not installed; skipping "${name}" (.ci/run installs nginx-light)`);
  }
  Deno.test({
    name,
    ignore: NGINX === undefined,
    async fn() {
      const nginx = await startNginx();
      try {
        await fn(nginx);
      } finally {
        await nginx.stop();
      }
    },
  });
}

function _config(prefix: string, root: string, authRoot: string, port: number, authPort: number) {
  // A master running as root would start its workers as nobody, who cannot
  // write to our temporary directories.
  const user = Deno.uid() === 0 ? "user root;\n" : "";
  const dav = `
    dav_methods PUT DELETE;
    create_full_put_path on;
    client_max_body_size 0;`;
  return `${user}daemon off;
worker_processes 1;
pid ${prefix}/nginx.pid;
error_log ${prefix}/error.log warn;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path ${prefix}/temp/body;
  proxy_temp_path ${prefix}/temp/proxy;
  fastcgi_temp_path ${prefix}/temp/fastcgi;
  uwsgi_temp_path ${prefix}/temp/uwsgi;
  scgi_temp_path ${prefix}/temp/scgi;
  server {
    listen 127.0.0.1:${port};
    root ${root};${dav}
  }
  server {
    listen 127.0.0.1:${authPort};
    root ${authRoot};${dav}
    location / {
      limit_except GET HEAD {
        auth_basic "barchan cache";
        auth_basic_user_file ${prefix}/htpasswd;
      }
    }
  }
}
`;
}

/** An htpasswd hash: Apache's MD5 crypt from openssl, else nginx's `{PLAIN}` scheme. */
async function _passwordHash(password: string): Promise<string> {
  try {
    const out = await new Deno.Command("openssl", { args: ["passwd", "-apr1", password] }).output();
    if (out.success) return new TextDecoder().decode(out.stdout).trim();
  } catch {
    // No openssl.
  }
  return `{PLAIN}${password}`;
}

function _freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();
  return port;
}

async function _waitForPorts(child: Deno.ChildProcess, prefix: string, ports: number[]) {
  let exited = false;
  child.status.then(() => exited = true);
  const deadline = Date.now() + 10_000;
  for (const port of ports) {
    for (;;) {
      try {
        (await Deno.connect({ hostname: "127.0.0.1", port })).close();
        break;
      } catch {
        if (exited || Date.now() > deadline) {
          const log = await Deno.readTextFile(`${prefix}/error.log`).catch(() => "");
          throw new Error(
            `nginx did not ${
              exited ? "stay up" : "listen on port " + port + " within 10 s"
            }: ${log}`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }
  }
}

async function _stop(child: Deno.ChildProcess, prefix: string): Promise<void> {
  const workers = await _children(child.pid);
  try {
    child.kill("SIGTERM");
  } catch {
    // Already exited.
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  const exited = await Promise.race([
    child.status.then(() => true),
    new Promise<false>((resolve) => timer = setTimeout(() => resolve(false), 5_000)),
  ]);
  clearTimeout(timer);
  if (!exited) {
    for (const pid of [child.pid, ...workers]) {
      try {
        Deno.kill(pid, "SIGKILL");
      } catch {
        // Gone.
      }
    }
    await child.status;
  }
  await Deno.remove(prefix, { recursive: true });
}

/** The pids of a process's children, from /proc. */
async function _children(pid: number): Promise<number[]> {
  try {
    const text = await Deno.readTextFile(`/proc/${pid}/task/${pid}/children`);
    return text.split(" ").filter((s) => s !== "").map(Number);
  } catch {
    return [];
  }
}
