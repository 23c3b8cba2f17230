// Drives a kept report's page in headless Chromium (Debian's, through playwright-core) as a
// person passing it on would: the copy-link button and the mailto: link, always there; the
// e-mail form, there only when the server mails, filled with ADDRESS and sent. Prints what it
// saw as one JSON line for the Rust test that started the server and the SMTP server
// (crates/netcheck/tests/it/web.rs) to judge.
//
//   node e2e/share.mjs BASE_URL REPORT_ID [ADDRESS]
import { launch, watch } from "./browser.mjs";

const [base, id, address] = process.argv.slice(2);
const browser = await launch();
try {
  const page = await browser.newPage();
  const { errors } = watch(page);
  await page.goto(new URL(`/?report=${id}`, base).href);
  await page.waitForSelector("[data-share]", { timeout: 10000 });
  const seen = await page.evaluate(() => ({
    copy: document.querySelectorAll("[data-copy-link]").length,
    mailto: document.querySelector("[data-mailto]")?.getAttribute("href") ?? null,
    form: document.querySelectorAll("[data-share-form]").length,
  }));
  let sent = null;
  if (address && seen.form) {
    await page.fill("[data-share-to]", address);
    await page.click("[data-share-form] button[type=submit]");
    await page.waitForSelector("[data-share-sent], [data-share-error]", { timeout: 60000 });
    sent = await page.$eval("[data-share-result]", (e) => ({ sent: "shareSent" in e.dataset, error: e.dataset.shareError ?? null, text: e.textContent }));
  }
  console.log(JSON.stringify({ ...seen, sent, errors }));
} finally {
  await browser.close();
}
