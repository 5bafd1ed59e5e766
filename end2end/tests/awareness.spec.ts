// Awareness in two browser contexts: unread counts in the lobby, the
// "new messages" divider, the tab title, who is here, who is typing.
import { test, expect, openRoom, sendFromComposer, uniqueRoom, register } from './fixtures';
import type { Page } from '@playwright/test';


const message = (page: Page, text: string) => page.locator('.messages .message', { hasText: text });

async function setHidden(page: Page, hidden: boolean): Promise<void> {
  await page.evaluate((hidden) => {
    Object.defineProperty(document, 'hidden', { configurable: true, get: () => hidden });
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => (hidden ? 'hidden' : 'visible') });
    document.dispatchEvent(new Event('visibilitychange'));
  }, hidden);
}

test('awareness: presence, typing, unread counts, divider and title', async ({ server, openUser }) => {
  const room = uniqueRoom('aware');
  const ada = await openUser();
  const bo = await openUser();
  await register(ada.page, server.url, 'ada');
  await register(bo.page, server.url, 'bo');
  await openRoom(ada.page, server, room);
  await sendFromComposer(ada.page, 'first');
  await openRoom(bo.page, server, room);
  await expect(message(bo.page, 'first')).toBeVisible();

  // Both are here; A typing shows in B and goes when A sends.
  await expect(ada.page.locator('.people summary')).toHaveText('2 here');
  await ada.page.locator('.composer textarea').fill('typed slowly');
  await expect(bo.page.locator('.typing')).toHaveText('ada is typing…');
  await ada.page.locator('.composer textarea').press('Enter');
  await expect(message(bo.page, 'typed slowly')).toBeVisible();
  await expect(bo.page.locator('.typing')).toHaveText('');

  // B leaves for the lobby: A sees B go; B's counts rise as A posts.
  await bo.page.goto(`${server.url}/`);
  await expect(ada.page.locator('.people summary')).toHaveText('1 here');
  const row = bo.page.locator(`a[href="/r/${room}"]`);
  await expect(row.locator('.unread-count')).toHaveCount(0);
  await sendFromComposer(ada.page, 'second');
  await expect(row.locator('.unread-count')).toHaveText('1', { timeout: 15_000 });
  await sendFromComposer(ada.page, '@bo look at this');
  await expect(row.locator('.unread-count')).toHaveText('2', { timeout: 15_000 });
  await expect(row.locator('.mention-count')).toHaveText('@1');

  // B opens the room: the divider sits at the first unread message.
  await openRoom(bo.page, server, room);
  const divided = bo.page.locator('.message.first-unread');
  await expect(divided).toHaveCount(1);
  await expect(divided).toContainText('second');
  expect(await divided.evaluate((el) => getComputedStyle(el, '::after').content)).toBe('"New messages"');
  await expect(bo.page).toHaveTitle(`#${room} – Chat`);

  // In a hidden tab a mention counts in the title until it is seen.
  await setHidden(bo.page, true);
  await sendFromComposer(ada.page, '@bo are you there?');
  await expect(bo.page).toHaveTitle(`(1) #${room} – Chat`);
  await sendFromComposer(ada.page, 'just chatting');
  await expect(bo.page).toHaveTitle(`(1) #${room} – Chat`);
  await setHidden(bo.page, false);
  await expect(bo.page).toHaveTitle(`#${room} – Chat`);

  // The mentions page lists what was for bo, newest first; a click opens
  // the message in its room.
  await bo.page.goto(`${server.url}/mentions`);
  const mentions = bo.page.locator('.mention-list li');
  await expect(mentions).toHaveCount(2);
  await expect(mentions.first()).toContainText('@bo are you there?');
  await mentions.nth(1).locator('a').click();
  await expect(bo.page.locator('.message.highlighted')).toContainText('@bo look at this');
});

test('notifications: a mention in a hidden tab notifies once per room and goes when read', async ({ server, openUser }) => {
  const room = uniqueRoom('notify');
  const ada = await openUser();
  const bo = await openUser();
  await bo.context.grantPermissions(['notifications'], { origin: server.url });
  // The real Notification, wrapped to count what the page shows and closes.
  await bo.context.addInitScript(() => {
    const Real = window.Notification;
    const shown: { title: string; body: string; tag: string; closed: boolean }[] = [];
    (window as any).shownNotices = shown;
    class Counted extends Real {
      constructor(title: string, options?: NotificationOptions) {
        super(title, options);
        const entry = { title, body: options?.body ?? '', tag: options?.tag ?? '', closed: false };
        shown.push(entry);
        const close = this.close.bind(this);
        this.close = () => { entry.closed = true; close(); };
      }
    }
    Object.defineProperty(Counted, 'permission', { get: () => Real.permission });
    (window as any).Notification = Counted;
  });
  await register(ada.page, server.url, 'ada');
  await register(bo.page, server.url, 'bo');
  await openRoom(ada.page, server, room);
  await sendFromComposer(ada.page, 'hello');
  await openRoom(bo.page, server, room);
  // The choice in the header: mentions (the default).
  await expect(bo.page.locator('.notify-level')).toHaveValue('mentions');

  await setHidden(bo.page, true);
  await sendFromComposer(ada.page, 'just talking');
  await sendFromComposer(ada.page, '@bo ping');
  await expect.poll(() => bo.page.evaluate(() => (window as any).shownNotices.length)).toBe(1);
  const [notice] = await bo.page.evaluate(() => (window as any).shownNotices);
  expect(notice).toEqual({ title: `#${room}`, body: 'ada: @bo ping', tag: `chat-${room}`, closed: false });
  // Seen: withdrawn.
  await setHidden(bo.page, false);
  await expect.poll(() => bo.page.evaluate(() => (window as any).shownNotices[0].closed)).toBe(true);

  // "All": every message notifies, one per room (the same tag).
  await bo.page.locator('.notify-level').selectOption('all');
  await setHidden(bo.page, true);
  await sendFromComposer(ada.page, 'anything at all');
  await expect.poll(() => bo.page.evaluate(() => (window as any).shownNotices.length)).toBe(2);
  const second = await bo.page.evaluate(() => (window as any).shownNotices[1]);
  expect(second.tag).toBe(`chat-${room}`);
});

test('typing: an entry lapses 6 s after its last notice when the typist goes without a stop', async ({ server, openUser }) => {
  const room = uniqueRoom('lapse');
  const ada = await openUser();
  const bo = await openUser();
  await openRoom(ada.page, server, room);
  await openRoom(bo.page, server, room);
  await ada.page.locator('.composer textarea').fill('half a thought');
  await expect(bo.page.locator('.typing')).toHaveText('guest is typing…');
  // The socket goes with the tab, without a "stopped typing".
  await ada.context.close();
  await expect(bo.page.locator('.typing')).toHaveText('guest is typing…');
  await expect(bo.page.locator('.typing')).toHaveText('', { timeout: 10_000 });
});
