import { LitElement, css, html, nothing, type TemplateResult } from "lit";

import { reason, stateWord, words, type Words } from "./i18n.ts";
import {
  findChargers,
  findSites,
  formatEnergy,
  formatPower,
  numeric,
  percent,
  resolveSite,
  selectOptions,
  timeline,
  watts,
  type Charger,
  type Devices,
  type Entities,
  type KeyedEntities,
  type Site,
  type StateObject,
  type States,
} from "./logic.ts";

export interface CardConfig {
  type: string;
  site?: string;
  title?: string;
  /** Optional power sensors of the chargers, by charger device id or name. */
  power_entities?: Record<string, string>;
}

/** The part of Home Assistant's `hass` object the card uses. */
export interface Hass {
  states: States;
  entities: Entities;
  devices: Devices;
  language?: string;
  locale?: { language?: string };
  callService(domain: string, service: string, data: Record<string, unknown>): Promise<unknown>;
  formatEntityState?(state: StateObject): string;
}

/** The keys under which a charger's own measured power may be exposed. */
const POWER_KEYS = ["measured_power", "charging_power", "power"];

export class SmartChargingCard extends LitElement {
  declare hass?: Hass;
  declare _config?: CardConfig;

  static properties = {
    hass: { attribute: false },
    _config: { state: true },
  };

  static getConfigElement(): HTMLElement {
    return document.createElement("smart-charging-card-editor");
  }

  static getStubConfig(hass: Hass): Omit<CardConfig, "type"> {
    const site = findSites(hass.entities, hass.devices)[0];
    return site ? { site: site.device.id } : {};
  }

  setConfig(config: CardConfig): void {
    if (!config || typeof config !== "object") {
      throw new Error("Invalid configuration");
    }
    this._config = config;
  }

  getCardSize(): number {
    if (!this.hass || !this._config) {
      return 3;
    }
    const site = resolveSite(this.hass.entities, this.hass.devices, this._config.site);
    const chargers = site ? findChargers(this.hass.entities, this.hass.devices, site.device.id) : [];
    return 3 + 3 * chargers.length;
  }

  private get language(): string {
    return this.hass?.locale?.language ?? this.hass?.language ?? "en";
  }

  private state(entityId: string | undefined): StateObject | undefined {
    return entityId ? this.hass?.states[entityId] : undefined;
  }

  /** Home Assistant's own word for an entity's state, else the card's. */
  private stateText(stateObj: StateObject | undefined, table: Record<string, string>): string {
    if (!stateObj) {
      return "—";
    }
    if (stateObj.state === "unavailable" || stateObj.state === "unknown") {
      return stateWord(table, undefined);
    }
    const own = table[stateObj.state];
    if (own !== undefined) {
      const formatted = this.hass?.formatEntityState?.(stateObj);
      return formatted && formatted !== stateObj.state ? formatted : own;
    }
    return this.hass?.formatEntityState?.(stateObj) ?? stateWord(table, stateObj.state);
  }

  protected render(): TemplateResult | typeof nothing {
    if (!this.hass || !this._config) {
      return nothing;
    }
    const w = words(this.language);
    const site = resolveSite(this.hass.entities, this.hass.devices, this._config.site);
    if (!site) {
      return html`<ha-card><div class="empty">${w.labels.no_site}</div></ha-card>`;
    }
    const chargers = findChargers(this.hass.entities, this.hass.devices, site.device.id);
    return html`
      <ha-card>
        <h1 class="title">${this._config.title ?? site.name}</h1>
        ${this.renderSite(site, w)}
        <div class="chargers">
          ${chargers.length === 0
            ? html`<div class="empty">${w.labels.no_chargers}</div>`
            : chargers.map((charger) => this.renderCharger(charger, w))}
        </div>
      </ha-card>
    `;
  }

  /** A site figure kept as an attribute of one of the site's entities. */
  private siteAttribute(entities: KeyedEntities, name: string): number | undefined {
    for (const entityId of Object.values(entities)) {
      const value = Number(this.state(entityId)?.attributes[name]);
      if (this.state(entityId)?.attributes[name] !== undefined && Number.isFinite(value)) {
        return value;
      }
    }
    return undefined;
  }

