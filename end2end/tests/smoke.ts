// The shortest proof that a build works in a browser: two people open a
// room, a line sent with Enter arrives live in the other's tab, and a
// reaction (code that a split build loads on first use) reaches the
// sender. Run against the split release build (smoke.spec.ts) and against
// `cargo leptos watch`, which builds without `--split` (../watch/).
import { expect, type BrowserContextOptions, type BrowserContext, type Page } from '@playwright/test';

type OpenUser = (options?: BrowserContextOptions) => Promise<{ context: BrowserContext; page: Page }>;

export async function smoke(url: string, openUser: OpenUser, room: string): Promise<void> {
  const ada = await openUser();
  const bo = await openUser();
  for (const { page } of [ada, bo]) {
    await page.goto(`${url}/r/${room}`);
    await expect(page.locator('.live-state')).toHaveAttribute('data-state', 'live');
  }
  const line = `smoke ${Math.random().toString(36).slice(2, 8)}`;
  const box = ada.page.locator('.composer textarea');
  await box.fill(line);
  await box.press('Enter');
  await expect(box).toHaveValue('');
  const onBo = bo.page.locator('.messages .message', { hasText: line });
  await expect(onBo.locator('.body')).toHaveText(line);

  await onBo.locator('.body').click();
  await onBo.getByRole('button', { name: 'React with 👍' }).click();
  await expect(ada.page.locator('.messages .message', { hasText: line }).locator('.reaction')).toHaveText('👍 1');
  // Done with them: tabs left open would reload and hydrate again with
  // every edit of a watched build.
  await ada.context.close();
  await bo.context.close();
}
