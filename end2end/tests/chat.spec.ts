import { test, expect, openRoom, sendFromComposer, messageBodies, uniqueRoom } from './fixtures';
import { join } from 'node:path';

const screenshots = join(__dirname, '..', '..', 'docs', 'screenshots');

test('1. a line sent with Enter fans out to another session; the draft clears; an empty line sends nothing', async ({ server, openUser }) => {
  const room = uniqueRoom('fanout');
  const alice = await openUser();
  const bob = await openUser();
  await openRoom(alice.page, server, room);
  await openRoom(bob.page, server, room);

  await sendFromComposer(alice.page, 'hello from alice');
  await expect(messageBodies(alice.page)).toHaveText(['hello from alice']);
  await expect(messageBodies(bob.page)).toHaveText(['hello from alice']);
  await expect(alice.page.locator('.composer textarea')).toHaveValue('');

  await alice.page.locator('.composer textarea').fill('   ');
  await alice.page.locator('.composer textarea').press('Enter');
  await alice.page.locator('.composer textarea').fill('');
  await alice.page.locator('.composer textarea').press('Enter');
  await bob.page.locator('.composer .name').fill('Bob');
  await sendFromComposer(bob.page, 'and back from bob');
  await expect(messageBodies(alice.page)).toHaveText(['hello from alice', 'and back from bob']);
  await expect(alice.page.locator('.messages .from')).toHaveText(['Anon', 'Bob']);
  expect((await server.history(room)).map((m) => m.body)).toEqual(['hello from alice', 'and back from bob']);

  // The browser remembers the display name.
  await bob.page.reload();
  await expect(bob.page.locator('.composer .name')).toHaveValue('Bob');
});

test('1b. a send that fails keeps the draft and says why', async ({ server, openUser, problems }) => {
  problems.allowed.push(/WebSocket connection to .* failed/, /Failed to load resource/);
  const room = uniqueRoom('failing');
  const { page } = await openUser();
  await openRoom(page, server, room);
  await server.stop();
  await sendFromComposer(page, 'this one cannot be sent');
  await expect(page.locator('.send-error')).toBeVisible();
  await expect(page.locator('.composer textarea')).toHaveValue('this one cannot be sent');
  await server.launch();
  await page.locator('.composer textarea').press('Enter');
  await expect(messageBodies(page)).toHaveText(['this one cannot be sent']);
  await expect(page.locator('.send-error')).toHaveCount(0);
  await expect(page.locator('.composer textarea')).toHaveValue('');
  expect((await server.history(room)).map((m) => m.body)).toEqual(['this one cannot be sent']);
});

test('2. ten tabs of one browser all receive a message sent from another', async ({ server, openUser }) => {
  const room = uniqueRoom('tabs');
  const crowd = await openUser();
  const tabs = [crowd.page];
  for (let i = 1; i < 10; i++) tabs.push(await crowd.context.newPage());
  for (const tab of tabs) await openRoom(tab, server, room);

  const sender = await openUser();
  await openRoom(sender.page, server, room);
  await sendFromComposer(sender.page, 'to all ten tabs');
  for (const tab of tabs) await expect(messageBodies(tab)).toHaveText(['to all ten tabs']);
});

test('3. history: the server render holds the last 50 in order; scrolling back reaches the first', async ({ server, openUser }) => {
  const room = uniqueRoom('history');
  for (let i = 0; i < 60; i++) await server.post(room, `message ${i}`);
  const expected = Array.from({ length: 50 }, (_, i) => `message ${i + 10}`);

  const noJs = await openUser({ javaScriptEnabled: false });
  await noJs.page.goto(`${server.url}/r/${room}`);
  await expect(messageBodies(noJs.page)).toHaveText(expected);

  const reader = await openUser();
  await openRoom(reader.page, server, room);
  await expect(messageBodies(reader.page)).toHaveText(expected);
  await reader.page.locator('.scroller').evaluate((el) => el.scrollTo({ top: -el.scrollHeight }));
  await expect(reader.page.getByText('This is the start of the room.')).toBeVisible();
  await expect(messageBodies(reader.page)).toHaveCount(60);
  await expect(messageBodies(reader.page).first()).toHaveText('message 0');
});

test('4. messages survive a restart of the server and its NATS child', async ({ server, openUser, problems }) => {
  // The open tab tries to reconnect while the server is down.
  problems.allowed.push(/WebSocket connection to .* failed/);
  const room = uniqueRoom('durable');
  const { page } = await openUser();
  await openRoom(page, server, room);
  const lines = ['first', 'second', 'third'];
  for (const line of lines) {
    await sendFromComposer(page, line);
    await expect(messageBodies(page).last()).toHaveText(line);
  }
  await server.restart();
  await page.reload();
  await expect(messageBodies(page)).toHaveText(lines);
});

