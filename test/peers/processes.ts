/**
 * Child processes for the test peers: each in its own process group, stopped by `stop()` and killed
 * when the test process exits, so a failing test never leaves a server behind.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { connect, createServer } from 'node:net';

/** Something that runs cleanups after a test or suite: node:test's `t`. */
export interface CleanupContext {
  after(fn: () => unknown): void;
}

export interface PeerProcess {
  readonly child: ChildProcess;
  /** Everything the process wrote to stderr so far (for failure messages). */
  stderr(): string;
  /** Resolves with the first line on stdout; rejects if the process exits or times out first. */
  firstLine(timeoutMs: number): Promise<string>;
  /** Resolves once 127.0.0.1:port accepts connections; rejects if the process exits or times out first. */
  waitForPort(port: number, timeoutMs: number): Promise<void>;
  /** SIGTERM to the process group, SIGKILL after 3 s. Idempotent. */
  stop(): Promise<void>;
}

const live = new Set<ChildProcess>();

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // Already gone.
  }
}

process.on('exit', () => {
  for (const child of live) killGroup(child, 'SIGKILL');
});

// The server runs under a small sh guard holding our end of a pipe: when the pipe closes (stop(), or
// this process dying in any way, SIGKILL and Ctrl-C included) the guard kills the server. The guard
// exits with the server's status, so an early crash is still seen at once.
const GUARD =
  'exec 3<&0; "$@" </dev/null & server=$!; { cat <&3 >/dev/null; kill "$server" 2>/dev/null; } & exec 3<&-; wait "$server"';

/** Starts `command` in its own process group with exactly `env`; it dies with this process. */
export function startProcess(name: string, command: string, args: string[], env: NodeJS.ProcessEnv): PeerProcess {
  const child = spawn('sh', ['-c', GUARD, name, command, ...args], {
    env,
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true,
  });
  live.add(child);
  let stderr = '';
  let stdout = '';
  // Both pipes are always drained, so a chatty server never blocks on a full pipe.
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-20_000);
  });
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    if (stdout.length < 20_000) stdout += chunk;
  });
  const exited = new Promise<void>((resolve) => {
    child.on('exit', () => {
      live.delete(child);
      resolve();
    });
    child.on('error', (err) => {
      stderr += `\n${err.message}`;
      live.delete(child);
      resolve();
    });
  });
  const failure = (what: string) => new Error(`${name} ${what}; stderr:\n${stderr.trim() || '(empty)'}`);

  function untilExitOr<T>(work: Promise<T>, timeoutMs: number, what: string): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(failure(`did not ${what} within ${timeoutMs} ms`)), timeoutMs);
    });
    const died = exited.then((): never => {
      throw failure(`exited (code ${child.exitCode}) before it could ${what}`);
    });
    return Promise.race([work, timeout, died]).finally(() => clearTimeout(timer));
  }

  let stopping: Promise<void> | undefined;
  return {
    child,
    stderr: () => stderr,
    firstLine(timeoutMs) {
      const line = new Promise<string>((resolve) => {
        const check = () => {
          const end = stdout.indexOf('\n');
          if (end < 0) return;
          child.stdout?.off('data', check);
          resolve(stdout.slice(0, end));
        };
        child.stdout?.on('data', check);
        check();
      });
      return untilExitOr(line, timeoutMs, 'print its first line');
    },
    waitForPort(port, timeoutMs) {
      let done = false;
      const ready = new Promise<void>((resolve) => {
        const attempt = () => {
          if (done) return;
          const socket = connect(port, '127.0.0.1');
          socket.once('connect', () => {
            socket.destroy();
            resolve();
          });
          // Not listening yet: the server is still importing; try again shortly.
          socket.once('error', () => setTimeout(attempt, 25));
        };
        attempt();
      });
      return untilExitOr(ready, timeoutMs, `listen on port ${port}`).finally(() => {
        done = true;
      });
    },
    stop() {
      stopping ??= (async () => {
        child.stdin?.destroy();
        killGroup(child, 'SIGTERM');
        const timer = setTimeout(() => killGroup(child, 'SIGKILL'), 3000);
        await exited;
        clearTimeout(timer);
      })();
      return stopping;
    },
  };
}

/** A port that is free on 127.0.0.1 right now (bind port 0, read it, release it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address !== null && typeof address === 'object') resolve(address.port);
        else reject(new Error('could not pick a free port'));
      });
    });
  });
}

export interface CommandResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion with exactly `env`; never throws on a non-zero exit. */
export function runCommand(
  command: string,
  args: string[],
  options: { env: NodeJS.ProcessEnv; input?: string; timeoutMs?: number; cwd?: string },
): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: options.env, cwd: options.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(options.input ?? '');
  });
}
