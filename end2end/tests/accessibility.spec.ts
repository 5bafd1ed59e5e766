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

    // A room of the reader's own: its settings (with a member, a timeout
    // and a ban listed) and its moderation log.
    const own = uniqueRoom('mine');
    await page.goto(`${server.url}/`);
    await page.getByLabel('Make a room').fill(own);
    await page.getByRole('button', { name: 'Make', exact: true }).click();
    await expect(page).toHaveURL(`${server.url}/r/${own}`);
    await noViolations(page, 'own room (topic line, settings link)');
    for (const name of ['mia', 'otto']) {
      const other = await openUser();
      await other.page.goto(`${server.url}/register`);
      await other.page.getByLabel('Name').fill(name);
      await other.page.getByLabel('Password').fill('correct horse');
      await other.page.getByRole('button', { name: 'Create account' }).click();
      await expect(other.page).toHaveURL(`${server.url}/`);
    }
    await page.goto(`${server.url}/r/${own}/settings`);
    await page.getByLabel('Add a member').fill('mia');
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    await page.getByLabel('Time out').fill('mia');
    await page.locator('form.sanction-form').first().getByRole('button', { name: 'Time out' }).click();
    await page.getByLabel('Ban', { exact: true }).fill('otto');
    await page.getByRole('button', { name: 'Ban', exact: true }).click();
    await expect(page.locator('.sanction-list li')).toHaveCount(2);
    await noViolations(page, 'room settings');
    await page.goto(`${server.url}/r/${own}/modlog`);
    await expect(page.locator('table.modlog tbody tr')).toHaveCount(4);
    await noViolations(page, 'moderation log');
  });
}
