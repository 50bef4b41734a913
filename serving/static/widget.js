/**
 * <asn-suggestions>: an employee's suggested trainings and mentor, for agency portals.
 *
 * Embed with one script tag served by the API, then the element with a widget token that
 * the portal's backend minted (POST /v1/widget-tokens) for the signed-in employee:
 *
 *   <script src="https://API/widget.js" defer></script>
 *   <asn-suggestions token="…" lang="id"></asn-suggestions>
 *
 * Attributes (changes re-fetch): token (required), lang ("id", default, or "en"),
 * api (base URL of the API; default: where this script was loaded from).
 * Event: "asn-suggestions-error" (detail: {status}), e.g. to mint a fresh token on 401.
 * Theming: --asn-accent, --asn-text, --asn-muted, --asn-surface, --asn-card, --asn-border.
 *
 * No dependencies, no build step. Every value from the API is written as text, never as
 * HTML; the token is only sent in the Authorization header, never shown or logged.
 */
(() => {
  "use strict";

  const TAG = "asn-suggestions";
  // Only readable while this script is being evaluated, so capture it now.
  const SCRIPT_SRC = document.currentScript ? document.currentScript.src : "";
  const TIMEOUT_MS = 15000;

  const STRINGS = {
    id: {
      title: "Saran pengembangan kompetensi untuk Anda",
      trainings: "Pelatihan yang disarankan",
      mentor: "Mentor yang disarankan",
      loading: "Memuat saran…",
      expired: "Sesi widget telah berakhir. Muat ulang halaman.",
      forbidden: "Widget ini tidak diizinkan untuk situs ini.",
      busy: "Terlalu banyak permintaan. Coba lagi sebentar lagi.",
      unavailable: "Layanan saran sedang tidak tersedia. Coba lagi nanti.",
      failed: "Saran tidak dapat dimuat saat ini. Periksa koneksi Anda lalu coba lagi.",
      empty: "Belum ada saran untuk Anda saat ini.",
      noTrainings: "Belum ada pelatihan yang disarankan saat ini.",
      complement: "Pelatihan-pelatihan ini saling melengkapi.",
      retry: "Coba lagi",
      why: "Mengapa disarankan?",
      jpTitle: "jam pelajaran",
      distance: "Jarak",
      strengths: "Dapat membantu Anda dalam:",
      mentorNote: "Hubungi pengelola kepegawaian di instansi Anda untuk dipertemukan.",
      assigned: "Hasil pencocokan mentor instansi Anda",
      alternative: "Alternatif: mentor ini masih punya waktu untuk membimbing",
      noMentor: "Belum ada mentor untuk Anda saat ini.",
    },
    en: {
      title: "Development suggestions for you",
      trainings: "Suggested trainings",
      mentor: "Suggested mentor",
      loading: "Loading suggestions…",
      expired: "The widget session has ended. Reload the page.",
      forbidden: "This widget is not allowed on this site.",
      busy: "Too many requests. Please try again shortly.",
      unavailable: "The suggestion service is unavailable. Please try again later.",
      failed: "Suggestions could not be loaded. Check your connection and try again.",
      empty: "There are no suggestions for you yet.",
      noTrainings: "There are no suggested trainings yet.",
      complement: "These trainings complement each other.",
      retry: "Try again",
      why: "Why is this suggested?",
      jpTitle: "lesson hours",
      distance: "Distance",
      strengths: "Can help you with:",
      mentorNote: "Ask the HR office of your agency to arrange an introduction.",
      assigned: "Your agency's mentor matching",
      alternative: "Alternative: this mentor still has time to mentor",
      noMentor: "There is no mentor for you at the moment.",
    },
  };

  // Delivery forms in the data contract (recsys/data/contract.py MODALITIES) and common
  // English codes; anything else is shown as it comes.
  const MODALITIES = {
    klasikal: { id: "Klasikal (tatap muka)", en: "Classroom" },
    classical: { id: "Klasikal (tatap muka)", en: "Classroom" },
    e_learning: { id: "E-learning", en: "E-learning" },
    blended: { id: "Blended (tatap muka + daring)", en: "Blended" },
    workshop: { id: "Lokakarya", en: "Workshop" },
    seminar: { id: "Seminar", en: "Seminar" },
    coaching: { id: "Coaching", en: "Coaching" },
    mentoring: { id: "Mentoring", en: "Mentoring" },
    magang: { id: "Magang", en: "Internship" },
    internship: { id: "Magang", en: "Internship" },
    distance: { id: "Pembelajaran jarak jauh", en: "Distance learning" },
  };

  // 404: the person has no suggestions (e.g. no longer active since the token was minted).
  const STATUS_MESSAGES = {
    401: "expired",
    403: "forbidden",
    404: "empty",
    429: "busy",
    503: "unavailable",
  };
  const FINAL = new Set(["expired", "forbidden", "empty"]); // trying again will not help

  const CSS = `
    :host {
      --_accent: var(--asn-accent, #0b4a85);
      --_text: var(--asn-text, #1f2933);
      --_muted: var(--asn-muted, #3e4c59);
      --_surface: var(--asn-surface, #ffffff);
      --_card: var(--asn-card, #f5f8fb);
      --_border: var(--asn-border, #c3cfdb);
      display: block;
      container-type: inline-size;
      color: var(--_text);
      font: 400 1rem/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", sans-serif;
    }
    :host([hidden]) { display: none; }
    *, *::before, *::after { box-sizing: border-box; }
    .root {
      background: var(--_surface);
      border: 1px solid var(--_border);
      border-radius: 12px;
      padding: 1rem 1.25rem 1.25rem;
      min-width: 0;
    }
    h2, h3, h4, p { margin: 0; overflow-wrap: anywhere; }
    h2 { font-size: 1.125rem; line-height: 1.3; color: var(--_accent); }
    h3 { font-size: 1rem; margin: 1rem 0 0.5rem; }
    h4 { font-size: 1rem; line-height: 1.35; }
    ul { list-style: none; margin: 0; padding: 0; }
    .status:not(:empty) { margin-top: 0.75rem; color: var(--_muted); }
    .status.error:not(:empty) {
      color: #8a1c1c;
      background: #fdf2f2;
      border: 1px solid #e7b4b4;
      border-radius: 8px;
      padding: 0.5rem 0.75rem;
    }
    .cards {
      display: grid;
      gap: 0.75rem;
      grid-template-columns: repeat(auto-fill, minmax(min(100%, 15rem), 1fr));
    }
    .card {
      display: flex;
      flex-direction: column;
      gap: 0.5rem;
      min-width: 0;
      padding: 0.75rem;
      background: var(--_card);
      border: 1px solid var(--_border);
      border-radius: 10px;
    }
    .meta {
      display: flex;
      flex-wrap: wrap;
      align-items: center;
      gap: 0.25rem 0.75rem;
      font-size: 0.875rem;
      color: var(--_muted);
    }
    .badge, .chips li {
      border-radius: 999px;
      padding: 0.125rem 0.625rem;
      font-size: 0.875rem;
      overflow-wrap: anywhere;
    }
    .badge { background: #e1ebf6; color: #0a3a66; font-weight: 600; }
    .badge.alternative { background: #fdf3e1; color: #6b3d00; }
    .mentor.alternative { border-inline-start-color: #b26a00; }
    abbr { text-decoration: none; }
    .reason { font-size: 0.875rem; color: var(--_muted); }
    button {
      align-self: flex-start;
      min-height: 2.75rem;
      padding: 0.375rem 0.75rem;
      font: inherit;
      font-size: 0.875rem;
      font-weight: 600;
      color: var(--_accent);
      background: transparent;
      border: 1px solid currentColor;
      border-radius: 8px;
      cursor: pointer;
      text-align: start;
    }
    button:hover { background: #e1ebf6; }
    :focus-visible { outline: 3px solid var(--_accent); outline-offset: 2px; }
    .toggle::after {
      content: "";
      display: inline-block;
      width: 0.45em;
      height: 0.45em;
      margin-inline-start: 0.5em;
      border-right: 2px solid currentColor;
      border-bottom: 2px solid currentColor;
      transform: translateY(-0.15em) rotate(45deg);
      transition: transform 0.15s ease;
    }
    .toggle[aria-expanded="true"]::after { transform: translateY(0.1em) rotate(-135deg); }
    .mentor {
      display: flex;
      flex-direction: column;
      gap: 0.5rem;
      padding: 0.75rem;
      background: var(--_card);
      border: 1px solid var(--_border);
      border-inline-start: 4px solid var(--_accent);
      border-radius: 10px;
    }
    .chips { display: flex; flex-wrap: wrap; gap: 0.375rem; }
    .chips li { background: #e8edf2; color: var(--_text); }
    .note { font-size: 0.875rem; color: var(--_muted); }
    .note.complement { margin: -0.25rem 0 0.5rem; }
    .skeleton {
      height: 6.5rem;
      border-radius: 10px;
      background: linear-gradient(90deg, #eef2f6 25%, #f8fafc 50%, #eef2f6 75%);
      background-size: 200% 100%;
      animation: shimmer 1.2s linear infinite;
    }
    @keyframes shimmer {
      from { background-position: 200% 0; }
      to { background-position: -200% 0; }
    }
    @container (max-width: 24rem) {
      .root { padding: 0.75rem; border-radius: 8px; }
      h2 { font-size: 1.0625rem; }
    }
    @media (prefers-reduced-motion: reduce) {
      .skeleton { animation: none; }
      .toggle::after { transition: none; }
    }
    @media (forced-colors: active) {
      .badge, .chips li, .card, .mentor { border: 1px solid CanvasText; }
    }
  `;

  let shared = null;
  /** One stylesheet shared by every instance on the page. */
  function sheet() {
    if (!shared) {
      shared = new CSSStyleSheet();
      shared.replaceSync(CSS);
    }
    return shared;
  }

  /** An element with attributes and children (strings become text nodes, never HTML). */
  function h(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (name === "class") node.className = value;
      else if (value === true) node.setAttribute(name, "");
      else if (value !== false && value != null) node.setAttribute(name, String(value));
    }
    for (const child of children.flat()) {
      if (child != null && child !== false) node.append(child);
    }
    return node;
  }

  class AsnSuggestions extends HTMLElement {
    static get observedAttributes() {
      return ["token", "lang", "api"];
    }

    #root;
    #section;
    #heading;
    #status;
    #body;
    #controller = null;
    #scheduled = false;

    constructor() {
      super();
      this.#root = this.attachShadow({ mode: "open" });
      this.#heading = h("h2", { id: "asn-title" });
      this.#status = h("p", { class: "status", role: "status", "aria-live": "polite" });
      this.#body = h("div", { class: "body" });
      this.#section = h(
        "section",
        { class: "root", part: "region", "aria-labelledby": "asn-title" },
        this.#heading,
        this.#status,
        this.#body,
      );
      this.#root.append(this.#section);
      // A constructed sheet also works under a strict CSP (no 'unsafe-inline' styles).
      if (this.#root.adoptedStyleSheets !== undefined && "replaceSync" in CSSStyleSheet.prototype) {
        this.#root.adoptedStyleSheets = [sheet()];
      } else {
        this.#root.prepend(h("style", {}, CSS));
      }
    }

    connectedCallback() {
      this.#schedule();
    }

    disconnectedCallback() {
      this.#abort();
    }

    attributeChangedCallback(name, previous, value) {
      if (previous !== value && this.isConnected) this.#schedule();
    }

    /** Fetch again (e.g. after the portal set a fresh token). */
    refresh() {
      this.#schedule();
    }

    get #lang() {
      return (this.getAttribute("lang") || "").toLowerCase().startsWith("en") ? "en" : "id";
    }

    get #text() {
      return STRINGS[this.#lang];
    }

    #endpoint() {
      const override = (this.getAttribute("api") || "").trim();
      const base = override
        ? new URL(override.endsWith("/") ? override : `${override}/`, document.baseURI)
        : new URL(".", SCRIPT_SRC || document.baseURI);
      const url = new URL("v1/widget/suggestions", base);
      url.searchParams.set("lang", this.#lang);
      return url;
    }

    // Several attributes may change in one task (e.g. on upgrade): fetch once.
    #schedule() {
      if (this.#scheduled) return;
      this.#scheduled = true;
      queueMicrotask(() => {
        this.#scheduled = false;
        if (this.isConnected) this.#load();
      });
    }

    #abort() {
      if (this.#controller) this.#controller.abort();
      this.#controller = null;
    }

    async #load() {
      this.#abort();
      const t = this.#text;
      this.#frame();
      const token = (this.getAttribute("token") || "").trim();
      if (!token) {
        this.#fail(401);
        return;
      }
      const controller = new AbortController();
      this.#controller = controller;
      this.#section.setAttribute("aria-busy", "true");
      this.#status.className = "status";
      this.#status.textContent = t.loading;
      const placeholders = [0, 1, 2].map(() => h("li", { class: "skeleton" }));
      this.#body.replaceChildren(h("ul", { class: "cards", "aria-hidden": "true" }, placeholders));
      const timer = setTimeout(() => controller.abort(), TIMEOUT_MS);
      let status = 0;
      let data = null;
      let retryAfter = null;
      try {
        const response = await fetch(this.#endpoint(), {
          headers: { Authorization: `Bearer ${token}`, Accept: "application/json" },
          mode: "cors",
          credentials: "omit",
          cache: "no-store",
          signal: controller.signal,
        });
        status = response.status;
        retryAfter = Number(response.headers.get("Retry-After")) || null; // seconds, on 429
        if (response.ok) data = await response.json();
      } catch {
        if (controller.signal.aborted && this.#controller !== controller) return; // superseded
        status = 0;
      } finally {
        clearTimeout(timer);
      }
      if (this.#controller !== controller) return; // a newer request owns the element
      this.#controller = null;
      if (data && Array.isArray(data.trainings)) this.#show(data);
      else this.#fail(status, retryAfter);
    }

    #frame() {
      this.#section.lang = this.#lang;
      this.#heading.textContent = this.#text.title;
    }

    #fail(status, retryAfter = null) {
      const t = this.#text;
      const key = STATUS_MESSAGES[status] || "failed";
      this.#section.setAttribute("aria-busy", "false");
      this.#status.className = key === "empty" ? "status" : "status error";
      this.#status.textContent = t[key];
      this.#body.replaceChildren(
        FINAL.has(key) ? "" : h("button", { type: "button", class: "retry" }, t.retry),
      );
      const button = this.#body.querySelector(".retry");
      if (button) button.addEventListener("click", () => this.#load());
      const detail = { status, retryAfter };
      this.dispatchEvent(
        new CustomEvent("asn-suggestions-error", { detail, bubbles: true, composed: true }),
      );
    }

    #show(data) {
      const t = this.#text;
      const lang = this.#lang;
      const trainings = data.trainings;
      const mentor = data.mentor && typeof data.mentor === "object" ? data.mentor : null;
      const noMentor = mentor ? "" : String(data.no_mentor_reason ?? "");
      this.#section.setAttribute("aria-busy", "false");
      this.#status.className = "status";
      if (!trainings.length && !mentor && !noMentor) {
        this.#status.textContent = t.empty;
        this.#body.replaceChildren();
        return;
      }
      this.#status.textContent = "";
      const cards = trainings.map((item, i) => this.#training(item, i, t, lang));
      this.#body.replaceChildren(
        h("h3", { id: "asn-trainings" }, t.trainings),
        // the list is built so that each training adds to those before it
        cards.length > 1 ? h("p", { class: "note complement" }, t.complement) : "",
        cards.length
          ? h("ul", { class: "cards", "aria-labelledby": "asn-trainings" }, cards)
          : h("p", { class: "note" }, t.noTrainings),
        mentor ? this.#mentor(mentor, t) : "",
        noMentor ? this.#noMentor(noMentor, t) : "",
      );
    }

    #training(item, index, t, lang) {
      const code = String(item.modality ?? "");
      const modality = MODALITIES[code.toLowerCase()]?.[lang] || code;
      const reasonId = `asn-reason-${index}`;
      const titleId = `asn-training-${index}`;
      const reasonText = String(item.reason ?? "");
      const reason = h("p", { class: "reason", id: reasonId, hidden: true }, reasonText);
      const toggle = h(
        "button",
        {
          type: "button",
          class: "toggle",
          "aria-expanded": "false",
          "aria-controls": reasonId,
          "aria-describedby": titleId, // which training, for screen-reader users
        },
        t.why,
      );
      toggle.addEventListener("click", () => {
        const open = toggle.getAttribute("aria-expanded") !== "true";
        toggle.setAttribute("aria-expanded", String(open));
        reason.hidden = !open;
      });
      const hours = Number.isFinite(Number(item.hours_jp)) ? String(item.hours_jp) : "–";
      return h(
        "li",
        { class: "card" },
        h("h4", { id: titleId }, String(item.title ?? "")),
        h(
          "p",
          { class: "meta" },
          modality ? h("span", { class: "badge" }, modality) : "",
          h("span", { class: "hours" }, `${hours} `, h("abbr", { title: t.jpTitle }, "JP")),
        ),
        toggle,
        reason,
      );
    }

    #mentor(mentor, t) {
      const strengths = Array.isArray(mentor.strengths) ? mentor.strengths.map(String) : [];
      // the agency's matching, or an alternative who still has room (marked as such)
      const status = mentor.status === "alternative" ? "alternative" : "assigned";
      return h(
        "div",
        { class: "mentor-block" },
        h("h3", { id: "asn-mentor" }, t.mentor),
        h(
          "div",
          { class: `mentor ${status}` },
          h("p", { class: "meta" }, h("span", { class: `badge pairing ${status}` }, t[status])),
          mentor.distance ? h("p", {}, `${t.distance}: ${String(mentor.distance)}`) : "",
          strengths.length ? h("p", { id: "asn-strengths" }, t.strengths) : "",
          strengths.length
            ? h(
                "ul",
                { class: "chips", "aria-labelledby": "asn-strengths" },
                strengths.map((s) => h("li", {}, s)),
              )
            : "",
          h("p", { class: "note" }, t.mentorNote),
        ),
      );
    }

    /** No mentor: the agency's matching left the person out, and why. */
    #noMentor(reason, t) {
      return h(
        "div",
        { class: "mentor-block" },
        h("h3", { id: "asn-mentor" }, t.mentor),
        h(
          "div",
          { class: "mentor none" },
          h("p", {}, t.noMentor),
          h("p", { class: "note" }, reason),
        ),
      );
    }
  }

  if (!customElements.get(TAG)) customElements.define(TAG, AsnSuggestions);
})();
