// The card's logic as pure functions over the data Home Assistant's frontend holds
// (hass.entities, hass.devices, hass.states): no DOM, no Lit, tested with node --test.

export const DOMAIN = "smart_charging";

/** An entry of hass.entities (the entity registry as the frontend sees it). */
export interface EntityEntry {
  entity_id: string;
  device_id?: string | null;
  platform?: string;
  translation_key?: string | null;
  hidden?: boolean;
}

/** An entry of hass.devices (the device registry). */
export interface DeviceEntry {
  id: string;
  name?: string | null;
  name_by_user?: string | null;
  via_device_id?: string | null;
  config_entries?: string[];
  model?: string | null;
}

export interface StateObject {
  entity_id: string;
  state: string;
  attributes: Record<string, unknown>;
}

export type Entities = Record<string, EntityEntry>;
export type Devices = Record<string, DeviceEntry>;
export type States = Record<string, StateObject | undefined>;

/** The site's entities by translation key (ev_budget, solar_surplus...). */
export type KeyedEntities = Record<string, string>;

export interface Site {
  device: DeviceEntry;
  name: string;
  entities: KeyedEntities;
}

export interface Charger {
  device: DeviceEntry;
  name: string;
  entities: KeyedEntities;
}

/** The translation key only a site's entities carry. */
const SITE_KEY = "ev_budget";

export function deviceName(device: DeviceEntry): string {
  return device.name_by_user || device.name || device.id;
}

/** This integration's entities of one device, by translation key. */
export function entitiesOf(entities: Entities, deviceId: string): KeyedEntities {
  const keyed: KeyedEntities = {};
  for (const entry of Object.values(entities)) {
    if (
      entry.platform === DOMAIN &&
      entry.device_id === deviceId &&
      entry.translation_key &&
      !(entry.translation_key in keyed)
    ) {
      keyed[entry.translation_key] = entry.entity_id;
    }
  }
  return keyed;
}

function byName<T extends { name: string }>(a: T, b: T): number {
  return a.name.localeCompare(b.name);
}

/** Every site: the devices that hold a site entity (the EV power budget). */
export function findSites(entities: Entities, devices: Devices): Site[] {
  const ids = new Set<string>();
  for (const entry of Object.values(entities)) {
    if (
      entry.platform === DOMAIN &&
      entry.translation_key === SITE_KEY &&
      entry.device_id &&
      devices[entry.device_id]
    ) {
      ids.add(entry.device_id);
    }
  }
  return [...ids]
    .map((id) => {
      const device = devices[id];
      return { device, name: deviceName(device), entities: entitiesOf(entities, id) };
    })
    .sort(byName);
}

/**
 * The site the card's `site` option names: a site device's id or its config entry's
 * id; without the option (or when it names nothing), the only site there is.
 */
export function resolveSite(
  entities: Entities,
  devices: Devices,
  site: string | undefined,
): Site | undefined {
  const sites = findSites(entities, devices);
  if (!site) {
    return sites.length === 1 ? sites[0] : undefined;
  }
  return sites.find(
    (candidate) =>
      candidate.device.id === site ||
      (candidate.device.config_entries ?? []).includes(site),
  );
}

/** The site's chargers: the devices linked to it (via_device), by name. */
export function findChargers(
  entities: Entities,
  devices: Devices,
  siteDeviceId: string,
): Charger[] {
  return Object.values(devices)
    .filter((device) => device.via_device_id === siteDeviceId)
    .map((device) => ({
      device,
      name: deviceName(device),
      entities: entitiesOf(entities, device.id),
    }))
    .filter((charger) => Object.keys(charger.entities).length > 0)
    .sort(byName);
}

/** A state as a finite number, or undefined (unavailable, unknown, text). */
export function numeric(state: StateObject | undefined): number | undefined {
  if (!state || state.state === "" || state.state === "unavailable") {
    return undefined;
  }
  const value = Number(state.state);
  return Number.isFinite(value) ? value : undefined;
}

/** A state's value in watts, from W, kW or MW. */
export function watts(state: StateObject | undefined): number | undefined {
  const value = numeric(state);
  if (value === undefined || !state) {
    return undefined;
  }
  const unit = String(state.attributes.unit_of_measurement ?? "W");
  const factor = unit === "kW" ? 1000 : unit === "MW" ? 1_000_000 : 1;
  return value * factor;
}

function numberFormat(language: string, digits: number): Intl.NumberFormat {
  return new Intl.NumberFormat(language, {
    maximumFractionDigits: digits,
    minimumFractionDigits: digits,
  });
}

/** Power for people: 850 W, 7.4 kW; a dash when unknown. */
export function formatPower(w: number | undefined, language = "en"): string {
  if (w === undefined || !Number.isFinite(w)) {
    return "—";
  }
  if (Math.abs(w) < 1000) {
    return `${numberFormat(language, 0).format(Math.round(w))} W`;
  }
  return `${numberFormat(language, 1).format(w / 1000)} kW`;
}

export function formatEnergy(kwh: number | undefined, language = "en"): string {
  if (kwh === undefined || !Number.isFinite(kwh)) {
    return "—";
  }
  return `${numberFormat(language, 2).format(kwh)} kWh`;
}

/** A share of a bar in percent, within 0–100. */
export function percent(part: number | undefined, whole: number | undefined): number {
  if (part === undefined || whole === undefined || !(whole > 0)) {
    return 0;
  }
  return Math.max(0, Math.min(100, (part / whole) * 100));
}

export interface PlannedSlot {
  start: number;
  end: number;
  power_w: number;
}

export interface TimelineSegment extends PlannedSlot {
  left: number;
  width: number;
}

export interface Timeline {
  from: number;
  to: number;
  segments: TimelineSegment[];
}

/** The planned_start sensor's `schedule` attribute, parsed; bad slots are dropped. */
export function parseSchedule(schedule: unknown): PlannedSlot[] {
  if (!Array.isArray(schedule)) {
    return [];
  }
  const slots: PlannedSlot[] = [];
  for (const item of schedule) {
    if (typeof item !== "object" || item === null) {
      continue;
    }
    const slot = item as Record<string, unknown>;
    const start = Date.parse(String(slot.start));
    const end = Date.parse(String(slot.end));
    const power = Number(slot.power_w ?? 0);
    if (Number.isFinite(start) && Number.isFinite(end) && end > start) {
      slots.push({ start, end, power_w: Number.isFinite(power) ? power : 0 });
    }
  }
  return slots.sort((a, b) => a.start - b.start);
}

/** The plan from now to its last slot, each slot placed in percent of that span. */
export function timeline(schedule: unknown, now: number): Timeline | undefined {
  const slots = parseSchedule(schedule).filter((slot) => slot.end > now);
  if (slots.length === 0) {
    return undefined;
  }
  const from = Math.min(now, slots[0].start);
  const to = Math.max(...slots.map((slot) => slot.end));
  const span = to - from;
  return {
    from,
    to,
    segments: slots.map((slot) => ({
      ...slot,
      left: ((Math.max(slot.start, from) - from) / span) * 100,
      width: ((slot.end - Math.max(slot.start, from)) / span) * 100,
    })),
  };
}

/** The options of a select entity, as it lists them. */
export function selectOptions(state: StateObject | undefined): string[] {
  const options = state?.attributes.options;
  return Array.isArray(options) ? options.map(String) : [];
}
