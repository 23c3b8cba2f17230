// Drives the web UI in headless Chromium (Debian's, through playwright-core) the way a person
// would: type a target, press Check, watch the cards fill, read the diagnosis, the map and the
// TLS scan's grade and suite tables; then the same target again (answered from the store
// within the cooldown, its age said); then a bad target. Prints what it saw as one JSON line
// for the Rust test that started the server (crates/netcheck/tests/it/web.rs) to judge.
//
//   node e2e/check.mjs BASE_URL TARGET [SCREENSHOT.png]
import { launch, watch } from "./browser.mjs";

const [base, target, screenshot] = process.argv.slice(2);
const browser = await launch();
try {
  const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
  // The bad target below is answered 400 on purpose; Chromium logs that as an error.
  const { errors, offsite } = watch(page, (text) => text.includes("status of 400"));

  await page.goto(base);
  await page.fill("#target", target);
  await page.click("button[type=submit]");
  await page.waitForSelector("[data-check]", { timeout: 30000 });
  await page.waitForSelector("[data-diagnosis], [data-error]", { timeout: 90000 });
  const seen = await page.evaluate(() => ({
    reachability: document.querySelector("[data-diagnosis]")?.getAttribute("data-diagnosis") ?? null,
    summary: document.querySelector(".diagnosis .summary")?.textContent ?? null,
    error: document.querySelector("[data-error]")?.textContent ?? null,
    cards: [...document.querySelectorAll("[data-check]")].map((e) => ({ id: e.dataset.check, status: e.dataset.status })),
    countries: document.querySelectorAll("#map path.country").length,
    places: document.querySelectorAll("#map circle.place").length,
    mapNote: document.querySelector("#map-note")?.textContent ?? "",
    url: location.search,
  }));
  if (screenshot) await page.screenshot({ path: screenshot, fullPage: true });

  // The TLS scan's card: the grade and the tables as drawn, beside the section's own JSON (the
  // card's JSON view) to compare them with; whether a person sees them; a picture of the card.
  const scanCard = page.locator('[data-check="tls_scan"]');
  const tlsScan = (await scanCard.count())
    ? {
        ...(await scanCard.evaluate((card) => {
          const data = JSON.parse(card.querySelector("details pre")?.textContent ?? "null");
          return {
            status: card.dataset.status,
            letter: card.querySelector(".grade .letter")?.textContent ?? null,
            caps: [...card.querySelectorAll("[data-cap]")].map((li) => li.textContent),
            protocols: [...card.querySelectorAll("table.protocols tbody tr")].map((tr) => [tr.dataset.version, tr.cells[1]?.textContent]),
            captions: [...card.querySelectorAll("table.suites")].map((t) => t.closest(".scan-table")?.querySelector("h3")?.textContent ?? ""),
            suites: [...card.querySelectorAll("table.suites")].map((t) => ({
              version: t.dataset.version,
              order: t.dataset.order,
              codes: [...t.querySelectorAll("tbody tr")].map((tr) => tr.dataset.suite),
              names: [...t.querySelectorAll("tbody tr")].map((tr) => tr.cells[1]?.textContent),
              weak: [...t.querySelectorAll("tbody tr.weak")].map((tr) => tr.dataset.suite),
            })),
            extensions: [...card.querySelectorAll("[data-extension]")].map((li) => li.textContent),
            data: data && {
              letter: data.grade?.letter ?? null,
              caps: (data.grade?.caps ?? []).map((c) => `at most ${c.at_most}: ${c.reason}`),
              protocols: data.protocols.map((p) => [p.version, p.accepted ? "yes" : "no"]),
              suites: data.protocols
                .filter((p) => p.accepted)
                .map((p) => ({ version: p.version, order: p.order ?? "", codes: p.suites.map((s) => s.code), names: p.suites.map((s) => s.name), weak: p.suites.filter((s) => s.weak).map((s) => s.code) })),
            },
          };
        })),
        gradeVisible: await scanCard.locator(".grade .letter").isVisible(),
        suitesVisible: await scanCard.locator("table.suites").first().isVisible(),
        screenshot: screenshot ? screenshot.replace(/\.png$/, "-tls-scan.png") : null,
      }
    : null;
  if (tlsScan?.screenshot) await scanCard.screenshot({ path: tlsScan.screenshot });

  // With a database behind the server: the permalink shows the kept report, with its history.
  let permalink = null;
  if (process.env.NETCHECK_E2E_PERMALINK === "1") {
    await page.waitForSelector("[data-permalink]", { timeout: 10000 });
    const href = await page.$eval("[data-permalink]", (a) => a.getAttribute("href"));
    await page.goto(new URL(href, base).href);
    await page.waitForSelector("[data-stored-at]", { timeout: 10000 });
    await page.waitForSelector("[data-history]", { timeout: 10000 });
    permalink = await page.evaluate(() => ({
      summary: document.querySelector(".diagnosis .summary")?.textContent ?? null,
      cards: document.querySelectorAll("[data-check]").length,
      history: document.querySelectorAll("[data-history]").length,
      target: document.querySelector("#target").value,
    }));
    await page.goto(base);
  }

  // The same target again within the server's cooldown: its kept report, saying how old it is.
  await page.fill("#target", target);
  await page.click("button[type=submit]");
  await page.waitForSelector("[data-from-store]", { timeout: 10000 });
  const again = await page.evaluate(() => ({
    age: Number(document.querySelector("[data-from-store]").getAttribute("data-from-store")),
    note: document.querySelector("[data-from-store]").textContent,
    cards: document.querySelectorAll("[data-check]").length,
    summary: document.querySelector(".diagnosis .summary")?.textContent ?? null,
  }));

  await page.fill("#target", "exa mple.com");
  await page.click("button[type=submit]");
  await page.waitForSelector("[data-error]", { timeout: 10000 });
  const bad = await page.$eval("[data-error]", (e) => ({ code: e.dataset.error, text: e.textContent }));

  // A ?target= link followed from another site fills the form and waits for a click.
  await page.goto(new URL(`/?target=${encodeURIComponent(target)}`, base).href, { referer: "https://elsewhere.example/" });
  await page.waitForSelector("[data-waiting]", { timeout: 10000 });
  await page.waitForTimeout(1000);
  const foreign = await page.evaluate(() => ({
    filled: document.querySelector("#target").value,
    cards: document.querySelectorAll("[data-check]").length,
  }));

  console.log(JSON.stringify({ ...seen, tlsScan, permalink, again, bad, foreign, errors, offsite: offsite(base) }));
} finally {
  await browser.close();
}
