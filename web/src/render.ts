// A check's card: its status, its findings worst first, and the few facts a person looks for
// first in each section. The whole section stays one click away as JSON. A section this page
// has no drawing for (a new check's, or one from a newer server) shows its facts as keys and
// values: a new check needs nothing here.

import type { CheckReport, Report } from "./api";
import { el } from "./dom";
import { gradeBox, scanTables, tlsScanView } from "./tls_scan";

/** A section's facts as `key: value` lines, values that are not text or numbers as JSON. */
export function genericFacts(data: Record<string, unknown>): string[] {
  return Object.entries(data)
    .filter(([key, value]) => key !== "kind" && value !== null && value !== undefined)
    .map(([key, value]) => `${key}: ${typeof value === "string" ? value : JSON.stringify(value)}`);
}

/** The lines of facts shown on a card, by kind of section. */
export function facts(check: CheckReport): string[] {
  const d = check.data;
  if (!d) return [];
  switch (d.kind) {
    case "dns":
      return [
        `addresses: ${d.addresses.join(", ") || "none"}`,
        `resolvers: ${d.resolvers.join(", ")}`,
        `DNSSEC: ${d.dnssec.status}`,
      ];
    case "site": {
      const t = d.timings;
      const phases = (["dns_ms", "connect_ms", "tls_ms", "first_byte_ms", "download_ms"] as const)
        .filter((k) => typeof t[k] === "number")
        .map((k) => `${k.replace("_ms", "").replace("_", " ")} ${(t[k] as number).toFixed(1)} ms`);
      return [
        `${d.status ?? "no answer"} · ${d.final_url}`,
        d.page?.title ? `title: ${d.page.title}` : "",
        `${d.hops.length} request(s) · ${phases.join(" · ")}`,
      ].filter(Boolean);
    }
    case "tls":
      return [
        d.version ? `${d.version} · ${d.cipher_suite ?? ""} · ALPN ${d.alpn ?? "none"}` : "",
        d.cleartext_handshake
          ? `chain read from a cleartext handshake: ${d.cleartext_handshake.version} · ${d.cleartext_handshake.cipher_suite}`
          : "",
        d.verdict ? `verdict: ${d.verdict} — ${d.verdict_detail ?? ""}` : "",
        ...d.chain.map((c, i) => `[${i}] ${c.subject} (until ${c.not_after})`),
      ].filter(Boolean);
    case "tls_scan":
      // The grade and the tables are drawn beside these lines (tls_scan.ts).
      return [
        // `address` is the socket address, port included.
        `${d.address ?? `port ${d.port}`}${d.server_name ? ` · SNI ${d.server_name}` : ""}${d.https_origin_of_http_target ? " (the https origin of the http:// target)" : ""}`,
        `${d.handshakes} hello(s), at most ${d.max_connections} at once · ${d.duration_ms.toFixed(0)} ms`,
        d.certificate_key ? `certificate key: ${d.certificate_key.key_type} ${d.certificate_key.bits} bits` : "",
        d.chain_verdict ? `chain: ${d.chain_verdict.verdict.replaceAll("_", " ")} — ${d.chain_verdict.detail}` : "",
        d.chain_unknown ? `chain left out of the grade: ${d.chain_unknown}` : "",
        d.error ? `error: ${d.error}` : "",
      ].filter(Boolean);
    case "ping":
      return d.targets.map((t) =>
        t.received > 0
          ? `${t.address}: ${t.received}/${t.sent} · ${t.min_ms?.toFixed(2)}/${t.avg_ms?.toFixed(2)}/${t.max_ms?.toFixed(2)} ms · ${t.loss_percent.toFixed(0)}% loss`
          : `${t.address}: no reply to ${t.sent}`,
      );
    case "traceroute": {
      // Where each router is and whose network it is in, beside its round trips.
      const place = new Map(
        (d.locations ?? []).map((l) => [
          l.address,
          l.reserved ?? [[l.city, l.country_code].filter(Boolean).join(", "), l.asn ? `AS${l.asn}` : ""].filter(Boolean).join(" · "),
        ]),
      );
      return d.targets.flatMap((t) => [
        `to ${t.address}${t.reached ? "" : " (not reached)"}`,
        ...t.hops.map((h) =>
          h.silent
            ? `${String(h.ttl).padStart(2)}  *`
            : `${String(h.ttl).padStart(2)}  ${h.addresses.join(" ")}  ${h.rtts_ms.map((r) => (typeof r === "number" ? `${r.toFixed(2)} ms` : "*")).join("  ")}` +
              (h.addresses[0] && place.get(h.addresses[0]) ? `  ${place.get(h.addresses[0])}` : ""),
        ),
      ]);
    }
    case "registration": {
      const g = d.registration;
      return [
        g.registrar ? `registrar: ${g.registrar}` : "",
        g.created ? `created ${g.created}` : "",
        g.expires ? `expires ${g.expires}` : "",
        g.name_servers?.length ? `name servers: ${g.name_servers.join(", ")}` : "",
      ].filter(Boolean);
    }
    case "location":
      return d.locations.map((l) =>
        l.reserved
          ? `${l.address}: ${l.reserved}`
          : `${l.address}: ${[l.city, l.region, l.country_code].filter(Boolean).join(", ")}${l.asn ? ` · AS${l.asn} ${l.as_organization ?? ""}` : ""}`,
      );
    default:
      // The schema lists the kinds this version writes; anything else is kept as it came.
      return genericFacts(d as unknown as Record<string, unknown>);
  }
}

