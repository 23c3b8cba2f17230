// Drives the regions view in headless Chromium as a person would: wait for the server's
// regions to be offered, check a site in all of them, watch the columns fill, read the
// verdict, the columns and the map's routes; screenshots at a desktop's and a phone's width,
// and of the map alone. Prints what it saw as one JSON line for the Rust test that started the
// broker, the agents and the server (crates/netcheck/tests/it/web.rs) to judge.
//
//   node e2e/regions.mjs BASE_URL TARGET REGIONS SCREENSHOT_DIR
import { launch, watch } from "./browser.mjs";

const [base, target, regions, shots] = process.argv.slice(2);
const offered = regions.split(",");
const browser = await launch();
try {
  const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
  const { errors, offsite } = watch(page);

  await page.goto(base);
  await page.waitForFunction((n) => document.querySelectorAll("[data-region-choice]").length === n, offered.length, { timeout: 15000 });
  const choice = await page.$$eval("[data-region-choice]", (boxes) => boxes.map((b) => ({ region: b.value, checked: b.checked })));
  // Every state a column goes through, to see them fill as the events arrive.
  await page.evaluate(() => {
    window.seenStates = new Set();
    new MutationObserver(() => {
      for (const c of document.querySelectorAll("#cards [data-region]")) {
        window.seenStates.add(`${c.dataset.region}:${c.dataset.outcome}:${c.querySelectorAll("[data-check]").length}`);
      }
    }).observe(document.querySelector("#cards"), { childList: true, subtree: true });
  });
  await page.fill("#target", target);
  await page.click("button[type=submit]");
  await page.waitForSelector("[data-regions-verdict], [data-error]", { timeout: 120000 });
  const seen = await page.evaluate(() => ({
    verdict: document.querySelector("[data-regions-verdict]")?.getAttribute("data-regions-verdict") ?? null,
    summary: document.querySelector(".diagnosis .summary")?.textContent ?? null,
    downFrom: document.querySelector("[data-down-from]")?.textContent ?? null,
    error: document.querySelector("[data-error]")?.textContent ?? null,
    columns: [...document.querySelectorAll("#cards [data-region]")].map((c) => ({
      region: c.dataset.region,
      outcome: c.dataset.outcome,
      agent: c.querySelector(".agent")?.textContent ?? null,
      checks: c.querySelectorAll("[data-check]").length,
      facts: Object.fromEntries([...c.querySelectorAll("dt")].map((dt) => [dt.textContent, dt.nextElementSibling?.textContent ?? ""])),
      differs: [...c.querySelectorAll("dt[data-differs]")].map((dt) => dt.textContent),
    })),
    routes: [...document.querySelectorAll("#map g.region-route")].map((g) => ({
      region: g.dataset.region,
      lines: g.querySelectorAll("path.route").length,
      places: g.querySelectorAll("circle.place").length,
      agents: g.querySelectorAll("circle.place.agent").length,
    })),
    differences: [...document.querySelectorAll("[data-difference]")].map((d) => d.dataset.difference),
    legend: [...document.querySelectorAll("[data-legend]")].map((l) => l.dataset.legend),
    mapNote: document.querySelector("#map-note")?.textContent ?? "",
    url: location.search,
    states: [...window.seenStates],
    // Markup in what an agent says of itself stays text: no element made of it.
    markup: document.querySelectorAll("#cards i, #regions i, #map-legend i, #map i").length,
  }));
  const desktop = `${shots}/regions-desktop.png`;
  await page.screenshot({ path: desktop, fullPage: true });
  const map = `${shots}/regions-map.png`;
  await page.locator("figure").screenshot({ path: map });
  await page.setViewportSize({ width: 390, height: 844 });
  const mobile = `${shots}/regions-mobile.png`;
  await page.screenshot({ path: mobile, fullPage: true });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  await page.setViewportSize({ width: 1100, height: 900 });

  // The run was kept: its `stored` event showed the permalink; that page draws the kept run
  // as the run was drawn.
  await page.waitForSelector("[data-permalink]", { timeout: 10000 });
  const id = await page.evaluate(() => document.querySelector("[data-permalink]").getAttribute("data-permalink"));
  await page.goto(new URL(`/?report=${id}`, base).href);
  await page.waitForSelector("[data-stored-regions]", { timeout: 10000 });
  const kept = await page.evaluate(() => ({
    verdict: document.querySelector("[data-regions-verdict]")?.getAttribute("data-regions-verdict") ?? null,
    columns: [...document.querySelectorAll("#cards [data-region]")].map((c) => `${c.dataset.region}:${c.dataset.outcome}`),
    routes: document.querySelectorAll("#map g.region-route").length,
    target: document.querySelector("#target").value,
  }));

  console.log(JSON.stringify({ choice, ...seen, overflow, screenshots: [desktop, map, mobile], kept, errors, offsite: offsite(base) }));
} finally {
  await browser.close();
}
