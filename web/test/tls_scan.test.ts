import { describe, expect, it } from "vitest";
import type { CheckReport, TlsScanReport } from "../src/api";
import { facts } from "../src/render";
import { suiteAttributes, tlsScanView } from "../src/tls_scan";

// A server with TLS 1.0 still on, in the client's order, with 3DES; TLS 1.2 in its own order;
// TLS 1.3. Made up for the test in the shape the scan writes (crates/netcheck-core/src/checks/
// tls_scan), the words of `weak` and of the cap as weakness.rs and grade.rs put them.
const suite = (code: string, name: string, more: Partial<TlsScanReport["protocols"][number]["suites"][number]> = {}) => ({
  code, name, forward_secrecy: true, aead: true, cipher_bits: 256, key_exchange: "x25519", ...more,
});
const ended = (message: string) => ({ kind: "exhausted" as const, message });
const scan: TlsScanReport = {
  server_name: "shop.example", port: 443, address: "192.0.2.7:443", handshakes: 23, max_connections: 8, duration_ms: 412.3,
  protocols: [
    { version: "SSL 3.0", accepted: false, suites: [], ended: { kind: "refused", message: "fatal handshake_failure (40)" } },
    {
      version: "TLS 1.0", accepted: true, order: "client", ended: ended("no suite left"),
      suites: [
        suite("0xC014", "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", { aead: false }),
        suite("0x000A", "TLS_RSA_WITH_3DES_EDE_CBC_SHA", { forward_secrecy: false, aead: false, cipher_bits: 112, key_exchange: null, weak: "3DES, a 64-bit block cipher (Sweet32)" }),
      ],
    },
    { version: "TLS 1.1", accepted: false, suites: [], ended: { kind: "refused", message: "fatal protocol_version (70)" } },
    {
      version: "TLS 1.2", accepted: true, order: "server", ended: ended("no suite left"),
      suites: [
        suite("0xC030", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"),
        suite("0x009F", "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384", { key_exchange: null, dh_bits: 2048 }),
        suite("0xC02F", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", { cipher_bits: 128 }),
      ],
    },
    { version: "TLS 1.3", accepted: true, ended: ended("no suite left"), suites: [suite("0x1302", "TLS_AES_256_GCM_SHA384")] },
  ],
  groups: [
    { name: "x25519", code: 29, asked_with: "TLS 1.3" },
    { name: "secp256r1", code: 23, asked_with: "TLS 1.3" },
  ],
  hsts_preload: { ready: false, header: "max-age=300", max_age: 300, unmet: ["the preload directive"], unchecked: [] },
  signature_algorithms: [
    { name: "rsa_pss_rsae_sha256", code: "0x0804", asked_with: "TLS 1.2" },
    { name: "rsa_pkcs1_sha1", code: "0x0201", asked_with: "TLS 1.2" },
  ],
  extensions: { secure_renegotiation: true, fallback_scsv: false, compression: false, session_tickets: true },
  certificate_key: { key_type: "RSA", bits: 2048 },
  chain_verdict: { verdict: "valid", detail: "chains to a trusted root" },
  grade: {
    letter: "B", score: 86, protocol_score: 92, key_exchange_score: 90, cipher_score: 80,
    caps: [{ code: "grade_cap_old_tls", at_most: "B", reason: "the server accepts TLS 1.0 (RFC 8996)" }],
  },
};

describe("the TLS scan's drawing", () => {
  const view = tlsScanView(scan);

  it("shows the capped grade's letter and each cap in words", () => {
    expect(view.grade?.letter).toBe("B");
    expect(view.grade?.caps).toEqual(["at most B: the server accepts TLS 1.0 (RFC 8996)"]);
    expect(view.grade?.score).toBe("score 86/100 · protocols 92 · key exchange 90 · ciphers 80");
    expect(view.ungraded).toBeNull();
  });

  it("lists every version offered, accepted or not, oldest first", () => {
    expect(view.protocols.map((p) => [p.version, p.accepted])).toEqual([
      ["SSL 3.0", false], ["TLS 1.0", true], ["TLS 1.1", false], ["TLS 1.2", true], ["TLS 1.3", true],
    ]);
    expect(view.protocols[0]?.cells).toEqual(["SSL 3.0", "no", "", "fatal handshake_failure (40)"]);
  });

  it("keeps each accepted version's suites in the order the server chose them, and says whose order it is", () => {
    expect(view.suites.map((t) => t.version)).toEqual(["TLS 1.0", "TLS 1.2", "TLS 1.3"]);
    const [tls10, tls12, tls13] = view.suites;
    expect(tls12?.rows.map((r) => r.code)).toEqual(["0xC030", "0x009F", "0xC02F"]);
    expect(tls12?.rows[0]?.cells).toEqual(["0xC030", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "x25519", "256", "yes", "yes", ""]);
    // A DHE suite without a named key exchange is told by its prime's size.
    expect(tls12?.rows[1]?.cells[2]).toBe("DH 2048 bits");
    expect(tls12?.caption).toContain("in the server's order");
    expect(tls10?.order).toBe("client");
    expect(tls10?.caption).toContain("in the client's order");
    // One suite has no order to tell.
    expect(tls13?.caption).toBe("TLS 1.3: 1 suite");
  });

  it("marks a weak suite with the class weak and the scan's words", () => {
    const rows = view.suites[0]?.rows ?? [];
    expect(rows.map((r) => r.weak)).toEqual([null, "3DES, a 64-bit block cipher (Sweet32)"]);
    expect(rows[1]?.cells).toEqual(["0x000A", "TLS_RSA_WITH_3DES_EDE_CBC_SHA", "—", "112", "no", "no", "3DES, a 64-bit block cipher (Sweet32)"]);
    expect(rows.map(suiteAttributes)).toEqual([
      { "data-suite": "0xC014" },
      { class: "weak", "data-suite": "0x000A", "data-weak": "3DES, a 64-bit block cipher (Sweet32)" },
    ]);
  });

  it("lists the groups and every extension as yes, no or unknown", () => {
    expect(view.groups).toEqual(["x25519 (TLS 1.3)", "secp256r1 (TLS 1.3)"]);
    expect(view.preload).toBe("not ready: needs the preload directive");
    expect(view.signatures).toEqual(["rsa_pss_rsae_sha256 (0x0804, TLS 1.2)", "rsa_pkcs1_sha1 (0x0201, TLS 1.2)"]);
    expect(view.extensions.slice(0, 6)).toEqual([
      { name: "secure renegotiation", value: "yes" },
      { name: "fallback SCSV", value: "no" },
      { name: "compression", value: "no" },
      { name: "session ids", value: "unknown" },
      { name: "session tickets", value: "yes" },
      { name: "OCSP stapling", value: "unknown" },
    ]);
    expect(view.extensions).toHaveLength(10);
  });

  it("shows a yes-or-no a newer scan adds by its name, and leaves other new fields to the JSON", () => {
    const newer = { ...scan, extensions: { ...scan.extensions, heartbeat: false, signature_algorithms: ["ed25519"] } } as unknown as TlsScanReport;
    expect(tlsScanView(newer).extensions.at(-1)).toEqual({ name: "heartbeat", value: "no" });
    expect(tlsScanView(newer).extensions).toHaveLength(11);
  });

  it("says why there is no grade when the server accepted nothing", () => {
    const none = { ...scan, grade: null, protocols: scan.protocols.map((p) => ({ ...p, accepted: false, suites: [] })) };
    expect(tlsScanView(none).grade).toBeNull();
    expect(tlsScanView(none).ungraded).toBe("no grade: the server accepted no version");
    expect(tlsScanView(none).suites).toEqual([]);
  });

  it("has its card's lines say what was scanned and what the grade read of the chain", () => {
    const check = { id: "tls_scan", title: "TLS scan", status: "warning", duration_ms: 412, findings: [], data: { kind: "tls_scan", ...scan } } as unknown as CheckReport;
    expect(facts(check)).toEqual([
      "192.0.2.7:443 · SNI shop.example",
      "23 hello(s), at most 8 at once · 412 ms",
      "certificate key: RSA 2048 bits",
      "chain: valid — chains to a trusted root",
    ]);
  });
});
