// axe-core on every page, in the light and the dark scheme: the lobby, a
// room with many different names (and a mention, a reply, the divider),
// the mentions page, login, register and settings. WCAG 2.2 A/AA rules.
import AxeBuilder from '@axe-core/playwright';
import { test, expect, openRoom, uniqueRoom } from './fixtures';
import type { Page } from '@playwright/test';

const NAMES = ['Ada', 'Chen', 'bo', 'carol', 'dave', 'eve', 'frank', 'grace', 'heidi', 'ivan', 'judy', 'mallory', 'oscar', 'peggy', 'trent', 'victor', 'walter', 'yuki', 'zoe', 'amir'];

async function noViolations(page: Page, what: string): Promise<void> {
  const results = await new AxeBuilder({ page })
    .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'])
    .analyze();
  const found = results.violations.map((v) => ({
    rule: v.id,
    nodes: v.nodes.slice(0, 4).map((n) => `${n.target.join(' ')}: ${n.failureSummary?.split('\n').slice(1).join(' ')}`),
  }));
  expect(found, `axe on ${what}`).toEqual([]);
}

for (const colorScheme of ['light', 'dark'] as const) {
  test(`every page passes axe in the ${colorScheme} scheme`, async ({ server, openUser }) => {
    const room = uniqueRoom('a11y');
    for (const [i, name] of NAMES.entries()) {
      await server.post(room, `hello from ${name}, message ${i}`, name);
    }
    const { page } = await openUser({ colorScheme, viewport: { width: 1400, height: 900 } });

    await page.goto(`${server.url}/register`);
    await noViolations(page, 'register');
    await page.goto(`${server.url}/login`);
    await noViolations(page, 'login');

    await page.goto(`${server.url}/register`);
    await page.getByLabel('Name').fill('reader');
    await page.getByLabel('Password').fill('correct horse');
    await page.getByRole('button', { name: 'Create account' }).click();
    await expect(page).toHaveURL(`${server.url}/`);
    await openRoom(page, server, room);
    await page.goto(`${server.url}/`);
    // Unread and mention badges in the lobby.
    const first = (await server.history(room)).at(-1);
    await fetch(`${server.url}/api/rooms/${room}/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: `r-${room}`, from: 'zoe', body: 'an answer for you', reply_to: first.seq }),
    });
    await server.post(room, 'one more for @reader', 'oscar');
    await page.reload();
    await expect(page.locator(`a[href="/r/${room}"] .unread-count`)).toBeVisible();
    await noViolations(page, 'lobby');

    await openRoom(page, server, room);
    await expect(page.locator('.messages .message')).toHaveCount(NAMES.length + 2);
    await noViolations(page, 'room');

    await page.goto(`${server.url}/mentions`);
    await noViolations(page, 'mentions');
    await page.goto(`${server.url}/settings`);
    await noViolations(page, 'settings');
  });
}
