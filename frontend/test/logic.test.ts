// The card's logic, with node's own test runner (npm test: esbuild strips the types).

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";

import { WORDS, language, reason, stateWord, words } from "../src/i18n.ts";
import {
  findChargers,
  findSites,
  formatEnergy,
  formatPower,
  numeric,
  parseSchedule,
  percent,
  resolveSite,
  selectOptions,
  timeline,
  watts,
  type Devices,
  type Entities,
} from "../src/logic.ts";

function entity(entity_id: string, device_id: string, translation_key: string, platform = "smart_charging") {
  return { entity_id, device_id, translation_key, platform };
}

const devices: Devices = {
  site: { id: "site", name: "Home", config_entries: ["entry1"], model: "Site" },
  garage: { id: "garage", name: "Garage", via_device_id: "site", config_entries: ["entry1"] },
  drive: { id: "drive", name: "Drive", name_by_user: "Driveway", via_device_id: "site", config_entries: ["entry1"] },
  other: { id: "other", name: "Office", config_entries: ["entry2"] },
  lamp: { id: "lamp", name: "Lamp", via_device_id: "site" },
  office_box: { id: "office_box", name: "Office box", via_device_id: "other", config_entries: ["entry2"] },
};

const entities: Entities = Object.fromEntries(
  [
    entity("sensor.home_ev_power_budget", "site", "ev_budget"),
    entity("sensor.home_solar_surplus", "site", "solar_surplus"),
    entity("sensor.home_household_power", "site", "household_power"),
    entity("binary_sensor.home_off_peak", "site", "off_peak"),
    entity("select.garage_mode", "garage", "mode"),
    entity("select.garage_profile", "garage", "profile"),
    entity("sensor.garage_status", "garage", "status"),
    entity("select.driveway_mode", "drive", "mode"),
    entity("light.lamp", "lamp", "lamp", "hue"),
    entity("sensor.office_ev_power_budget", "other", "ev_budget"),
    entity("select.office_box_mode", "office_box", "mode"),
    entity("sensor.weather", "site", "temperature", "met"),
  ].map((e) => [e.entity_id, e]),
);

test("sites are the devices holding an EV budget, by name", () => {
  const sites = findSites(entities, devices);
  assert.deepEqual(
    sites.map((site) => site.name),
    ["Home", "Office"],
  );
  assert.deepEqual(sites[0].entities, {
    ev_budget: "sensor.home_ev_power_budget",
    solar_surplus: "sensor.home_solar_surplus",
    household_power: "sensor.home_household_power",
    off_peak: "binary_sensor.home_off_peak",
  });
});

test("the site option names a device id or a config entry id", () => {
  assert.equal(resolveSite(entities, devices, "site")?.name, "Home");
  assert.equal(resolveSite(entities, devices, "entry2")?.name, "Office");
  assert.equal(resolveSite(entities, devices, "nothing"), undefined);
  // Two sites: without the option, none is guessed.
  assert.equal(resolveSite(entities, devices, undefined), undefined);
  const one = Object.fromEntries(Object.entries(entities).filter(([id]) => !id.includes("office")));
  assert.equal(resolveSite(one, devices, undefined)?.name, "Home");
});

test("a site's chargers are its linked devices with this integration's entities", () => {
  const chargers = findChargers(entities, devices, "site");
  assert.deepEqual(
    chargers.map((charger) => charger.name),
    ["Driveway", "Garage"],
  );
  assert.deepEqual(chargers[1].entities, {
    mode: "select.garage_mode",
    profile: "select.garage_profile",
    status: "sensor.garage_status",
  });
  assert.deepEqual(
    findChargers(entities, devices, "other").map((charger) => charger.name),
    ["Office box"],
  );
  assert.deepEqual(findChargers(entities, devices, "nowhere"), []);
});

const state = (value: string, attributes: Record<string, unknown> = {}) => ({
  entity_id: "sensor.x",
  state: value,
  attributes,
});

test("numbers and powers from states", () => {
  assert.equal(numeric(state("12.5")), 12.5);
  assert.equal(numeric(state("unavailable")), undefined);
  assert.equal(numeric(state("unknown")), undefined);
  assert.equal(numeric(state("")), undefined);
  assert.equal(numeric(undefined), undefined);
  assert.equal(watts(state("7.4", { unit_of_measurement: "kW" })), 7400);
  assert.equal(watts(state("0.002", { unit_of_measurement: "MW" })), 2000);
  assert.equal(watts(state("850", { unit_of_measurement: "W" })), 850);
  assert.equal(watts(state("850")), 850);
});