  private renderSite(site: Site, w: Words): TemplateResult {
    const e = site.entities;
    const lang = this.language;
    const figures: [string, string, string][] = [];
    const limitKw = this.siteAttribute(e, "grid_limit_kw");
    if (limitKw !== undefined) {
      figures.push(["limit", w.labels.limit, formatPower(limitKw * 1000, lang)]);
    }
    for (const key of ["household_power", "solar_surplus", "ev_budget"]) {
      if (e[key]) {
        const label = w.labels[key === "household_power" ? "household" : key];
        figures.push([key, label, formatPower(watts(this.state(e[key])), lang)]);
      }
    }
    const marginKw = this.siteAttribute(e, "safety_margin_kw");
    if (marginKw !== undefined) {
      figures.push(["margin", w.labels.margin, formatPower(marginKw * 1000, lang)]);
    }
    if (e.quarter_peak) {
      const peak = this.state(e.quarter_peak);
      const limit = Number(peak?.attributes.peak_limit_kw);
      const text = formatPower(watts(peak), lang);
      figures.push([
        "quarter_peak",
        w.labels.quarter_peak,
        limit > 0 ? `${text} / ${formatPower(limit * 1000, lang)}` : text,
      ]);
    }
    if (e.dimmed) {
      const on = this.state(e.dimmed)?.state === "on";
      figures.push(["dimmed", w.labels.dimmed, on ? w.labels.dimmed_on : w.labels.dimmed_off]);
    }
    if (e.off_peak) {
      const on = this.state(e.off_peak)?.state === "on";
      figures.push(["off_peak", w.labels.off_peak, on ? w.labels.on : w.labels.off]);
    }
    return html`
      <div class="site">
        ${figures.map(
          ([key, label, value]) => html`
            <div class="figure" data-figure=${key}>
              <span class="label">${label}</span>
              <span class="value">${value}</span>
            </div>
          `,
        )}
      </div>
    `;
  }

  private drawnPower(charger: Charger): number | undefined {
    const configured = this._config?.power_entities ?? {};
    const entityId =
      configured[charger.device.id] ??
      configured[charger.name] ??
      POWER_KEYS.map((key) => charger.entities[key]).find(Boolean);
    if (entityId) {
      return watts(this.state(entityId));
    }
    // null while the box measures nothing: unknown, not 0 W.
    const measured = this.state(charger.entities.allocated_power)?.attributes.measured_power_w;
    return typeof measured === "number" && Number.isFinite(measured) ? measured : undefined;
  }

  private select(
    entityId: string | undefined,
    label: string,
    table: Record<string, string>,
    name: string,
  ): TemplateResult | typeof nothing {
    const stateObj = this.state(entityId);
    if (!entityId || !stateObj) {
      return nothing;
    }
    const options = selectOptions(stateObj);
    return html`
      <label class="control">
        <span class="label">${label}</span>
        <select
          name=${name}
          aria-label=${label}
          .value=${stateObj.state}
          ?disabled=${stateObj.state === "unavailable"}
          @change=${(event: Event) => this.choose(entityId, event)}
        >
          ${options.map(
            (option) =>
              html`<option value=${option} ?selected=${option === stateObj.state}>
                ${stateWord(table, option)}
              </option>`,
          )}
        </select>
      </label>
    `;
  }

  private choose(entityId: string, event: Event): void {
    const option = (event.target as HTMLSelectElement).value;
    void this.hass?.callService("select", "select_option", { entity_id: entityId, option });
  }

  private renderCharger(charger: Charger, w: Words): TemplateResult {
    const e = charger.entities;
    const lang = this.language;
    const status = this.state(e.status);
    const statusKey = status?.state;
    const allocated = watts(this.state(e.allocated_power));
    const drawn = this.drawnPower(charger);
    const session = numeric(this.state(e.session_energy));
    const boost = status?.attributes.boost;
    const mode = this.state(e.mode)?.state;
    const plan = mode === "smart" ? this.state(e.planned_start) : undefined;
    const scale = Math.max(allocated ?? 0, drawn ?? 0);
    return html`
      <div class="charger" data-charger=${charger.name}>
        <div class="head">
          <span class="name">${charger.name}</span>
          <span class="status status-${statusKey ?? "unknown"}">
            ${this.stateText(status, w.status)}
          </span>
        </div>
        <div class="reason">
          ${reason(lang, statusKey)}
          ${typeof boost === "string" && boost
            ? html`<span class="boost">${w.labels.boost}: ${stateWord(w.boost, boost)}</span>`
            : nothing}
        </div>
        <div class="controls">
          ${this.select(e.mode, w.labels.mode, w.mode, "mode")}
          ${this.select(e.profile, w.labels.profile, w.profile, "profile")}
        </div>
        <div class="power">
          <span class="figure" data-figure="allocated">
            <span class="label">${w.labels.allocated}</span>
            <span class="value">${formatPower(allocated, lang)}</span>
          </span>
          ${drawn !== undefined
            ? html`<span class="figure" data-figure="drawn">
                <span class="label">${w.labels.drawn}</span>
                <span class="value">${formatPower(drawn, lang)}</span>
              </span>`
            : nothing}
          <span class="figure" data-figure="session">
            <span class="label">${w.labels.session}</span>
            <span class="value">${formatEnergy(session, lang)}</span>
          </span>
        </div>
        <div class="bar" title="${w.labels.allocated} / ${w.labels.drawn}">
          <div class="allocated" style="width: ${percent(allocated, scale)}%"></div>
          ${drawn !== undefined
            ? html`<div class="drawn" style="width: ${percent(drawn, scale)}%"></div>`
            : nothing}
        </div>
        ${plan ? this.renderPlan(plan, w) : nothing}
      </div>
    `;
  }

