// The room as people see it (issue 27): on a phone the header holds the
// room's name and nothing scrolls sideways, mentions are a tap away, text
// of either direction lands where it belongs, and who said what, when.
import { test, expect, openRoom, uniqueRoom, register, type ChatServer } from './fixtures';
import type { Page } from '@playwright/test';

const sizes = [
  { width: 390, height: 844 },
  { width: 1280, height: 800 },
];

async function expectFitsAndNamed(page: Page, title: string): Promise<void> {
  const widths = await page.evaluate(() => ({
    document: document.documentElement.scrollWidth,
    viewport: window.innerWidth,
  }));
  expect(widths.document, 'no sideways scrolling').toBeLessThanOrEqual(widths.viewport);
  const heading = page.locator('.topbar h1');
  await expect(heading).toHaveText(title);
  const box = await heading.boundingBox();
  expect(box?.width ?? 0, `the room's name is shown (${title})`).toBeGreaterThan(40);
  expect((box?.x ?? 0) + (box?.width ?? 0)).toBeLessThanOrEqual(widths.viewport);
}

async function makeRoom(page: Page, server: ChatServer, name: string, topic: string): Promise<void> {
  const r = await page.request.post(`${server.url}/api/rooms`, { data: { name, topic } });
  expect(r.status(), await r.text()).toBe(201);
}

for (const size of sizes) {
  for (const scheme of ['light', 'dark'] as const) {
    test(`header at ${size.width}px in ${scheme}: the room's name shows, nothing scrolls sideways, mentions reachable`, async ({ server, openUser }) => {
      const { page: owner } = await openUser({ viewport: size, colorScheme: scheme });
      const { page: guest } = await openUser({ viewport: size, colorScheme: scheme });
      await register(owner, server.url, 'ada-with-a-rather-long-name');
      const { page: other } = await openUser({ viewport: size, colorScheme: scheme });
      await register(other, server.url, 'bo');
      const room = uniqueRoom('headed');
      await makeRoom(owner, server, room, 'a topic long enough to need the whole width of a phone to be read in full');
      await server.post(room, 'hello');
      for (const page of [owner, guest]) {
        await openRoom(page, server, room);
        await expectFitsAndNamed(page, `#${room}`);
      }
      // A DM: its name is the other account's, in full.
      await owner.goto(`${server.url}/`);
      await owner.getByLabel('Message someone').fill('bo');
      await owner.getByRole('button', { name: 'Message', exact: true }).click();
      await expect(owner.locator('.live-state')).toHaveAttribute('data-state', 'live');
      await expectFitsAndNamed(owner, '@bo');
      // Words for people: a DM is called by the other's name, never its id.
      await expect(owner.locator('.composer textarea')).toHaveAttribute('placeholder', 'Message @bo');
      await expect(owner).toHaveTitle('@bo – Chat');
      // Mentions, from the room's header, on any width.
      await owner.locator('.topbar .mentions-link').click();
      await expect(owner).toHaveURL(`${server.url}/mentions`);
    });
  }
}

test('bodies, names and topics take their direction from their text; long words wrap', async ({ server, openUser }) => {
  const { page } = await openUser({ viewport: { width: 390, height: 844 } });
  const room = uniqueRoom('dir');
  await server.post(room, 'שלום, מה שלומך?', 'dana');
  await server.post(room, 'x'.repeat(300));
  await openRoom(page, server, room);
  const hebrew = page.locator('.messages .message', { hasText: 'שלום' });
  await expect(hebrew.locator('.body')).toHaveAttribute('dir', 'auto');
  await expect(hebrew.locator('.from')).toHaveAttribute('dir', 'auto');
  // Right to left: the question mark ends the sentence on the left.
  expect(await hebrew.locator('.body').evaluate((el) => getComputedStyle(el).direction)).toBe('rtl');
  await expect(page.locator('.composer textarea')).toHaveAttribute('dir', 'auto');
  const widths = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
  expect(widths[0]).toBeLessThanOrEqual(widths[1]);
});

async function postAs(page: Page, server: ChatServer, room: string, body: string): Promise<number> {
  const id = `l-${Math.random().toString(36).slice(2)}`;
  const r = await page.request.post(`${server.url}/api/rooms/${room}/messages`, { data: { id, body } });
  expect(r.status(), await r.text()).toBe(201);
  return (await r.json()).seq;
}

test('names have their own colours, a header after the divider, and each line its time on hover', async ({ server, openUser }) => {
  const { page: ada } = await openUser();
  const { page: bo } = await openUser();
  await register(ada, server.url, 'ada');
  await register(bo, server.url, 'bo');
  const room = uniqueRoom('who');
  await postAs(ada, server, room, 'ada was here');
  const first = await postAs(bo, server, room, 'first from bo');
  const read = await ada.request.post(`${server.url}/api/rooms/${room}/read`, { data: { seq: first } });
  expect(read.status()).toBe(200);
  // bo goes on while ada is away: two more lines in a row.
  await postAs(bo, server, room, 'second from bo');
  await postAs(bo, server, room, 'third from bo');
  await openRoom(ada, server, room);
  // Two accounts' names are not one colour.
  const colours = await ada.locator('.messages .meta .from').evaluateAll((els) => els.map((el) => getComputedStyle(el).color));
  expect(colours.length).toBeGreaterThanOrEqual(2);
  expect(new Set(colours).size).toBe(2);
  // Below the divider the first unread line says who wrote it, though bo
  // also wrote the line above.
  const firstUnread = ada.locator('.messages .message.first-unread');
  await expect(firstUnread).toContainText('second from bo');
  await expect(firstUnread.locator('.meta .from')).toHaveText('bo');
  // The third is grouped under it: its time shows on hover.
  const third = ada.locator('.messages .message', { hasText: 'third from bo' });
  await expect(third.locator('.meta')).toHaveCount(0);
  const time = third.locator('.line-time time');
  await expect(time).toBeHidden();
  await third.hover();
  await expect(time).toBeVisible();
  await expect(time).toHaveText(/^\d\d:\d\d$/);
});

