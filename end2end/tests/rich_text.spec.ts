// Formatted messages in a real browser (issue 28): what A types is drawn
// for B with links, code, bold and a spoiler; a link opens apart with its
// rel set; the "Plain" box sends literally; phone width; axe clean.
import AxeBuilder from '@axe-core/playwright';
import { test, expect, openRoom, uniqueRoom, sendFromComposer } from './fixtures';

for (const viewport of [{ width: 1280, height: 800 }, { width: 390, height: 844 }]) {
  test(`formatting at ${viewport.width}px: B sees A's link, code, bold and spoiler; Plain sends as typed`, async ({ server, openUser }) => {
    const room = uniqueRoom('rich');
    const { page: a } = await openUser({ viewport });
    const { page: b } = await openUser({ viewport });
    await openRoom(a, server, room);
    await openRoom(b, server, room);

    await sendFromComposer(a, '**bold move** see https://example.org/docs and `x = 1`');
    const line = b.locator('.message .body.rich').filter({ hasText: 'bold move' });
    await expect(line.locator('strong')).toHaveText('bold move');
    await expect(line.locator('code')).toHaveText('x = 1');
    const link = line.locator('a[href="https://example.org/docs"]');
    await expect(link).toHaveAttribute('rel', 'noopener noreferrer nofollow ugc');
    await expect(link).toHaveAttribute('target', '_blank');
    // Clicking opens a new tab (the site itself is never reached: routed).
    await b.context().route('https://example.org/**', (route) => route.fulfill({ body: 'elsewhere' }));
    const [opened] = await Promise.all([b.context().waitForEvent('page'), link.click()]);
    await expect(opened).toHaveURL('https://example.org/docs');
    await opened.close();

    // A code block keeps its lines; a spoiler shows when asked.
    await server.post(room, '```rust\nfn main() {\n    println!("hi");\n}\n```\n||the butler did it||');
    const code = b.locator('.body.rich pre code.lang-rust');
    await expect(code).toContainText('println!("hi");');
    expect(await code.evaluate((el) => el.textContent?.split('\n').length)).toBeGreaterThanOrEqual(3);
    await expect(code.locator('.hl-keyword').first()).toHaveText('fn');
    const spoiler = b.locator('.spoiler').filter({ hasText: 'the butler did it' });
    const hidden = await spoiler.locator('span').evaluate((el) => getComputedStyle(el).color);
    expect(hidden).toBe('rgba(0, 0, 0, 0)');
    await spoiler.locator('input').click();
    const shown = await spoiler.locator('span').evaluate((el) => getComputedStyle(el).color);
    expect(shown).not.toBe('rgba(0, 0, 0, 0)');

    // Formatting off for one message: shown exactly as typed.
    await a.locator('.composer .plain-toggle input').check();
    await sendFromComposer(a, '**stars stay** _as typed_');
    await expect(b.locator('.message .body').filter({ hasText: '**stars stay** _as typed_' })).toBeVisible();
    await expect(a.locator('.composer .plain-toggle input')).not.toBeChecked();

    const widths = await b.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
    expect(widths[0], 'no sideways scrolling').toBeLessThanOrEqual(widths[1]);
    const results = await new AxeBuilder({ page: b })
      .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'])
      .analyze();
    expect(results.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3)}`)).toEqual([]);
  });
}