test('5. a tab reconnects by itself after a server restart and misses nothing', async ({ server, openUser, problems }) => {
  // While the server is down the browser logs failed socket attempts.
  problems.allowed.push(/WebSocket connection to .* failed/);
  const room = uniqueRoom('reconnect');
  await server.post(room, 'before');
  const { page } = await openUser();
  await openRoom(page, server, room);
  await expect(messageBodies(page)).toHaveText(['before']);

  await server.stop();
  await expect(page.locator('.live-state')).toHaveAttribute('data-state', 'reconnecting');
  await server.launch();
  for (const line of ['while away 1', 'while away 2', 'while away 3']) await server.post(room, line);
  await expect(page.locator('.live-state')).toHaveAttribute('data-state', 'live', { timeout: 20_000 });
  await expect(messageBodies(page)).toHaveText(['before', 'while away 1', 'while away 2', 'while away 3']);
  await server.post(room, 'after');
  await expect(messageBodies(page)).toHaveText(['before', 'while away 1', 'while away 2', 'while away 3', 'after']);
});

test('6. without JavaScript the form sends and the page shows the message', async ({ server, openUser }) => {
  const room = uniqueRoom('nojs');
  const { page } = await openUser({ javaScriptEnabled: false });
  await page.goto(`${server.url}/r/${room}`);
  await page.locator('.composer .name').fill('Plain HTML');
  await page.locator('.composer textarea').fill('sent by a form post');
  await Promise.all([page.waitForURL(`**/r/${room}`), page.getByRole('button', { name: 'Send' }).click()]);
  await expect(messageBodies(page)).toHaveText(['sent by a form post']);
  await expect(page.locator('.messages .from')).toHaveText(['Plain HTML']);
});

test('7. hostile text shows literally and bad room names get an error page', async ({ server, openUser, problems }) => {
  problems.allowed.push(/status of 400/);
  const room = uniqueRoom('hostile');
  const { page } = await openUser();
  await openRoom(page, server, room);
  const payloads = ['<img src=x onerror=alert(1)>', '<script>alert(2)</script>'];
  for (const text of payloads) await sendFromComposer(page, text);
  await expect(messageBodies(page)).toHaveText(payloads);
  await expect(page.locator('.messages img, .messages script')).toHaveCount(0);
  await page.reload();
  await expect(messageBodies(page)).toHaveText(payloads);

  for (const bad of ['a.b', '*', '%3E', 'x'.repeat(200)]) {
    const response = await page.goto(`${server.url}/r/${bad}`);
    expect(response?.status(), bad).toBe(400);
    await expect(page.getByRole('heading', { name: 'Invalid room name' })).toBeVisible();
  }
  expect((await server.rooms()).map((r) => r.name)).toEqual([room]);
});

test('8. hydration: no warnings, and the hydrated page has the same layout as the server render', async ({ server, openUser }) => {
  const room = uniqueRoom('hydrate');
  for (let i = 0; i < 12; i++) await server.post(room, `line ${i}`, i % 3 ? 'ann' : 'bo');
  const viewport = { width: 1280, height: 800 };
  const boxes = async (page: import('@playwright/test').Page) => ({
    composer: await page.locator('.composer').boundingBox(),
    newest: await messageBodies(page).last().boundingBox(),
    header: await page.locator('.topbar').boundingBox(),
  });
  const plain = await openUser({ javaScriptEnabled: false, viewport });
  await plain.page.goto(`${server.url}/r/${room}`);
  const rendered = await boxes(plain.page);
  const live = await openUser({ viewport });
  await openRoom(live.page, server, room);
  expect(await boxes(live.page)).toEqual(rendered);
  await live.page.goto(server.url);
  await expect(live.page.locator('.room-list')).toContainText(`#${room}`);
});

