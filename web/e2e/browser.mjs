// The browser the e2e scripts drive: Debian's headless Chromium through playwright-core
// (NETCHECK_CHROMIUM to use another), with no traffic of its own, as this machine may reach
// nothing but loopback.
import { chromium } from "playwright-core";

export function launch() {
  return chromium.launch({
    executablePath: process.env.NETCHECK_CHROMIUM ?? "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
}

/**
 * What goes wrong on `page`: script errors and console errors (a Content-Security-Policy
 * violation is one), but not a console line `expected` allows, nor the 404 `no_regions` that
 * a server without regions answers to the page's question (GET /api/v1/regions); and every
 * URL it asks for, to tell those of other hosts.
 */
export function watch(page, expected = () => false) {
  const errors = [];
  const requests = [];
  const noRegions = (m) => m.text().includes("status of 404") && m.location().url.endsWith("/api/v1/regions");
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("console", (m) => m.type() === "error" && !expected(m.text()) && !noRegions(m) && errors.push(m.text()));
  page.on("request", (r) => requests.push(r.url()));
  return { errors, offsite: (base) => requests.filter((u) => !u.startsWith(new URL(base).origin)) };
}
