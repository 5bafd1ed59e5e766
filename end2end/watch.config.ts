import { defineConfig } from '@playwright/test';
import base from './playwright.config';

// `cargo leptos watch` as a developer runs it: one test, alone, since it
// builds the debug server and an unsplit WASM (~7 minutes from clean on 2
// cores) and edits a page's source while it runs.
export default defineConfig({
  ...base,
  testDir: './watch',
  fullyParallel: false,
  workers: 1,
  timeout: 40 * 60_000,
  // A trace's snapshots would take CPU from the rebuild being timed (2
  // cores); the test's log names the watcher's log instead.
  use: { ...base.use, trace: 'off' },
});