  private renderPlan(plan: StateObject, w: Words): TemplateResult | typeof nothing {
    const line = timeline(plan.attributes.schedule, Date.now());
    if (!line) {
      return nothing;
    }
    const time = (ms: number): string =>
      new Date(ms).toLocaleTimeString(this.language, { hour: "2-digit", minute: "2-digit" });
    return html`
      <div class="plan">
        <span class="label">${w.labels.plan}</span>
        <div class="timeline">
          ${line.segments.map(
            (slot) => html`<div
              class="slot"
              style="left: ${slot.left}%; width: ${slot.width}%"
              title="${time(slot.start)}–${time(slot.end)} · ${formatPower(slot.power_w, this.language)}"
            ></div>`,
          )}
        </div>
        <div class="ends"><span>${time(line.from)}</span><span>${time(line.to)}</span></div>
      </div>
    `;
  }

  static styles = css`
    ha-card {
      padding: 16px;
    }
    .title {
      font-size: 1.4em;
      font-weight: 400;
      margin: 0 0 12px;
    }
    .site {
      display: grid;
      grid-template-columns: repeat(auto-fill, minmax(120px, 1fr));
      gap: 8px 16px;
      margin-bottom: 16px;
    }
    .figure {
      display: flex;
      flex-direction: column;
    }
    .label {
      color: var(--secondary-text-color);
      font-size: 0.85em;
    }
    .value {
      font-size: 1.15em;
    }
    .charger {
      border-top: 1px solid var(--divider-color, #ddd);
      padding: 12px 0 4px;
    }
    .head {
      display: flex;
      justify-content: space-between;
      align-items: baseline;
      gap: 8px;
    }
    .name {
      font-weight: 500;
      font-size: 1.1em;
    }
    .status {
      border-radius: 12px;
      padding: 2px 10px;
      font-size: 0.9em;
      background: var(--secondary-background-color, #eee);
    }
    .status-charging {
      background: var(--success-color, #43a047);
      color: #fff;
    }
    .status-error,
    .status-failsafe {
      background: var(--error-color, #db4437);
      color: #fff;
    }
    .status-paused_by_cap {
      background: var(--warning-color, #ffa600);
      color: #fff;
    }
    .reason {
      color: var(--secondary-text-color);
      font-size: 0.9em;
      margin: 4px 0 8px;
    }
    .boost {
      margin-left: 8px;
      font-weight: 500;
    }
    .controls {
      display: flex;
      gap: 16px;
      flex-wrap: wrap;
      margin-bottom: 8px;
    }
    .control {
      display: flex;
      flex-direction: column;
      flex: 1;
      min-width: 120px;
    }
    select {
      font: inherit;
      padding: 4px;
      color: var(--primary-text-color);
      background: var(--card-background-color, #fff);
      border: 1px solid var(--divider-color, #ccc);
      border-radius: 4px;
    }
    .power {
      display: flex;
      gap: 24px;
    }
    .bar,
    .timeline {
      position: relative;
      height: 8px;
      border-radius: 4px;
      background: var(--secondary-background-color, #eee);
      margin: 6px 0;
      overflow: hidden;
    }
    .bar .allocated {
      position: absolute;
      inset: 0 auto 0 0;
      background: var(--primary-color, #03a9f4);
      opacity: 0.35;
    }
    .bar .drawn {
      position: absolute;
      inset: 2px auto 2px 0;
      background: var(--primary-color, #03a9f4);
    }
    .timeline .slot {
      position: absolute;
      top: 0;
      bottom: 0;
      background: var(--success-color, #43a047);
    }
    .ends {
      display: flex;
      justify-content: space-between;
      font-size: 0.8em;
      color: var(--secondary-text-color);
    }
    .empty {
      color: var(--secondary-text-color);
    }
  `;
}
