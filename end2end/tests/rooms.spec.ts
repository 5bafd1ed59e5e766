// Rooms with owners in real browsers: a private room, an invite link, a
// non-member's 404, a timeout the composer explains, a moderator's removal,
// a removed member's page closing, and a DM in both room lists.
import { test, expect, sendFromComposer, uniqueRoom, register } from './fixtures';
import type { Page } from '@playwright/test';


const live = (page: Page) => expect(page.locator('.live-state')).toHaveAttribute('data-state', 'live');
const message = (page: Page, text: string) => page.locator('.messages .message', { hasText: text });

test('private room: invite, 404 for others, timeout, removal by a moderator', async ({ server, openUser, problems }) => {
  // The outsider's 404, and the removed member's socket, are expected.
  problems.allowed.push(/status of 40[34]/, /WebSocket connection to .* failed/);
  const room = uniqueRoom('crew');
  const ada = await openUser();
  const bo = await openUser();
  const cy = await openUser();
  await register(ada.page, server.url, 'ada');
  await register(bo.page, server.url, 'bo');
  await register(cy.page, server.url, 'cy');

  // Ada makes a private room from the lobby and an invite link.
  await ada.page.getByLabel('Make a room').fill(room);
  await ada.page.getByLabel('Private').check();
  await ada.page.getByRole('button', { name: 'Make', exact: true }).click();
  await expect(ada.page).toHaveURL(`${server.url}/r/${room}`);
  await live(ada.page);
  await ada.page.locator('.room-settings-link').click();
  await expect(ada.page.getByRole('heading', { name: `#${room} settings` })).toBeVisible();
  await ada.page.getByRole('button', { name: /Make an invite link/ }).click();
  await expect(ada.page.locator('.flash')).toContainText('Invite link made');
  // The link in full, with a button that copies it.
  const link = ada.page.getByLabel('Invite link, to send to someone');
  await expect(link).toHaveValue(new RegExp(`^${server.url}/invite/[\\w-]+$`));
  const invite = await link.inputValue();
  await ada.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
  await ada.page.getByRole('button', { name: 'Copy' }).click();
  await expect(ada.page.getByRole('button', { name: 'Copied' })).toBeVisible();
  expect(await ada.page.evaluate(() => navigator.clipboard.readText())).toBe(invite);

  // Bo joins through the link; Cy, never invited, gets "not found".
  await bo.page.goto(invite);
  await bo.page.getByRole('button', { name: `Join #${room}` }).click();
  await expect(bo.page).toHaveURL(`${server.url}/r/${room}`);
  await live(bo.page);
  const outsider = await cy.page.goto(`${server.url}/r/${room}`);
  expect(outsider?.status()).toBe(404);
  await expect(cy.page.getByRole('heading', { name: 'Not found' })).toBeVisible();
  await cy.page.goto(`${server.url}/`);
  await expect(cy.page.locator('.room-list')).not.toContainText(room);

  await ada.page.goto(`${server.url}/r/${room}`);
  await live(ada.page);
  await sendFromComposer(bo.page, 'hello crew');
  await expect(message(ada.page, 'hello crew')).toBeVisible();

  // Ada times Bo out from the settings page; Bo's composer says why and
  // until when, and says it again when the room is opened anew.
  const settings = await openUser();
  await settings.context.addCookies(await ada.context.cookies());
  const admin = settings.page;
  await admin.goto(`${server.url}/r/${room}/settings`);
  const timeout = admin.locator('form.sanction-form', { has: admin.getByRole('button', { name: 'Time out' }) });
  await timeout.getByLabel('Time out').fill('bo');
  await timeout.getByLabel('For how long').selectOption({ label: 'for 10 min' });
  await timeout.getByLabel('Reason').fill('calm down');
  await timeout.getByRole('button', { name: 'Time out' }).click();
  await expect(admin.locator('.flash')).toContainText('bo is timed out until');
  // Bo's open page is told at once, before trying to write.
  const refusal = bo.page.locator('.send-error');
  await expect(refusal).toContainText('timed out');
  await expect(refusal).toContainText('until');
  await expect(refusal).toContainText('calm down');
  await sendFromComposer(bo.page, 'but why');
  await expect(refusal).toContainText('calm down');
  await expect(message(ada.page, 'but why')).toHaveCount(0);
  await bo.page.reload();
  await expect(bo.page.locator('.send-error')).toContainText('calm down');

  // Ada, the owner, removes Bo's message: both see the tombstone.
  const said = message(ada.page, 'hello crew');
  await said.locator('.body').click();
  await said.getByRole('button', { name: 'Remove' }).click();
  await expect(ada.page.locator('.message.deleted .tombstone')).toHaveText('removed by a moderator');
  await expect(bo.page.locator('.message.deleted .tombstone')).toHaveText('removed by a moderator');
  await expect(message(bo.page, 'hello crew')).toHaveCount(0);

  // Removing Bo closes Bo's room at once: the page becomes "not found".
  await live(bo.page);
  await admin.reload();
  await admin.getByRole('button', { name: 'Remove bo' }).click();
  await expect(admin.locator('.flash')).toContainText('bo was removed');
  await expect(bo.page.getByRole('heading', { name: 'Not found' })).toBeVisible();

  // The moderation log lists what happened, with who and why.
  await admin.goto(`${server.url}/r/${room}/modlog`);
  const log = admin.locator('table.modlog tbody');
  await expect(log).toContainText('remove member');
  await expect(log).toContainText('remove message');
  await expect(log).toContainText('reason: calm down');
});

test('a DM shows up in both room lists, with its unread count', async ({ server, openUser }) => {
  const ada = await openUser();
  const bo = await openUser();
  await register(ada.page, server.url, 'ada');
  await register(bo.page, server.url, 'bo');
  // A link to /dm/bo asks first (a link from elsewhere makes no DM); the
  // lobby's form starts one at once.
  await ada.page.goto(`${server.url}/dm/bo`);
  await expect(ada.page.getByRole('heading', { name: 'Message bo' })).toBeVisible();
  await ada.page.goto(`${server.url}/`);
  await ada.page.getByLabel('Message someone').fill('bo');
  await ada.page.getByRole('button', { name: 'Message', exact: true }).click();
  await expect(ada.page).toHaveURL(/\/r\/dm-\d+-\d+$/);
  await expect(ada.page.getByRole('heading', { name: '@bo' })).toBeVisible();
  await live(ada.page);
  await sendFromComposer(ada.page, 'psst, bo');
  await expect(message(ada.page, 'psst, bo')).toBeVisible();

  await bo.page.goto(`${server.url}/`);
  const dm = bo.page.locator('.room-list a', { hasText: '@ada' });
  await expect(dm).toBeVisible();
  await expect(dm.locator('.unread-count')).toHaveText('1');
  await ada.page.goto(`${server.url}/`);
  await expect(ada.page.locator('.room-list a', { hasText: '@bo' })).toBeVisible();
});