test('9. the lobby lists active rooms and opens a new one; rooms do not leak', async ({ server, openUser }) => {
  const alpha = uniqueRoom('alpha');
  const beta = uniqueRoom('beta');
  await server.post(alpha, 'only in alpha');
  const { page, context } = await openUser();
  await page.goto(server.url);
  await expect(page.locator('.room-list')).toContainText(`#${alpha}`);
  await expect(page.locator('.room-list')).toContainText('#general');

  await page.getByLabel('Open a room').fill(beta);
  await page.getByRole('button', { name: 'Open' }).click();
  await expect(page).toHaveURL(new RegExp(`/r/${beta}$`));
  await expect(page.locator('.live-state')).toHaveAttribute('data-state', 'live');

  const alphaTab = await context.newPage();
  await openRoom(alphaTab, server, alpha);
  await sendFromComposer(page, 'only in beta');
  await expect(messageBodies(page)).toHaveText(['only in beta']);
  await server.post(alpha, 'second in alpha');
  await expect(messageBodies(alphaTab)).toHaveText(['only in alpha', 'second in alpha']);
  await expect(messageBodies(page)).toHaveText(['only in beta']);
});

for (const viewport of [
  { width: 360, height: 740 },
  { width: 1280, height: 800 },
]) {
  for (const colorScheme of ['light', 'dark'] as const) {
    test(`10. layout at ${viewport.width}x${viewport.height} in ${colorScheme}: composer visible, newest in view, readers not yanked`, async ({ server, openUser }) => {
      const room = uniqueRoom('layout');
      for (let i = 0; i < 40; i++) await server.post(room, `filler ${i}`, i % 2 ? 'ann' : 'ben');
      const { page } = await openUser({ viewport, colorScheme });
      await openRoom(page, server, room);

      const composer = page.locator('.composer');
      await expect(composer).toBeInViewport({ ratio: 1 });
      await sendFromComposer(page, 'my newest line');
      await expect(messageBodies(page).last()).toHaveText('my newest line');
      await expect(messageBodies(page).last()).toBeInViewport();
      await expect(composer).toBeInViewport({ ratio: 1 });

      // Scroll up, note what is on screen, and let someone else write.
      const scroller = page.locator('.scroller');
      await scroller.evaluate((el) => el.scrollTo({ top: -600 }));
      const anchor = messageBodies(page).filter({ hasText: /^filler 30$/ });
      await anchor.scrollIntoViewIfNeeded();
      const before = await anchor.boundingBox();
      await server.post(room, 'a new line from someone else', 'cat');
      await expect(page.getByRole('button', { name: /New messages/ })).toBeVisible();
      const after = await anchor.boundingBox();
      expect(Math.abs((after?.y ?? 0) - (before?.y ?? 0))).toBeLessThanOrEqual(2);
      await expect(messageBodies(page).last()).not.toBeInViewport();

      await page.getByRole('button', { name: /New messages/ }).click();
      await expect(messageBodies(page).last()).toHaveText('a new line from someone else');
      await expect(messageBodies(page).last()).toBeInViewport();

      // A reader who scrolled up and writes is taken to their own line.
      await scroller.evaluate((el) => el.scrollTo({ top: -600 }));
      await sendFromComposer(page, 'written while scrolled up');
      await expect(messageBodies(page).last()).toHaveText('written while scrolled up');
      await expect(messageBodies(page).last()).toBeInViewport();
      await expect(page.getByRole('button', { name: /New messages/ })).toBeHidden();
    });
  }
}

test('README screenshots: a two-user conversation on desktop and on a phone in dark mode', async ({ server, openUser }) => {
  const room = 'general';
  const ada = await openUser({ viewport: { width: 1280, height: 800 }, colorScheme: 'light' });
  const lin = await openUser({ viewport: { width: 360, height: 740 }, colorScheme: 'dark' });
  for (const user of [ada, lin]) await openRoom(user.page, server, room);
  const say = async (page: typeof ada.page, name: string, text: string) => {
    await page.locator('.composer .name').fill(name);
    await sendFromComposer(page, text);
    await expect(messageBodies(page).last()).toHaveText(text);
  };
  await say(ada.page, 'Ada', 'Morning! Did the deploy go out?');
  await say(lin.page, 'Lin', 'Yes, 10 minutes ago. History survived the restart too.');
  await say(ada.page, 'Ada', 'Nice. Two tabs, one NATS, nothing lost.');
  await say(ada.page, 'Ada', 'I will write the release notes.');
  await say(lin.page, 'Lin', 'Thanks!');
  await expect(messageBodies(ada.page)).toHaveCount(5);
  await expect(messageBodies(lin.page)).toHaveCount(5);
  // The tracked README images change only when asked to (UPDATE_SCREENSHOTS=1).
  const dir = process.env.UPDATE_SCREENSHOTS ? screenshots : test.info().outputDir;
  await ada.page.screenshot({ path: join(dir, 'desktop.png') });
  await lin.page.screenshot({ path: join(dir, 'phone-dark.png') });
});
