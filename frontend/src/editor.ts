import { LitElement, css, html, nothing, type TemplateResult } from "lit";

import type { CardConfig, Hass } from "./card.ts";
import { words } from "./i18n.ts";
import { findSites } from "./logic.ts";

/** The card's visual editor: choose the site. */
export class SmartChargingCardEditor extends LitElement {
  declare hass?: Hass;
  declare _config?: CardConfig;

  static properties = {
    hass: { attribute: false },
    _config: { state: true },
  };

  setConfig(config: CardConfig): void {
    this._config = config;
  }

  protected render(): TemplateResult | typeof nothing {
    if (!this.hass || !this._config) {
      return nothing;
    }
    const w = words(this.hass.locale?.language ?? this.hass.language);
    const sites = findSites(this.hass.entities, this.hass.devices);
    const chosen = this._config.site ?? "";
    return html`
      <label>
        <span>${w.labels.site}</span>
        <select name="site" .value=${chosen} @change=${this.changed}>
          ${chosen && !sites.some((site) => site.device.id === chosen)
            ? html`<option value=${chosen} selected>${chosen}</option>`
            : nothing}
          ${sites.map(
            (site) =>
              html`<option value=${site.device.id} ?selected=${site.device.id === chosen}>
                ${site.name}
              </option>`,
          )}
        </select>
      </label>
    `;
  }

  private changed(event: Event): void {
    const site = (event.target as HTMLSelectElement).value;
    if (!this._config || site === this._config.site) {
      return;
    }
    this._config = { ...this._config, site };
    this.dispatchEvent(
      new CustomEvent("config-changed", {
        detail: { config: this._config },
        bubbles: true,
        composed: true,
      }),
    );
  }

  static styles = css`
    label {
      display: flex;
      flex-direction: column;
      gap: 4px;
    }
    select {
      font: inherit;
      padding: 6px;
    }
  `;
}
