// Fixtures: a real release server with embedded NATS per test, and pages
// that fail the test on any console error, page error or hydration warning.
import { test as base, expect, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from '@playwright/test';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync, statSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createServer } from 'node:net';

const root = resolve(__dirname, '..', '..');
const siteRoot = process.env.LEPTOS_SITE_ROOT ?? join(root, 'target', 'site');
// The server built with the WASM in target/site: the release server when
// the site holds the hashed files its hash.txt names (`scripts/build-release`;
// a later `cargo test` rebuilds the debug server, which cannot name them),
// else the one cargo-leptos built last (debug for `cargo leptos
// end-to-end`). CHAT_SERVER_BIN picks another.
const serverBin = process.env.CHAT_SERVER_BIN ?? serverOfSite() ?? newestServer();

function serverOfSite(): string | undefined {
  const release = join(root, 'target', 'release', 'server');
  const hashFile = join(root, 'target', 'release', 'hash.txt');
  if (!existsSync(release) || !existsSync(hashFile)) return undefined;
  const css = /css:\s*(\S+)/.exec(readFileSync(hashFile, 'utf8'))?.[1];
  return css && existsSync(join(siteRoot, 'pkg', `chat.${css}.css`)) ? release : undefined;
}

function newestServer(): string {
  const built = ['release', 'debug']
    .map((profile) => join(root, 'target', profile, 'server'))
    .filter((bin) => existsSync(bin))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  return built[0] ?? join(root, 'target', 'release', 'server');
}

export async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const probe = createServer();
    probe.once('error', fail);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => ok(port));
    });
  });
}

export class ChatServer {
  private child?: ChildProcess;
  private constructor(
    readonly port: number,
    readonly dataDir: string,
    private readonly extraEnv: Record<string, string>,
  ) {}

