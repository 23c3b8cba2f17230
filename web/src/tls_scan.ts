// The `tls_scan` section drawn: its grade on top, large, with every cap in words; a table of the
// protocol versions offered, and for each one the server accepted, its suites in the order it
// chose them, weak ones marked with why; then the groups, the signature algorithms, the HSTS
// preload readiness and the extensions, yes / no / unknown.
// The grade, the caps, what is weak and whose order it is are the scan's (grade.rs,
// weakness.rs): nothing is judged here. `tlsScanView` turns the section into rows of text, so
// it is tested without a browser; `gradeBox` and `scanTables` make the elements, every string as
// text.

import type { ExtensionsSeen, ProtocolScan, SuiteSeen, TlsScanReport } from "./api";
import { el } from "./dom";

export interface GradeView {
  letter: string;
  /** `score 72/100 · protocols 90 · key exchange 90 · ciphers 80`. */
  score: string;
  /** With `T`: the letter the chain would have were it trusted. */
  ifTrusted: string | null;
  /** Each cap in words, `at most B: the server accepts TLS 1.0 (RFC 8996)`, as the grade lists them. */
  caps: string[];
}

export interface SuiteRow {
  code: string;
  /** Why the suite is weak, in the scan's words; null for a good one. */
  weak: string | null;
  /** code, IANA name, key exchange, bits, FS, AEAD, weak. */
  cells: string[];
}

export interface SuiteTable {
  version: string;
  order: ProtocolScan["order"] | null;
  /** Whose order the rows are in, in words. */
  caption: string;
  rows: SuiteRow[];
}

export interface ProtocolRow {
  version: string;
  accepted: boolean;
  /** version, accepted, suites, how the last hello was answered. */
  cells: string[];
}

export interface TlsScanView {
  grade: GradeView | null;
  /** Why there is no grade, when there is none. */
  ungraded: string | null;
  protocols: ProtocolRow[];
  suites: SuiteTable[];
  /** `x25519 (TLS 1.3)`, in the order the scan lists them. */
  groups: string[];
  /** `rsa_pss_rsae_sha256 (0x0804)`, as the scan found them; absent from older reports. */
  signatures: string[];
  /** `ready` or `not ready: needs …`; null when the site check did not answer. */
  preload: string | null;
  extensions: { name: string; value: "yes" | "no" | "unknown" }[];
}

export const PROTOCOL_COLUMNS = ["version", "accepted", "suites", "last answer"];
export const SUITE_COLUMNS = ["code", "IANA name", "key exchange", "bits", "FS", "AEAD", "weak"];

/** The extensions in the order docs/report.md lists them; fields added later follow, by name. */
const EXTENSION_WORDS: [keyof ExtensionsSeen, string][] = [
  ["secure_renegotiation", "secure renegotiation"],
  ["fallback_scsv", "fallback SCSV"],
  ["compression", "compression"],
  ["session_ids", "session ids"],
  ["session_tickets", "session tickets"],
  ["ocsp_stapling", "OCSP stapling"],
  ["scts_in_handshake", "SCTs in the handshake"],
  ["scts_in_certificate", "SCTs in the certificate"],
  ["extended_master_secret", "extended master secret"],
  ["encrypt_then_mac", "encrypt-then-MAC"],
];

const ORDER_WORDS: Record<NonNullable<ProtocolScan["order"]>, string> = {
  server: "in the server's order: it picks its own preference, whatever the client offers first",
  client: "in the client's order: the server takes the first suite the client offers",
  unclear: "in the order chosen; whose order it is is unclear",
};

function yesNo(v: boolean): string {
  return v ? "yes" : "no";
}

function suiteRow(s: SuiteSeen): SuiteRow {
  const kex = s.key_exchange ?? (typeof s.dh_bits === "number" ? `DH ${s.dh_bits} bits` : "—");
  return {
    code: s.code,
    weak: s.weak ?? null,
    cells: [s.code, s.name, kex, String(s.cipher_bits), yesNo(s.forward_secrecy), yesNo(s.aead), s.weak ?? ""],
  };
}

function suiteTable(p: ProtocolScan): SuiteTable {
  const n = p.suites.length;
  const count = `${n} suite${n === 1 ? "" : "s"}`;
  const caption = p.order ? `${p.version}: ${count}, ${ORDER_WORDS[p.order]}` : `${p.version}: ${count}`;
  return { version: p.version, order: p.order ?? null, caption, rows: p.suites.map(suiteRow) };
}

