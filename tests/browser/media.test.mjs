// Media links without nginx, in a real browser (issue 12): the two stand-in apps of
// tests/clients are declared to the emulator with the lines `lasuite-emu env docs|drive
// --fixture` prints (`serve --fixtures`), so the emulator plays their nginx: for each
// `/media/` request it asks the app's media-auth with the browser's cookies and serves the
// object with the signature media-auth returned.
//
// After a login, a page of each app shows an <img> of a PNG the test made and uploaded, loaded
// through the emulator's /media/; the same URL is 403 in a logged-out context and for bob; a
// <video> pointed at it makes Chromium's media loader send a Range request (206); a reload
// revalidates the image (304). Screenshots go to target/browser/media-*.png.
//
// Run: tests/browser/run.sh (it makes the Python virtualenv with tests/clients/venv.sh)

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import zlib from 'node:zlib';

import {
  startEmulator, startStandIns, launchBrowser, mediaFixtures, screenshot, describePage,
  withDeadline, ACTION_TIMEOUT_MS, NAV_TIMEOUT_MS,
} from './emu.mjs';

const TEST_TIMEOUT_MS = 90_000;

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k += 1) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes) {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** A real RGB PNG, width x height, a gradient (so the screenshot shows it). */
function makePng(width, height) {
  const chunk = (type, data) => {
    const head = Buffer.alloc(4);
    head.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([head, body, crc]);
  };
  const rows = [];
  for (let y = 0; y < height; y += 1) {
    const row = Buffer.alloc(1 + width * 3);
    for (let x = 0; x < width; x += 1) {
      row[1 + x * 3] = Math.round((255 * x) / width);
      row[2 + x * 3] = Math.round((255 * y) / height);
      row[3 + x * 3] = 160;
    }
    rows.push(row);
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8-bit RGB, no interlace
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', zlib.deflateSync(Buffer.concat(rows))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

const PNG = makePng(96, 64);

let setup;
let emu;
let apps;
let browser;

async function newContext() {
  const context = await browser.newContext({ viewport: { width: 800, height: 500 } });
  context.setDefaultTimeout(ACTION_TIMEOUT_MS);
  context.setDefaultNavigationTimeout(NAV_TIMEOUT_MS);
  return context;
}

/** Log `page` in to the app at `appUrl` as `fullName`: the app's login link, then the
 * emulator's picker (or straight back, when the SSO cookie is there already). */
async function login(page, appUrl, fullName) {
  const home = await page.goto(appUrl);
  assert.ok(home.ok(), await describePage(page));
  await page.locator('#login').click();
  await page.waitForURL((u) => u.href.startsWith(emu.url) || (u.href.startsWith(appUrl) && !u.pathname.startsWith('/api/')), { timeout: NAV_TIMEOUT_MS });
  if (page.url().startsWith(emu.url)) {
    await page.locator('#emu-user-picker').getByRole('button', { name: fullName }).click();
    await page.waitForURL((u) => u.href.startsWith(appUrl) && !u.pathname.startsWith('/api/'), { timeout: NAV_TIMEOUT_MS });
  }
}

/** Upload `bytes` through the app's upload view, from its own page (its session cookie). */
async function upload(page, appUrl, filename, bytes, type) {
  const answer = await page.evaluate(async ({ url, data, contentType }) => {
    const resp = await fetch(url, { method: 'POST', headers: { 'Content-Type': contentType }, body: new Uint8Array(data) });
    return { status: resp.status, body: await resp.text() };
  }, { url: `${appUrl}/api/v1.0/media-uploads/?filename=${encodeURIComponent(filename)}`, data: [...bytes], contentType: type });
  assert.equal(answer.status, 201, answer.body);
  return JSON.parse(answer.body);
}

/** The app's media page for `key`; resolves once its <img> has loaded or failed. */
async function mediaPage(page, appUrl, key) {
  const resp = await page.goto(`${appUrl}/media-page/?key=${encodeURIComponent(key)}`);
  assert.ok(resp.ok(), await describePage(page));
  await page.waitForFunction(() => document.querySelector('#media').complete);
  return page.evaluate(() => {
    const img = document.querySelector('#media');
    return { src: img.currentSrc, naturalWidth: img.naturalWidth, naturalHeight: img.naturalHeight };
  });
}

describe('media links through the emulator, as the apps\' nginx serves them, in Chromium', () => {
  before(async () => {
    setup = await mediaFixtures();
    emu = await startEmulator({ port: setup.emulatorPort, fixtures: setup.fixtures, logName: 'media-emulator' });
    assert.equal(emu.url, setup.emulatorUrl);
    apps = await startStandIns(emu, { media: setup.apps, logName: 'media-standins' });
    browser = await launchBrowser();
  });

  after(async () => {
    if (browser) await withDeadline(browser.close(), 15_000, 'browser.close()').catch(() => {});
    if (apps) await apps.stop();
    if (emu) await emu.stop();
  });

  for (const [name, fileName] of [['docs', 'diagram.png'], ['drive', 'photo.png']]) {
    test(`${name}: the owner's page shows the <img>; logged out and bob get 403; Range 206; reload 304`, { timeout: TEST_TIMEOUT_MS }, async () => {
      const appUrl = apps[name];
      const alice = await newContext();
      const page = await alice.newPage();
      await login(page, appUrl, 'Alice Liddell');
      const stored = await upload(page, appUrl, fileName, PNG, 'image/png');

      // The page's <img> comes from MEDIA_BASE_URL/media/... (the emulator), with the app's
      // session cookie, and is a real image.
      const mediaResponses = [];
      page.on('response', (r) => { if (r.url().startsWith(`${emu.url}/media/`)) mediaResponses.push(r); });
      const shown = await mediaPage(page, appUrl, stored.key);
      const src = name === 'drive' ? stored.preview_url : stored.media_url;
      assert.equal(shown.src, src);
      assert.ok(src.startsWith(`${emu.url}/media/${name === 'drive' ? 'preview/item/' : ''}`), src);
      assert.deepEqual([shown.naturalWidth, shown.naturalHeight], [96, 64], `the <img> did not load: ${JSON.stringify(shown)}`);
      await screenshot(page, `media-${name}-owner`);
      const first = mediaResponses.find((r) => r.url() === src);
      assert.ok(first, `no response for ${src}: ${mediaResponses.map((r) => r.url())}`);
      assert.equal(first.status(), 200);
      assert.equal((await first.headerValue('content-type')), 'image/png');

      // A reload revalidates the image (heuristic freshness of a just-written object is a
      // fraction of a second): If-None-Match with its ETag, and 304 through media-auth again.
      await sleep(1500);
      mediaResponses.length = 0;
      await page.reload();
      await page.waitForFunction(() => document.querySelector('#media').complete && document.querySelector('#media').naturalWidth > 0);
      const again = mediaResponses.find((r) => r.url() === src);
      assert.ok(again, `the reload did not ask for ${src} again`);
      assert.equal(again.status(), 304, `reload: ${again.status()}`);
      assert.equal(await again.request().headerValue('if-none-match'), await first.headerValue('etag'));

      // A <video> pointed at the same link: Chromium's media loader asks for a Range. With the
      // HTTP cache off, so the request is the plain `Range: bytes=0-` of a first play (with the
      // image cached, Chromium would make it conditional: If-None-Match, 304).
      const cdp = await alice.newCDPSession(page);
      await cdp.send('Network.enable');
      await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
      mediaResponses.length = 0;
      await page.evaluate((url) => {
        const video = document.createElement('video');
        video.id = 'clip';
        video.preload = 'auto';
        video.src = url;
        document.body.append(video);
      }, src);
      const deadline = Date.now() + NAV_TIMEOUT_MS;
      let ranged;
      while (!ranged && Date.now() < deadline) {
        for (const r of mediaResponses) {
          if (r.url() === src && (await r.request().headerValue('range'))) ranged = r;
        }
        if (!ranged) await sleep(100);
      }
      await cdp.send('Network.setCacheDisabled', { cacheDisabled: false });
      assert.ok(ranged, `no Range request for ${src}: ${mediaResponses.map((r) => `${r.status()} ${r.url()}`)}`);
      const range = await ranged.request().headerValue('range');
      assert.match(range, /^bytes=0-/);
      assert.equal(ranged.status(), 206, `Range ${range}: ${JSON.stringify(await ranged.allHeaders())}`);
      assert.equal(await ranged.headerValue('content-range'), `bytes 0-${PNG.length - 1}/${PNG.length}`);
      assert.equal(await ranged.headerValue('content-type'), 'image/png');

      // Logged out: a fresh context, no cookie for the app.
      const stranger = await newContext();
      const strangerPage = await stranger.newPage();
      const refused = await strangerPage.goto(src);
      assert.equal(refused.status(), 403, await describePage(strangerPage));
      await screenshot(strangerPage, `media-${name}-logged-out`);
      await stranger.close();

      // Another user: bob, logged in to the same app, gets 403 and a broken <img>.
      const bobContext = await newContext();
      const bob = await bobContext.newPage();
      await login(bob, appUrl, 'Bob');
      const bobSees = await mediaPage(bob, appUrl, stored.key);
      assert.equal(bobSees.naturalWidth, 0, 'bob\'s page showed alice\'s image');
      const direct = await bob.goto(src);
      assert.equal(direct.status(), 403, await describePage(bob));
      await screenshot(bob, `media-${name}-other-user`);
      await bobContext.close();
      await alice.close();
    });
  }
});