  /** `env` adds settings; the send limit is off unless a test sets it, as
   * the tests post their fixtures in bursts from one address. */
  static async start(env: Record<string, string> = {}): Promise<ChatServer> {
    if (!existsSync(serverBin)) {
      throw new Error(`${serverBin} is missing: run 'cargo leptos build --release' first`);
    }
    const server = new ChatServer(await freePort(), mkdtempSync(join(tmpdir(), 'chat-e2e-')), env);
    await server.launch();
    return server;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async launch(): Promise<void> {
    // Nothing of the shell's chat settings leaks into the server under test.
    const inherited = Object.fromEntries(
      Object.entries(process.env).filter(([key]) => !/^(CHAT_|LEPTOS_|NATS_)/.test(key)),
    );
    const env: NodeJS.ProcessEnv = {
      ...inherited,
      LEPTOS_SITE_ADDR: `127.0.0.1:${this.port}`,
      LEPTOS_SITE_ROOT: siteRoot,
      CHAT_DATA_DIR: this.dataDir,
      CHAT_SEND_RATE: '0',
      CHAT_NEW_ROOMS_PER_HOUR: '0',
      RUST_LOG: 'warn',
      ...this.extraEnv,
    };
    this.child = spawn(serverBin, [], {
      cwd: root,
      env,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    // cargo leptos end-to-end does not wait for readiness: we do.
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (this.child.exitCode !== null) throw new Error(`server exited with ${this.child.exitCode}`);
      try {
        const r = await fetch(`${this.url}/healthz`);
        if (r.ok) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error('server did not become healthy');
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** SIGTERM and wait: the server stops its NATS child too. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise<void>((ok) => child.once('exit', () => ok()));
    child.kill('SIGTERM');
    await exited;
    this.child = undefined;
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.launch();
  }

  async post(room: string, body: string, from = 'bot', id?: string): Promise<any> {
    const r = await fetch(`${this.url}/api/rooms/${room}/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: id ?? `e2e-${Math.random().toString(36).slice(2)}`, from, body }),
    });
    expect(r.status, await r.clone().text()).toBe(201);
    return r.json();
  }

  async history(room: string, query = ''): Promise<any[]> {
    const r = await fetch(`${this.url}/api/rooms/${room}/messages${query}`);
    expect(r.status).toBe(200);
    return (await r.json()).messages;
  }

  async rooms(): Promise<any[]> {
    return (await fetch(`${this.url}/api/rooms`)).json();
  }

  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}

/** Console messages that a test expects (e.g. while the server is down). */
export type Allowance = RegExp;

/** The page's own code: the hydration script, its WASM and split parts. */
function isPageCode(url: string): boolean {
  return /\/pkg\/[^?]*\.(js|wasm)(\?|$)/.test(url);
}

export class BrowserProblems {
  readonly seen: string[] = [];
  readonly allowed: Allowance[] = [];

  watch(page: Page): Page {
    page.on('pageerror', (e) => this.seen.push(`page error: ${e.message}`));
    // A page whose script or WASM does not load renders but never hydrates:
    // a missing or unresolvable module is a failure of its own, whatever the
    // console says.
    page.on('requestfailed', (r) => {
      const why = r.failure()?.errorText ?? '';
      // Aborted: the page navigated away (a reload) while it loaded. csp: a
      // context with JavaScript off, where Chromium fetches no script.
      if (isPageCode(r.url()) && !why.includes('ERR_ABORTED') && why !== 'csp') {
        this.seen.push(`module load failed: ${r.url()} (${why})`);
      }
    });
    page.on('response', (r) => {
      if (isPageCode(r.url()) && r.status() >= 400) this.seen.push(`module load failed: ${r.url()} (${r.status()})`);
    });
    page.on('console', (m) => {
      const text = m.text();
      const hydration = /hydrat/i.test(text);
      if ((m.type() === 'error' || hydration) && !this.allowed.some((a) => a.test(text))) {
        this.seen.push(`console ${m.type()}: ${text}`);
      }
    });
    page.on('dialog', (d) => {
      this.seen.push(`dialog opened: ${d.message()}`);
      void d.dismiss();
    });
    return page;
  }
}

type Fixtures = {
  server: ChatServer;
  problems: BrowserProblems;
  /** A new browser context (a separate "user") whose pages are watched. */
  openUser: (options?: BrowserContextOptions) => Promise<{ context: BrowserContext; page: Page }>;
};

export const test = base.extend<Fixtures>({
  server: async ({}, use) => {
    const server = await ChatServer.start();
    await use(server);
    await server.dispose();
  },
  problems: async ({}, use) => {
    const problems = new BrowserProblems();
    await use(problems);
    expect(problems.seen, 'console errors, page errors, dialogs or hydration warnings').toEqual([]);
  },
  // Every page of every context a test uses is watched, including tabs a
  // test opens itself.
  context: async ({ context, problems }, use) => {
    context.on('page', (p) => problems.watch(p));
    await use(context);
  },
  openUser: async ({ browser, problems }, use) => {
    const contexts: BrowserContext[] = [];
    await use(async (options) => {
      const context = await browser.newContext(options);
      contexts.push(context);
      context.on('page', (p) => problems.watch(p));
      const page = await context.newPage();
      return { context, page };
    });
    for (const context of contexts) await context.close();
  },
});

export { expect };

export const messageBodies = (page: Page) => page.locator('.messages .message .body');

/** Opens a room and waits until its live socket is connected. */
export async function openRoom(page: Page, server: ChatServer, room: string): Promise<void> {
  await page.goto(`${server.url}/r/${room}`);
  await expect(page.locator('.live-state')).toHaveAttribute('data-state', 'live');
}

export async function sendFromComposer(page: Page, text: string): Promise<void> {
  const box = page.locator('.composer textarea');
  await box.fill(text);
  await box.press('Enter');
}

/** Registers `name` in this page's browser context (logged in after). */
export async function register(page: Page, url: string, name: string, password = 'correct horse'): Promise<void> {
  await page.goto(`${url}/register`);
  await page.getByLabel('Name').fill(name);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page).toHaveURL(`${url}/`);
}

export function uniqueRoom(prefix: string): string {
  return `${prefix}-${Math.random().toString(36).slice(2, 8)}`;
}

export type { Browser };