test("power and energy for people", () => {
  assert.equal(formatPower(850), "850 W");
  assert.equal(formatPower(7400), "7.4 kW");
  assert.equal(formatPower(-1500), "-1.5 kW");
  assert.equal(formatPower(11040, "fr"), "11,0 kW");
  assert.equal(formatPower(11040, "de"), "11,0 kW");
  assert.equal(formatPower(undefined), "—");
  assert.equal(formatPower(Number.NaN), "—");
  assert.equal(formatEnergy(3.14159), "3.14 kWh");
  assert.equal(formatEnergy(3.14159, "fr"), "3,14 kWh");
  assert.equal(formatEnergy(undefined), "—");
});

test("bars stay within 0 and 100 %", () => {
  assert.equal(percent(50, 200), 25);
  assert.equal(percent(300, 200), 100);
  assert.equal(percent(-5, 200), 0);
  assert.equal(percent(5, 0), 0);
  assert.equal(percent(undefined, 10), 0);
});

test("select options as the entity lists them", () => {
  assert.deepEqual(selectOptions(state("fast", { options: ["off", "fast"] })), ["off", "fast"]);
  assert.deepEqual(selectOptions(state("fast")), []);
  assert.deepEqual(selectOptions(undefined), []);
});

test("the plan's slots are parsed, sorted and placed from now to the last slot", () => {
  const now = Date.parse("2026-01-01T10:00:00Z");
  const schedule = [
    { start: "2026-01-01T13:00:00Z", end: "2026-01-01T14:00:00Z", power_w: 7000 },
    { start: "2026-01-01T11:00:00Z", end: "2026-01-01T12:00:00Z", power_w: 11000 },
    { start: "2026-01-01T08:00:00Z", end: "2026-01-01T09:00:00Z", power_w: 11000 },
    { start: "not a time", end: "2026-01-01T12:00:00Z" },
    "junk",
  ];
  assert.equal(parseSchedule(schedule).length, 3);
  assert.deepEqual(parseSchedule("junk"), []);
  const line = timeline(schedule, now);
  assert.ok(line);
  assert.equal(line.from, now);
  assert.equal(line.to, Date.parse("2026-01-01T14:00:00Z"));
  assert.deepEqual(
    line.segments.map((slot) => [slot.left, slot.width, slot.power_w]),
    [
      [25, 25, 11000],
      [75, 25, 7000],
    ],
  );
  // A slot under way starts at the left edge.
  const running = timeline(
    [{ start: "2026-01-01T09:00:00Z", end: "2026-01-01T11:00:00Z", power_w: 1 }],
    now,
  );
  assert.deepEqual(
    running?.segments.map((slot) => [slot.left, slot.width]),
    [[0, 100]],
  );
  assert.equal(timeline([], now), undefined);
});

test("languages: fr and de, English otherwise", () => {
  assert.equal(language("fr"), "fr");
  assert.equal(language("de-CH"), "de");
  assert.equal(language("fr_BE"), "fr");
  assert.equal(language("nl"), "en");
  assert.equal(language(undefined), "en");
  assert.equal(words("de").labels.household, "Haushalt");
});

test("a status has its reason in words, in every language", () => {
  assert.equal(reason("en", "paused_by_cap"), "The grid limit leaves too little for the minimum current.");
  assert.equal(reason("fr", "disconnected"), "Aucune voiture n'est branchée.");
  assert.equal(reason("en", "something_new"), "");
  assert.equal(reason("en", undefined), "");
  for (const lang of ["en", "fr", "de"] as const) {
    assert.deepEqual(Object.keys(WORDS[lang].reason).sort(), Object.keys(WORDS[lang].status).sort());
    assert.deepEqual(Object.keys(WORDS[lang].labels).sort(), Object.keys(WORDS.en.labels).sort());
  }
  assert.equal(stateWord(WORDS.en.status, "waiting_for_solar"), "Waiting for solar");
  assert.equal(stateWord(WORDS.en.status, "brand_new_state"), "brand new state");
  assert.equal(stateWord(WORDS.en.status, undefined), "—");
});

test("state words are the integration's own, in en, fr and de", () => {
  for (const lang of ["en", "fr", "de"] as const) {
    // npm test runs in frontend/.
    const file = join(process.cwd(), "..", "custom_components", "smart_charging", "translations", `${lang}.json`);
    const entity = JSON.parse(readFileSync(file, "utf8")).entity;
    const theirs: Record<string, Record<string, string>> = {
      mode: entity.select.mode.state,
      profile: entity.select.profile.state,
      status: entity.sensor.status.state,
      boost: entity.sensor.status.state_attributes.boost.state,
    };
    for (const [table, states] of Object.entries(theirs)) {
      const ours = WORDS[lang][table as "mode" | "profile" | "status" | "boost"];
      for (const [key, word] of Object.entries(states)) {
        assert.equal(ours[key], word, `${lang} ${table}.${key}`);
      }
    }
  }
});
