// `cargo leptos watch`, the dev loop, in a real browser: its build (no
// `--split`) hydrates and passes the smoke; an edit of the room page's view
// reaches the open tab by itself (live reload) and the composer still
// sends; Ctrl-C leaves no process behind. EDIT_LOOP_EDITS=N times N edits
// (bench/scripts/edit-loop.sh) from the save until the browser shows them.
import { test, expect, freePort } from '../tests/fixtures';
import { smoke } from '../tests/smoke';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(__dirname, '..', '..');
const page = join(root, 'app', 'src', 'pages', 'room.rs');
const stylesheet = join(root, 'style', 'main.css');
const startLine = '"This is the start of the room."';

/** Processes whose process group is `group` or whose command line names `text`. */
function processesOf(group: number, text: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const state = fields[0];
      const pgrp = Number(fields[2]);
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (state !== 'Z' && (pgrp === group || cmdline.includes(text))) found.push(`${pid}: ${cmdline}`);
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

async function until<T>(what: string, deadlineMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const found = await probe();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

test('cargo leptos watch: hydrates without --split, reloads the browser after an edit, stops cleanly', async ({ openUser, problems }) => {
  const original = readFileSync(page, 'utf8');
  const originalStyle = readFileSync(stylesheet, 'utf8');
  expect(original).toContain(startLine);
  const dataDir = mkdtempSync(join(tmpdir(), 'chat-watch-'));
  const log = join(dataDir, 'watch.log');
  const sitePort = await freePort();
  const reloadPort = await freePort();
  const url = `http://127.0.0.1:${sitePort}`;
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !/^(CHAT_|LEPTOS_|NATS_)/.test(key)),
  );
  const out = openSync(log, 'w');
  // Its own process group, as a terminal gives it: Ctrl-C reaches the group.
  const watch: ChildProcess = spawn('cargo', ['leptos', 'watch'], {
    cwd: root,
    detached: true,
    stdio: ['ignore', out, out],
    env: {
      ...inherited,
      LEPTOS_SITE_ADDR: `127.0.0.1:${sitePort}`,
      LEPTOS_RELOAD_PORT: String(reloadPort),
      CHAT_DATA_DIR: dataDir,
      CHAT_SEND_RATE: '0',
      RUST_LOG: 'warn',
    },
  });
  const group = watch.pid!;
  const exited = new Promise<void>((ok) => watch.once('exit', () => ok()));
  try {
    test.info().annotations.push({ type: 'log', description: log });
    console.log(`waiting for the first watch build (about 7 minutes from clean; log: ${log})`);
    await until('the watched server', 30 * 60_000, async () => {
      if (watch.exitCode !== null) throw new Error(`cargo leptos watch exited:\n${readFileSync(log, 'utf8').slice(-3000)}`);
      try {
        const r = await fetch(`${url}/healthz`);
        return r.ok ? true : undefined;
      } catch {
        return undefined;
      }
    });

    await smoke(url, openUser, `watch-smoke-${group}`);
    // From here the server restarts after each edit: the open tab's sockets
    // drop and reconnect, as they do for a developer.
    problems.allowed.push(/WebSocket connection to .* failed/, /Failed to load resource/);

    const { page: tab } = await openUser();
    const room = `watch-edit-${group}`;
    await tab.goto(`${url}/r/${room}`);
    await expect(tab.locator('.live-state')).toHaveAttribute('data-state', 'live');
    const edits = Number(process.env.EDIT_LOOP_EDITS ?? 1);
    for (let i = 1; i <= edits; i++) {
      const marker = `This is the start of the room (edit ${i}).`;
      const saved = Date.now();
      writeFileSync(page, original.replace(startLine, JSON.stringify(marker)));
      // waitFor watches the page continuously; expect's retries back off up
      // to a second apart, which would be timed as part of the edit.
      await tab.locator('.history-edge .start', { hasText: marker }).waitFor({ timeout: 5 * 60_000 });
      await tab.locator('.live-state[data-state=live]').waitFor({ timeout: 60_000 });
      const shown = (Date.now() - saved) / 1000;
      console.log(`edit ${i} shown in the browser after ${shown.toFixed(1)} s`);
      // The reloaded page is hydrated: its composer sends.
      const line = `after edit ${i}`;
      const box = tab.locator('.composer textarea');
      await box.fill(line);
      await box.press('Enter');
      await expect(box).toHaveValue('');
      await expect(tab.locator('.messages .message .body').last()).toHaveText(line);
    }

    // A stylesheet edit is swapped into the open page without a reload.
    await tab.evaluate(() => ((window as any).notReloaded = true));
    writeFileSync(stylesheet, `${originalStyle}\n.history-edge .start { outline: 3px solid rgb(1, 2, 3); }\n`);
    await expect(tab.locator('.history-edge .start')).toHaveCSS('outline-color', 'rgb(1, 2, 3)', { timeout: 60_000 });
    expect(await tab.evaluate(() => (window as any).notReloaded)).toBe(true);
  } finally {
    writeFileSync(page, original);
    writeFileSync(stylesheet, originalStyle);
    // Ctrl-C, as in a terminal: the whole foreground group gets SIGINT.
    if (watch.exitCode === null) process.kill(-group, 'SIGINT');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 30_000))]);
  }
  expect(watch.exitCode, 'cargo leptos watch stops on Ctrl-C').not.toBeNull();
  // Its server and that server's nats-server go with it.
  await until('the watched processes to end', 15_000, async () =>
    processesOf(group, dataDir).length === 0 ? true : undefined,
  ).catch(() => {
    const left = processesOf(group, dataDir);
    for (const line of left) process.kill(Number(line.split(':')[0]), 'SIGKILL');
    throw new Error(`processes left behind:\n${left.join('\n')}`);
  });
  rmSync(dataDir, { recursive: true, force: true });
});