/** A card for a check that has started; `finish` fills it in. */
export function startedCard(id: string, title: string): HTMLElement {
  return el(
    "section",
    { class: "card running", "data-check": id, "data-status": "running" },
    el("h2", {}, el("span", { class: "badge" }, "…"), ` ${title}`),
    el("p", { class: "note" }, "running"),
  );
}

export function finish(card: HTMLElement, check: CheckReport): void {
  card.className = `card ${check.status}`;
  card.dataset.status = check.status;
  const body: Node[] = [
    el("h2", {}, el("span", { class: "badge" }, check.status.replace("_", " ")), ` ${check.title} `, el("small", {}, `${check.duration_ms.toFixed(0)} ms`)),
  ];
  if (check.error) body.push(el("p", { class: "note" }, check.error));
  const scan = check.data?.kind === "tls_scan" ? tlsScanView(check.data) : null;
  if (scan) body.push(gradeBox(scan));
  const lines = facts(check);
  if (lines.length) body.push(el("pre", { class: "facts" }, lines.join("\n")));
  if (scan) body.push(...scanTables(scan));
  if (check.findings.length) {
    body.push(el("ul", { class: "findings" }, ...check.findings.map((f) => el("li", { class: f.severity }, f.message))));
  }
  const attribution = check.data && "attribution" in check.data ? check.data.attribution ?? [] : [];
  if (attribution.length) body.push(el("p", { class: "attribution" }, attribution.join(" · ")));
  body.push(el("details", {}, el("summary", {}, "JSON"), el("pre", {}, JSON.stringify(check.data ?? null, null, 2))));
  card.replaceChildren(...body);
}

export function diagnosisBanner(report: Report): HTMLElement {
  const d = report.diagnosis;
  return el(
    "section",
    { class: `diagnosis ${d?.reachability ?? "unknown"}`, "data-diagnosis": d?.reachability ?? "unknown" },
    el("p", { class: "summary" }, d?.summary ?? ""),
    el("ul", {}, ...(d?.problems ?? []).map((p) => el("li", { class: p.severity }, el("b", {}, p.stage), ` ${p.message}`))),
    el("p", { class: "note" }, `${report.duration_ms.toFixed(0)} ms · ${report.checks.length} checks`),
  );
}
