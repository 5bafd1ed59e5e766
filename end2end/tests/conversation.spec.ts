// Conversation in two browser contexts: reactions, edit with ↑, delete,
// reply and jump to the original, mentions; on desktop and phone widths.
import { test, expect, openRoom, sendFromComposer, uniqueRoom, type ChatServer, register } from './fixtures';
import type { Page } from '@playwright/test';


const message = (page: Page, text: string) => page.locator('.messages .message', { hasText: text });

async function reply(server: ChatServer, room: string, to: number, body: string): Promise<void> {
  const r = await fetch(`${server.url}/api/rooms/${room}/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ id: `r-${Math.random().toString(36).slice(2)}`, from: 'carol', body, reply_to: to }),
  });
  expect(r.status, await r.clone().text()).toBe(201);
}

for (const viewport of [{ width: 1280, height: 800 }, { width: 390, height: 844 }]) {
  test(`conversation at ${viewport.width}px: react, edit with ↑, delete, reply and jump, mention`, async ({ server, openUser }) => {
    const room = uniqueRoom('talk');
    const ada = await openUser({ viewport });
    const bo = await openUser({ viewport });
    await register(ada.page, server.url, 'ada');
    await register(bo.page, server.url, 'bo');
    // An original on an older page than the one a room opens with.
    const original = await server.post(room, 'the original question', 'carol');
    for (let i = 0; i < 55; i++) await server.post(room, `filler ${i}`, 'bot');
    await openRoom(ada.page, server, room);
    await openRoom(bo.page, server, room);

    // A reacts, B sees the count.
    await sendFromComposer(ada.page, 'react to this');
    const onA = message(ada.page, 'react to this');
    const onB = message(bo.page, 'react to this');
    await expect(onB).toBeVisible();
    await onA.locator('.body').click();
    await onA.getByRole('button', { name: 'React with 👍' }).click();
    await expect(onA.locator('.reaction.me')).toHaveText('👍 1');
    await expect(onB.locator('.reaction')).toHaveText('👍 1');
    await expect(onB.locator('.reaction.me')).toHaveCount(0);
    // Who reacted: on hover, and under the list on a long press.
    await onB.locator('.reactions').dispatchEvent('contextmenu');
    await expect(onB.locator('.reactions.show-who')).toHaveAttribute('title', '👍 ada');

    // A edits its last message with ↑ and Enter; B sees the text and the mark.
    const box = ada.page.locator('.composer textarea');
    await box.click();
    await box.press('ArrowUp');
    await expect(box).toHaveValue('react to this');
    await box.fill('react to this, please');
    await box.press('Enter');
    await expect(box).toHaveValue('');
    await expect(message(bo.page, 'react to this, please').locator('.edited')).toBeVisible();
    await expect(message(bo.page, 'react to this, please').locator('.reaction')).toHaveText('👍 1');

    // A deletes it; B sees the tombstone in its place.
    const edited = message(ada.page, 'react to this, please');
    await edited.locator('.body').click();
    await edited.getByRole('button', { name: 'Delete' }).click();
    await expect(bo.page.locator('.messages .message.deleted .tombstone')).toHaveText('message deleted');
    await expect(message(bo.page, 'react to this, please')).toHaveCount(0);

    // B replies to a message; A sees the quote, clicks it and lands on it.
    const target = message(bo.page, 'filler 54');
    const targetSeq = await target.getAttribute('data-seq');
    await target.locator('.body').click();
    await target.getByRole('button', { name: 'Reply' }).click();
    await expect(bo.page.locator('.composer-context.replying')).toContainText('filler 54');
    await sendFromComposer(bo.page, 'answering the filler');
    const quoted = message(ada.page, 'answering the filler').locator('.reply-quote');
    await expect(quoted).toContainText('filler 54');
    await quoted.click();
    await expect(ada.page.locator(`#m-${targetSeq}`)).toHaveClass(/highlighted/);

    // A quote of a message on an older page loads pages until it is there.
    await reply(server, room, original.seq, 'about that old question');
    const oldQuote = message(ada.page, 'about that old question').locator('.reply-quote');
    await expect(oldQuote).toContainText('the original question');
    await oldQuote.click();
    const originalOnA = ada.page.locator(`#m-${original.seq}`);
    await expect(originalOnA).toHaveClass(/highlighted/);
    await expect(originalOnA).toBeInViewport();

    // A mention is highlighted for the mentioned account only.
    await sendFromComposer(bo.page, 'ping @ada');
    await expect(message(ada.page, 'ping @ada')).toHaveClass(/mentioned/);
    await expect(message(bo.page, 'ping @ada')).toBeVisible();
    await expect(message(bo.page, 'ping @ada')).not.toHaveClass(/mentioned/);
  });
}

test('conversation: @ completes names, and the emoji picker loads on demand', async ({ server, openUser }) => {
  const room = uniqueRoom('mention');
  const ada = await openUser();
  await register(ada.page, server.url, 'adalovelace');
  const guest = await openUser();
  await server.post(room, 'hello', 'bot');
  await openRoom(guest.page, server, room);
  const box = guest.page.locator('.composer textarea');
  await box.fill('hi @adal');
  await expect(guest.page.locator('.mention-suggestions button')).toHaveText(['@adalovelace']);
  await box.press('Tab');
  await expect(box).toHaveValue('hi @adalovelace ');

  const hello = message(guest.page, 'hello');
  await hello.locator('.body').click();
  await hello.getByRole('button', { name: 'More emoji' }).click();
  await hello.getByRole('dialog', { name: 'Pick an emoji' }).getByRole('button', { name: 'Pick 🦀' }).click();
  await expect(hello.locator('.reaction.me')).toHaveText('🦀 1');
  expect((await server.history(room))[0].reactions).toEqual([{ emoji: '🦀', count: 1, me: false }]);
});
