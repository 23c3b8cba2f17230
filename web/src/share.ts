// Passing a kept report on: its link copied, a mailto: link for the reader's own mail program
// (neither needs anything of the server), and, where the server has a mail relay (it says so
// at GET /api/v1/config), a form that has the server mail it (POST /api/v1/reports/ID/share).
// The mail's words are the server's: the form sends only the address.

import { errorOf, type ServerFeatures, type ShareRequest } from "./api";
import { el } from "./dom";
import type { Report } from "./api";

const NOTHING: ServerFeatures = { store: false, public_history: false, share_by_mail: false };

/** What the server offers; nothing beyond running checks when it cannot say. */
export async function serverFeatures(): Promise<ServerFeatures> {
  const response = await fetch("/api/v1/config").catch(() => null);
  if (!response?.ok) return NOTHING;
  return ((await response.json().catch(() => null)) as ServerFeatures | null) ?? NOTHING;
}

/** The subject a mail about `report` has, here as on the server: the diagnosis. */
export function subjectOf(report: Report): string {
  return `netcheck: ${report.diagnosis?.summary ?? report.target.input}`;
}

/** A `mailto:` link that opens the reader's mail program with the link and the diagnosis. */
export function mailtoHref(report: Report, permalink: string): string {
  const subject = encodeURIComponent(subjectOf(report));
  const body = encodeURIComponent(`${report.diagnosis?.summary ?? ""}\n\nThe report: ${permalink}\n`);
  return `mailto:?subject=${subject}&body=${body}`;
}

/** The words for the server's answer to a share. */
export function shareOutcome(status: number, body: unknown): { sent: boolean; code: string; text: string } {
  if (status === 200) return { sent: true, code: "sent", text: "Sent." };
  const { code, message } = errorOf(status, body);
  return { sent: false, code, text: message };
}

/** The share box of kept report `id`, whose permalink is `permalink`. */
export function shareBox(id: string, report: Report, permalink: string, features: ServerFeatures): HTMLElement {
  const status = el("span", { class: "note", "data-copy-status": "" });
  const copy = el("button", { type: "button", "data-copy-link": "" }, "Copy link");
  copy.addEventListener("click", () => {
    navigator.clipboard.writeText(permalink).then(
      () => (status.textContent = "Copied."),
      () => (status.textContent = `Copy it from here: ${permalink}`),
    );
  });
  const box = el(
    "div",
    { class: "share", "data-share": id },
    copy,
    " ",
    el("a", { href: mailtoHref(report, permalink), "data-mailto": "" }, "Mail it yourself"),
    " ",
    status,
  );
  if (features.share_by_mail) box.append(mailForm(id));
  return box;
}

/** The form that has the server mail the report to one address. */
function mailForm(id: string): HTMLFormElement {
  const input = el("input", { type: "email", name: "to", placeholder: "name@example.com", required: "", autocomplete: "email", "data-share-to": "" });
  const result = el("p", { class: "note", "data-share-result": "" });
  const form = el("form", { class: "share-mail", "data-share-form": "" }, input, el("button", { type: "submit" }, "Send by e-mail"), result);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    result.textContent = "Sending…";
    delete result.dataset.shareSent;
    delete result.dataset.shareError;
    const request: ShareRequest = { to: input.value.trim() };
    const response = await fetch(`/api/v1/reports/${encodeURIComponent(id)}/share`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(request),
    }).catch(() => null);
    const outcome = response
      ? shareOutcome(response.status, await response.json().catch(() => null))
      : { sent: false, code: "network", text: "The netcheck server cannot be reached." };
    result.textContent = outcome.sent ? `Sent to ${input.value.trim()}.` : outcome.text;
    if (outcome.sent) result.dataset.shareSent = "";
    else result.dataset.shareError = outcome.code;
  });
  return form;
}
