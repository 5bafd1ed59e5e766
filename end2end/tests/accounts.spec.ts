import { test, expect, openRoom, sendFromComposer, messageBodies, uniqueRoom } from './fixtures';
import type { BrowserContext, Page } from '@playwright/test';

const PASSWORD = 'correct horse';

async function sessionCookie(context: BrowserContext): Promise<string | undefined> {
  return (await context.cookies()).find((c) => c.name === 'chat_session')?.value;
}

/** Registers through the pages: lobby → Log in → Register. */
async function register(page: Page, url: string, name: string): Promise<void> {
  await page.goto(url);
  await page.getByRole('link', { name: 'Log in' }).click();
  await expect(page).toHaveURL(/\/login$/);
  await page.getByRole('link', { name: 'Register' }).click();
  await page.getByLabel('Name').fill(name);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
}

async function logIn(page: Page, name: string, password = PASSWORD): Promise<void> {
  await page.getByLabel('Name').fill(name);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
}

test('accounts: register, the header says who you are, a flash is shown once, log out', async ({ server, openUser }) => {
  const { page } = await openUser();
  await register(page, server.url, 'alice');
  await expect(page).toHaveURL(`${server.url}/`);
  await expect(page.locator('.flash')).toHaveText('Welcome, alice! Your account is ready.');
  await expect(page.locator('.account .who')).toContainText('alice');

  await page.reload();
  await expect(page.locator('.account .who')).toContainText('alice');
  await expect(page.locator('.flash')).toHaveCount(0);

  await page.getByRole('button', { name: 'Log out' }).click();
  await expect(page.locator('.flash')).toHaveText('Logged out');
  await expect(page.locator('.account .who')).toHaveText('Guest');
  await page.reload();
  await expect(page.locator('.flash')).toHaveCount(0);

  // A wrong password says so, once, and logs nobody in.
  await page.getByRole('link', { name: 'Log in' }).click();
  await logIn(page, 'alice', 'not the password');
  await expect(page.locator('.flash')).toHaveText('Invalid name or password');
  await expect(page).toHaveURL(`${server.url}/login`);
  await logIn(page, 'alice');
  await expect(page.locator('.flash')).toHaveText('Welcome back, alice');
  await expect(page.locator('.account .who')).toContainText('alice');
});

test('accounts: the session survives a server restart; logging in gives a new cookie', async ({ server, openUser }) => {
  const { context, page } = await openUser();
  await register(page, server.url, 'alice');
  await expect(page.locator('.account .who')).toContainText('alice');
  const first = await sessionCookie(context);
  expect(first).toBeTruthy();

  await server.restart();
  await page.reload();
  await expect(page.locator('.account .who')).toContainText('alice');

  // Logging in again from a live session: the old id must not survive it.
  await page.goto(`${server.url}/login`);
  await logIn(page, 'alice');
  await expect(page.locator('.flash')).toHaveText('Welcome back, alice');
  const second = await sessionCookie(context);
  expect(second).toBeTruthy();
  expect(second).not.toBe(first);
  const replay = await fetch(`${server.url}/settings`, {
    headers: { cookie: `chat_session=${first}` },
    redirect: 'manual',
  });
  expect(replay.status).toBe(303);
  expect(replay.headers.get('location')).toMatch(/^\/login/);
});

test('accounts: a guest cannot take a registered name; an account writes under its own, marked', async ({ server, openUser, problems }) => {
  problems.allowed.push(/Failed to load resource: the server responded with a status of 409/);
  const room = uniqueRoom('names');
  const alice = await openUser();
  await register(alice.page, server.url, 'alice');
  await openRoom(alice.page, server, room);
  await expect(alice.page.locator('.composer .as-account')).toHaveText('alice');
  await sendFromComposer(alice.page, 'the real alice');
  await expect(messageBodies(alice.page)).toHaveText(['the real alice']);
  await expect(alice.page.locator('.message .badge')).toHaveCount(1);

  const guest = await openUser();
  await openRoom(guest.page, server, room);
  await expect(messageBodies(guest.page)).toHaveText(['the real alice']);
  await guest.page.locator('.composer .name').fill('Alice');
  await sendFromComposer(guest.page, 'I am alice too');
  await expect(guest.page.locator('.send-error')).toContainText('belongs to a registered account');
  await expect(guest.page.locator('.composer textarea')).toHaveValue('I am alice too');

  await guest.page.locator('.composer .name').fill('Mallory');
  await guest.page.locator('.composer textarea').press('Enter');
  await expect(messageBodies(alice.page)).toHaveText(['the real alice', 'I am alice too']);
  await expect(alice.page.locator('.messages .from')).toHaveText(['alice', 'Mallory']);
  await expect(alice.page.locator('.message .badge')).toHaveCount(1);
  const stored = await server.history(room);
  expect(stored.map((m) => [m.from, m.verified ?? false])).toEqual([
    ['alice', true],
    ['Mallory', false],
  ]);
});

test('accounts: the settings page sends a guest to log in and back', async ({ server, openUser }) => {
  const setup = await openUser();
  await register(setup.page, server.url, 'alice');

  const { page } = await openUser();
  await page.goto(`${server.url}/settings`);
  await expect(page).toHaveURL(`${server.url}/login?next=%2Fsettings`);
  await expect(page.locator('.flash')).toHaveText('Please log in first');
  await logIn(page, 'alice');
  await expect(page).toHaveURL(`${server.url}/settings`);
  await expect(page.locator('.flash')).toHaveText('Welcome back, alice');
  await expect(page.getByText('Logged in as')).toBeVisible();

  // And the page works: an emoji shows on the next message.
  await page.getByLabel('Emoji shown before your name (empty for none)').fill('🦀');
  await page.getByRole('button', { name: 'Save appearance' }).click();
  await expect(page.locator('.flash')).toHaveText('Appearance saved');
  const room = uniqueRoom('crab');
  await openRoom(page, server, room);
  await sendFromComposer(page, 'crab time');
  await expect(page.locator('.messages .from')).toHaveText(['🦀 alice']);
});
