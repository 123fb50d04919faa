// The whole Docs -> Drive -> S3 flow in a real browser (issue 5): headless Debian Chromium opens
// the Docs-like app of tests/clients (configured only from `lasuite-emu env docs`), is sent to
// the emulator's login page, picks a user with one click and comes back logged in; the
// Drive-like app on another port then logs it in silently through the SSO cookie. The Docs page
// uploads a file the way Drive's front end does (XHR PUT to the presigned URL with X-amz-acl
// and the file's Content-Type, cross-origin, so through the store's CORS), and the browser
// downloads the item from its media URL. Screenshots go to target/browser/apps-*.png.
//
// Run: tests/browser/run.sh (it makes the Python virtualenv with tests/clients/venv.sh)

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';

import {
  startEmulator, startStandIns, launchBrowser, screenshot, describePage, withDeadline,
  ACTION_TIMEOUT_MS, NAV_TIMEOUT_MS,
} from './emu.mjs';

const TEST_TIMEOUT_MS = 90_000;
const CONTENT = 'Hello from a real browser, through Docs and Drive into S3.\n';
// A Windows program (PE header) under a PDF name: Drive sniffs the bytes and refuses it.
const PROGRAM = Buffer.concat([Buffer.from('MZ\x90\x00', 'latin1'), Buffer.alloc(0x3c), Buffer.from('PE\0\0', 'latin1')]);
PROGRAM.writeUInt32LE(0x40, 0x3c);
PROGRAM.write('PE\0\0', 0x40, 'latin1');

let emu;
let apps;
let browser;
let context;
let page;

async function onPage(url) {
  const resp = await page.goto(url);
  assert.ok(resp && resp.ok(), `GET ${url} -> ${resp && resp.status()}: ${await describePage(page)}`);
}

/** Click "Upload to Drive" with `file` chosen; wait for the page to say done or failed. */
async function uploadThroughThePage(file) {
  await onPage(apps.docs);
  await page.locator('#file').setInputFiles(file);
  await page.locator('#upload').click();
  await page.waitForSelector('body[data-state="done"], body[data-state="failed"]', { timeout: NAV_TIMEOUT_MS });
  return { state: await page.getAttribute('body', 'data-state'), log: await page.locator('#log').textContent() };
}

describe('Docs -> Drive -> S3 in Chromium, through the two stand-in apps', () => {
  before(async () => {
    emu = await startEmulator();
    apps = await startStandIns(emu);
    browser = await launchBrowser();
    context = await browser.newContext({ viewport: { width: 1000, height: 800 } });
    context.setDefaultTimeout(ACTION_TIMEOUT_MS);
    context.setDefaultNavigationTimeout(NAV_TIMEOUT_MS);
    page = await context.newPage();
  });

  after(async () => {
    if (browser) await withDeadline(browser.close(), 15_000, 'browser.close()').catch(() => {});
    if (apps) await apps.stop();
    if (emu) await emu.stop();
  });

  test('one click on the login page logs in to Docs; Drive logs in silently', { timeout: TEST_TIMEOUT_MS }, async () => {
    await onPage(apps.docs);
    await page.locator('#login').click();
    await page.waitForURL((u) => u.href.startsWith(emu.url), { timeout: NAV_TIMEOUT_MS });
    const picker = page.locator('#emu-user-picker');
    await picker.waitFor({ state: 'visible' });
    await screenshot(page, 'apps-login-page');
    await picker.getByRole('button', { name: 'Alice Liddell' }).click();

    await page.waitForURL((u) => u.href.startsWith(apps.docs), { timeout: NAV_TIMEOUT_MS });
    assert.equal(await page.locator('#who').textContent(), 'alice@example.com', await describePage(page));

    // The Drive-like app: its login goes to the emulator and straight back (SSO cookie).
    const shown = [];
    const onNav = (frame) => { if (frame === page.mainFrame()) shown.push(frame.url()); };
    page.on('framenavigated', onNav);
    await onPage(apps.drive);
    await page.locator('#login').click();
    await page.waitForURL((u) => u.href.startsWith(apps.drive) && !u.pathname.startsWith('/api/'), { timeout: NAV_TIMEOUT_MS });
    page.off('framenavigated', onNav);
    assert.equal(await page.locator('#state').textContent(), 'Signed in as alice@example.com', await describePage(page));
    const onEmulator = shown.filter((u) => u.startsWith(emu.url));
    assert.deepEqual(onEmulator, [], `the emulator showed a page during the silent login: ${JSON.stringify(shown)}`);
  });

  test('the Docs page uploads to the presigned URL as Drive does, and the media URL serves it', { timeout: TEST_TIMEOUT_MS }, async () => {
    const puts = [];
    const onRequest = (request) => { if (request.method() === 'PUT') puts.push(request); };
    page.on('request', onRequest);
    const { state, log } = await uploadThroughThePage({ name: 'hello.txt', mimeType: 'text/plain', buffer: Buffer.from(CONTENT) });
    page.off('request', onRequest);
    await screenshot(page, 'apps-upload-result');
    assert.equal(state, 'done', `the upload failed: ${log}`);
    assert.match(log, /upload ended: analyzing, text\/plain, \d+ bytes/);

    // The browser itself PUT the bytes to the store, with Drive front end's headers.
    assert.equal(puts.length, 1, `PUT requests: ${puts.map((r) => r.url())}`);
    const put = puts[0];
    assert.ok(put.url().startsWith(`${emu.url}/drive-media-storage/item/`), put.url());
    assert.match(put.url(), /X-Amz-Signature=/);
    const headers = await put.allHeaders();
    assert.equal(headers['x-amz-acl'], 'private');
    assert.equal(headers['content-type'], 'text/plain');
    assert.equal((await put.response()).status(), 200);

    // The item's media URL, followed in the browser with the SSO cookie: Drive serves files as
    // attachments, so it is a download, named after the file.
    const media = await page.locator('#media').getAttribute('href');
    assert.ok(media.startsWith(`${emu.url}/media/item/`), media);
    const [download] = await Promise.all([page.waitForEvent('download'), page.locator('#media').click()]);
    assert.equal(download.url(), media);
    assert.equal(download.suggestedFilename(), 'hello.txt');
    assert.equal(await download.failure(), null);
    assert.equal(fs.readFileSync(await download.path(), 'utf8'), CONTENT);
  });

  test('a program disguised as a PDF is refused when the upload ends', { timeout: TEST_TIMEOUT_MS }, async () => {
    const { state, log } = await uploadThroughThePage({ name: 'invoice.pdf', mimeType: 'application/pdf', buffer: PROGRAM });
    await screenshot(page, 'apps-upload-refused');
    assert.equal(state, 'failed', log);
    assert.match(log, /PUT \d+ bytes to the presigned URL/, log);
    assert.match(log, /FAILED end the upload: 502 .*"status":\s*400.*file_type_not_allowed/, log);
  });
});