/** The section as rows of text, in the order the page draws them. */
export function tlsScanView(d: TlsScanReport): TlsScanView {
  const g = d.grade;
  const grade: GradeView | null = g
    ? {
        letter: g.letter,
        score: `score ${g.score}/100 · protocols ${g.protocol_score} · key exchange ${g.key_exchange_score} · ciphers ${g.cipher_score}`,
        ifTrusted: g.letter === "T" && g.if_trusted ? g.if_trusted : null,
        caps: [
          ...g.caps.map((c) => `at most ${c.at_most}: ${c.reason}`),
          ...(g.short_of_a_plus ? [`A, not A+: ${g.short_of_a_plus}`] : []),
        ],
      }
    : null;
  const known = new Set<string>(EXTENSION_WORDS.map(([key]) => key));
  // A field a newer scan adds shows by its name, when it is a yes or no like the others.
  const later = Object.entries(d.extensions ?? {})
    .filter(([key, value]) => !known.has(key) && typeof value === "boolean")
    .map(([key]) => key)
    .sort()
    .map((key) => [key, key.replaceAll("_", " ")] as [keyof ExtensionsSeen, string]);
  const extensions = [...EXTENSION_WORDS, ...later].map(([key, name]) => {
    const v: unknown = (d.extensions ?? {})[key];
    return { name, value: v === true ? ("yes" as const) : v === false ? ("no" as const) : ("unknown" as const) };
  });
  return {
    grade,
    ungraded: g ? null : d.error ?? "no grade: the server accepted no version",
    protocols: d.protocols.map((p) => ({
      version: p.version,
      accepted: p.accepted,
      cells: [p.version, yesNo(p.accepted), p.accepted ? String(p.suites.length) : "", p.ended.message],
    })),
    suites: d.protocols.filter((p) => p.accepted).map(suiteTable),
    groups: d.groups.map((group) => `${group.name} (${group.asked_with})`),
    preload: d.hsts_preload
      ? d.hsts_preload.ready
        ? "ready"
        : `not ready: needs ${d.hsts_preload.unmet.join("; ")}`
      : null,
    signatures: (d.signature_algorithms ?? []).map((s) => `${s.name} (${s.code}, ${s.asked_with})`),
    extensions,
  };
}

/** A suite's row attributes: a weak suite's row has the class `weak` and says why. */
export function suiteAttributes(r: SuiteRow): Record<string, string> {
  return r.weak ? { class: "weak", "data-suite": r.code, "data-weak": r.weak } : { "data-suite": r.code };
}

/** A table under its title; the title stays on screen while a narrow one scrolls sideways. */
function table(columns: string[], rows: { attributes: Record<string, string>; cells: string[] }[], title: string, attributes: Record<string, string>): HTMLElement {
  return el(
    "div",
    { class: "scan-table" },
    el("h3", {}, title),
    el(
      "div",
      { class: "scroll" },
      el(
        "table",
        { ...attributes, "aria-label": title },
        el("thead", {}, el("tr", {}, ...columns.map((c) => el("th", { scope: "col" }, c)))),
        el("tbody", {}, ...rows.map((r) => el("tr", r.attributes, ...r.cells.map((cell) => el("td", {}, cell))))),
      ),
    ),
  );
}

/** The grade, large, with each cap in words; or why there is none. */
export function gradeBox(v: TlsScanView): HTMLElement {
  const { grade, ungraded } = v;
  if (!grade) return el("p", { class: "note", "data-ungraded": "" }, ungraded ?? "");
  return el(
    "div",
    { class: "grade", "data-grade": grade.letter },
    el("span", { class: "letter", "aria-label": `grade ${grade.letter}` }, grade.letter),
    el(
      "div",
      {},
      el("p", { class: "score" }, grade.score),
      ...(grade.ifTrusted ? [el("p", { class: "note" }, `${grade.ifTrusted} if the chain were trusted`)] : []),
      grade.caps.length
        ? el("ul", { class: "caps" }, ...grade.caps.map((c) => el("li", { "data-cap": "" }, c)))
        : el("p", { class: "note" }, "no cap applies"),
    ),
  );
}

/** The versions, each accepted version's suites, then the groups, the signature algorithms,
 * the preload readiness and the extensions. */
export function scanTables(v: TlsScanView): HTMLElement[] {
  return [
    table(
      PROTOCOL_COLUMNS,
      v.protocols.map((p) => ({ attributes: { class: p.accepted ? "accepted" : "refused", "data-version": p.version }, cells: p.cells })),
      "Protocol versions",
      { class: "protocols" },
    ),
    ...v.suites.map((s) =>
      table(
        SUITE_COLUMNS,
        s.rows.map((r) => ({ attributes: suiteAttributes(r), cells: r.cells })),
        s.caption,
        { class: "suites", "data-version": s.version, "data-order": s.order ?? "" },
      ),
    ),
    el(
      "dl",
      { class: "tls-extras" },
      el("dt", {}, "groups"),
      el("dd", { "data-groups": "" }, v.groups.join(", ") || "none seen"),
      el("dt", {}, "HSTS preload"),
      el("dd", { "data-preload": "" }, v.preload ?? "not seen (the site check did not answer)"),
      el("dt", {}, "signature algorithms"),
      el("dd", { "data-signatures": "" }, v.signatures.join(", ") || "none seen"),
      el("dt", {}, "extensions"),
      el("dd", {}, el("ul", { class: "extensions" }, ...v.extensions.map((x) => el("li", { class: x.value, "data-extension": x.name }, `${x.name}: ${x.value}`)))),
    ),
  ];
}