test('text typed before the page hydrates survives it and is sent once', async ({ server, openUser }) => {
  const { page } = await openUser();
  const room = uniqueRoom('early');
  await server.post(room, 'hello');
  // The page's code arrives late, as on a slow link.
  let release = () => {};
  const gate = new Promise<void>((resolve) => (release = resolve));
  await page.route(/\/pkg\/chat\.[^/]*\.wasm$/, async (route) => {
    await gate;
    await route.continue();
  });
  await page.goto(`${server.url}/r/${room}`);
  const box = page.locator('.composer textarea');
  await box.pressSequentially('typed early');
  await expect(page.locator('.live-state')).toHaveAttribute('data-state', 'connecting');
  release();
  await expect(page.locator('.live-state')).toHaveAttribute('data-state', 'live');
  await expect(box).toHaveValue('typed early');
  await box.press('Enter');
  await expect(page.locator('.messages .message', { hasText: 'typed early' })).toHaveCount(1);
  await expect(box).toHaveValue('');
  const sent = (await server.history(room)).filter((m) => m.body === 'typed early');
  expect(sent).toHaveLength(1);
});

test('a send that cannot reach the server says so in words, keeps the text, and goes out once on retry', async ({ server, openUser, problems }) => {
  const { page } = await openUser();
  const room = uniqueRoom('offline');
  await server.post(room, 'hello');
  await openRoom(page, server, room);
  problems.allowed.push(/Failed to load resource/);
  await page.route('**/fn/**', (route) => route.abort('internetdisconnected'));
  const box = page.locator('.composer textarea');
  await box.fill('while offline');
  await box.press('Enter');
  const error = page.locator('.send-error');
  await expect(error).toContainText('cannot be reached');
  await expect(error).not.toContainText('TypeError');
  await expect(box).toHaveValue('while offline');
  await page.unroute('**/fn/**');
  await box.press('Enter');
  await expect(page.locator('.messages .message', { hasText: 'while offline' })).toHaveCount(1);
  await expect(box).toHaveValue('');
  const sent = (await server.history(room)).filter((m) => m.body === 'while offline');
  expect(sent).toHaveLength(1);
});

test('keyboard: the room opens in the composer, a skip link reaches it in 3 presses, Esc closes the picker, the box grows', async ({ server, openUser }) => {
  const { page } = await openUser({ viewport: { width: 1280, height: 800 } });
  await register(page, server.url, 'ada');
  const room = uniqueRoom('keys');
  await server.post(room, 'something to react to');
  await openRoom(page, server, room);
  const box = page.locator('.composer textarea');
  await expect(box).toBeFocused();
  // On a phone nothing is focused at first (the keyboard would cover the
  // room): from the top, the skip link first, then the box.
  const { page: phone } = await openUser({ viewport: { width: 390, height: 844 } });
  await openRoom(phone, server, room);
  await expect(phone.locator('.composer textarea')).not.toBeFocused();
  await phone.keyboard.press('Tab');
  await expect(phone.getByRole('link', { name: 'Skip to the message box' })).toBeFocused();
  await phone.keyboard.press('Enter');
  await phone.keyboard.press('Tab');
  await phone.keyboard.press('Tab');
  await expect(phone.locator('.composer textarea')).toBeFocused();
  // Five lines show as five (up to a limit), not two.
  const oneLine = (await box.boundingBox())!.height;
  await box.fill('one\ntwo\nthree\nfour\nfive');
  await expect.poll(async () => (await box.boundingBox())!.height).toBeGreaterThan(oneLine * 2.5);
  await box.fill('');
  // Esc closes the emoji picker.
  const message = page.locator('.messages .message', { hasText: 'something to react to' });
  await message.locator('.body').click();
  await message.getByRole('button', { name: 'More emoji' }).click();
  const picker = page.getByRole('dialog', { name: 'Pick an emoji' });
  await expect(picker).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(picker).toBeHidden();
});

test('a mention in another room badges the room list and the tab title within a second', async ({ server, openUser }) => {
  const { page: ada } = await openUser({ viewport: { width: 1280, height: 800 } });
  const { page: bo } = await openUser();
  await register(ada, server.url, 'ada');
  await register(bo, server.url, 'bo');
  const here = uniqueRoom('here');
  const there = uniqueRoom('there');
  await server.post(here, 'hello');
  await postAs(bo, server, there, 'plain words');
  await openRoom(ada, server, here);
  const entry = ada.locator('.sidebar-rooms a', { hasText: there });
  await expect(entry).toBeVisible();
  await expect(entry.locator('.mention-count')).toHaveCount(0);
  await postAs(bo, server, there, '@ada look here');
  // Live, not at the next poll (every 10 s).
  await expect(entry.locator('.mention-count')).toHaveText('@1', { timeout: 1500 });
  await expect(ada).toHaveTitle(/^\(1\) /, { timeout: 1500 });
});
