import { type Browser, chromium, type Page } from 'playwright-core';

/** Debian's Chromium, headless, as every browser test runs it (CHROMIUM_PATH overrides the path). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

/** A page of that size whose uncaught errors fail the test. */
export async function newTestPage(browser: Browser, viewport: { width: number; height: number }): Promise<Page> {
  const page = await browser.newPage({ viewport });
  page.on('pageerror', (err) => {
    throw err;
  });
  return page;
}
