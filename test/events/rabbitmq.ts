// A private RabbitMQ for tests: its own node name, data and log dirs in a temp dir, and free
// loopback ports for AMQP, Erlang distribution and epmd (an epmd of our own, so nothing is
// shared with a system broker). Started and stopped as process groups we own.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import amqp from 'amqplib';
import { freePort } from '../helpers/ports.js';
import { tempTree } from '../helpers/tmp.js';

export const RABBITMQ_BIN = '/usr/lib/rabbitmq/bin/rabbitmq-server';

export interface Rabbit {
  readonly port: number;
  readonly url: string;
  /** the broker's output, for failure messages */
  readonly output: string[];
  stop(): Promise<void>;
  start(): Promise<void>;
  /** freezes the broker (SIGSTOP to its process group): connections stay open, nothing is answered */
  pause(): void;
  resume(): void;
  /** stops everything and removes the temp dir */
  cleanup(): Promise<void>;
}

async function distinctPorts(n: number): Promise<number[]> {
  const out = new Set<number>();
  while (out.size < n) out.add(await freePort());
  return [...out];
}

function stopGroup(child: ChildProcess | undefined, timeoutMs: number): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    }, timeoutMs);
    child.once('exit', () => {
      clearTimeout(t);
      resolve();
    });
    try {
      process.kill(-child.pid!, 'SIGTERM');
    } catch {
      resolve();
    }
  });
}

export async function startRabbit(): Promise<Rabbit> {
  const tree = tempTree({}, 'kumo-ts-rabbit-');
  const base = tree.dir;
  const [port, dist, epmdPort] = await distinctPorts(3);
  for (const d of ['mnesia', 'log', 'home']) mkdirSync(join(base, d), { recursive: true });
  writeFileSync(join(base, 'enabled_plugins'), '[].\n');
  writeFileSync(join(base, 'rabbitmq-env.conf'), '');
  writeFileSync(join(base, 'rabbitmq.conf'), 'loopback_users = none\nlog.console = true\nlog.console.level = info\nlog.file = false\n');
  writeFileSync(join(base, 'home', '.erlang.cookie'), randomBytes(16).toString('hex'), { mode: 0o600 });
  const node = `kumots${randomBytes(4).toString('hex')}@localhost`;
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: join(base, 'home'),
    LANG: 'C.UTF-8',
    RABBITMQ_NODENAME: node,
    RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
    RABBITMQ_NODE_PORT: String(port),
    RABBITMQ_DIST_PORT: String(dist),
    ERL_EPMD_PORT: String(epmdPort),
    ERL_EPMD_ADDRESS: '127.0.0.1',
    RABBITMQ_MNESIA_BASE: join(base, 'mnesia'),
    RABBITMQ_LOG_BASE: join(base, 'log'),
    RABBITMQ_CONFIG_FILE: join(base, 'rabbitmq.conf'),
    RABBITMQ_ENABLED_PLUGINS_FILE: join(base, 'enabled_plugins'),
    RABBITMQ_CONF_ENV_FILE: join(base, 'rabbitmq-env.conf'),
    RABBITMQ_PID_FILE: join(base, 'rabbit.pid'),
    RABBITMQ_PLUGINS_EXPAND_DIR: join(base, 'plugins-expand'),
  };
  const output: string[] = [];
  const collect = (c: ChildProcess) => {
    c.stdout!.on('data', (d: Buffer) => output.push(d.toString()));
    c.stderr!.on('data', (d: Buffer) => output.push(d.toString()));
  };
  const epmd = spawn('epmd', ['-port', String(epmdPort), '-address', '127.0.0.1'], { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  collect(epmd);
  let server: ChildProcess | undefined;
  const url = `amqp://guest:guest@127.0.0.1:${port}/`;

  const rabbit: Rabbit = {
    port,
    url,
    output,
    async start() {
      server = spawn(RABBITMQ_BIN, [], { env, cwd: base, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
      collect(server);
      const t0 = Date.now();
      // ready when an AMQP connection works
      for (;;) {
        if (server.exitCode !== null) throw new Error(`rabbitmq-server exited (${server.exitCode}):\n${output.join('').slice(-3000)}`);
        try {
          const c = await amqp.connect(url, { timeout: 2_000 });
          await c.close();
          return;
        } catch {
          if (Date.now() - t0 > 90_000) throw new Error(`rabbitmq-server not ready after 90 s:\n${output.join('').slice(-3000)}`);
          await new Promise((r) => setTimeout(r, 250));
        }
      }
    },
    pause() {
      process.kill(-server!.pid!, 'SIGSTOP');
    },
    resume() {
      process.kill(-server!.pid!, 'SIGCONT');
    },
    async stop() {
      if (server?.pid !== undefined && server.exitCode === null) process.kill(-server.pid, 'SIGCONT');
      await stopGroup(server, 30_000);
      server = undefined;
    },
    async cleanup() {
      await rabbit.stop();
      await stopGroup(epmd, 5_000);
      tree.cleanup();
    },
  };
  await rabbit.start();
  return rabbit;
}
