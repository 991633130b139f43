// The card's words in English, French and German. The state words (modes, profiles,
// statuses) are the integration's own (translations/*.json; a test keeps them equal);
// Home Assistant's translation of the entity's state is used first when it has one.

export type Language = "en" | "fr" | "de";

export interface Words {
  labels: Record<string, string>;
  mode: Record<string, string>;
  profile: Record<string, string>;
  status: Record<string, string>;
  reason: Record<string, string>;
  boost: Record<string, string>;
}

const en: Words = {
  labels: {
    limit: "Grid limit",
    margin: "Safety margin",
    household: "Household",
    solar_surplus: "Solar surplus",
    ev_budget: "EV budget",
    quarter_peak: "Quarter peak",
    dimmed: "Dimming",
    dimmed_on: "Dimmed by the grid operator",
    dimmed_off: "Not dimmed",
    off_peak: "Off-peak",
    on: "On",
    off: "Off",
    mode: "Mode",
    profile: "Profile",
    allocated: "Allocated",
    drawn: "Drawn",
    session: "Session",
    plan: "Plan",
    no_site: "No Smart Charging site found. Choose one in the card's settings.",
    no_chargers: "No charger yet: add one on the site's integration entry.",
    site: "Site",
    boost: "Boost",
  },
  mode: {
    off: "Off",
    fast: "Fast",
    solar: "Solar only",
    solar_min: "Minimum and solar",
    off_peak: "Off-peak",
    smart: "Smart",
  },
  profile: { premium: "Premium", standard: "Standard" },
  status: {
    disconnected: "Disconnected",
    charging: "Charging",
    waiting_for_solar: "Waiting for solar",
    waiting_for_off_peak: "Waiting for off-peak",
    scheduled: "Scheduled",
    paused_by_cap: "Paused by the grid limit",
    off: "Off",
    failsafe: "Failsafe",
    error: "Error",
  },
  reason: {
    disconnected: "No car is plugged in.",
    charging: "The car takes the power the site can give it now.",
    waiting_for_solar: "Waits until the solar surplus covers the minimum current.",
    waiting_for_off_peak: "Waits for the off-peak hours.",
    scheduled: "Waits for its planned slot.",
    paused_by_cap: "The grid limit leaves too little for the minimum current.",
    off: "Mode off or smart control off: nothing is charged or written.",
    failsafe: "A sensor cannot be trusted: the charger is held at the failsafe current.",
    error: "The wallbox did not take the last setpoint; retrying.",
  },
  boost: { armed: "Armed: waits for the car", active: "Active" },
};

const fr: Words = {
  labels: {
    limit: "Limite du réseau",
    margin: "Marge de sécurité",
    household: "Maison",
    solar_surplus: "Surplus solaire",
    ev_budget: "Budget véhicules",
    quarter_peak: "Pointe du quart d'heure",
    dimmed: "Modulation",
    dimmed_on: "Modulé par le gestionnaire du réseau",
    dimmed_off: "Non modulé",
    off_peak: "Heures creuses",
    on: "Oui",
    off: "Non",
    mode: "Mode",
    profile: "Profil",
    allocated: "Attribuée",
    drawn: "Consommée",
    session: "Session",
    plan: "Plan",
    no_site: "Aucun site Smart Charging trouvé. Choisissez-en un dans les réglages de la carte.",
    no_chargers: "Aucune borne : ajoutez-en une dans l'entrée du site.",
    site: "Site",
    boost: "Boost",
  },
  mode: {
    off: "Arrêt",
    fast: "Rapide",
    solar: "Solaire uniquement",
    solar_min: "Minimum et solaire",
    off_peak: "Heures creuses",
    smart: "Intelligent",
  },
  profile: { premium: "Premium", standard: "Standard" },
  status: {
    disconnected: "Déconnecté",
    charging: "En charge",
    waiting_for_solar: "En attente du solaire",
    waiting_for_off_peak: "En attente des heures creuses",
    scheduled: "Planifié",
    paused_by_cap: "En pause (limite du réseau)",
    off: "Arrêt",
    failsafe: "Mode de sécurité",
    error: "Erreur",
  },
  reason: {
    disconnected: "Aucune voiture n'est branchée.",
    charging: "La voiture prend la puissance que le site peut lui donner.",
    waiting_for_solar: "Attend que le surplus solaire couvre le courant minimum.",
    waiting_for_off_peak: "Attend les heures creuses.",
    scheduled: "Attend son créneau planifié.",
    paused_by_cap: "La limite du réseau laisse trop peu pour le courant minimum.",
    off: "Mode arrêt ou pilotage coupé : rien n'est chargé ni écrit.",
    failsafe: "Un capteur n'est pas fiable : la borne reste au courant de sécurité.",
    error: "La borne n'a pas pris la dernière consigne ; nouvel essai.",
  },
  boost: { armed: "Armé : attend la voiture", active: "Actif" },
};

const de: Words = {
  labels: {
    limit: "Netzgrenze",
    margin: "Sicherheitsreserve",
    household: "Haushalt",
    solar_surplus: "PV-Überschuss",
    ev_budget: "Budget für Fahrzeuge",
    quarter_peak: "Viertelstundenspitze",
    dimmed: "Dimmung",
    dimmed_on: "Vom Netzbetreiber gedimmt",
    dimmed_off: "Nicht gedimmt",
    off_peak: "Niedertarif",
    on: "Ja",
    off: "Nein",
    mode: "Modus",
    profile: "Profil",
    allocated: "Zugeteilt",
    drawn: "Bezogen",
    session: "Ladevorgang",
    plan: "Plan",
    no_site: "Kein Smart-Charging-Standort gefunden. Wählen Sie einen in den Karteneinstellungen.",
    no_chargers: "Noch keine Ladestation: fügen Sie eine im Eintrag des Standorts hinzu.",
    site: "Standort",
    boost: "Boost",
  },
  mode: {
    off: "Aus",
    fast: "Schnell",
    solar: "Nur PV",
    solar_min: "Minimum und PV",
    off_peak: "Niedertarif",
    smart: "Smart",
  },
  profile: { premium: "Premium", standard: "Standard" },
  status: {
    disconnected: "Nicht verbunden",
    charging: "Lädt",
    waiting_for_solar: "Wartet auf PV",
    waiting_for_off_peak: "Wartet auf Niedertarif",
    scheduled: "Geplant",
    paused_by_cap: "Pausiert durch Netzgrenze",
    off: "Aus",
    failsafe: "Failsafe",
    error: "Fehler",
  },
  reason: {
    disconnected: "Kein Auto angesteckt.",
    charging: "Das Auto nimmt die Leistung, die der Standort ihm jetzt geben kann.",
    waiting_for_solar: "Wartet, bis der PV-Überschuss den Mindeststrom deckt.",
    waiting_for_off_peak: "Wartet auf den Niedertarif.",
    scheduled: "Wartet auf sein geplantes Zeitfenster.",
    paused_by_cap: "Die Netzgrenze lässt zu wenig für den Mindeststrom.",
    off: "Modus aus oder Steuerung aus: nichts wird geladen oder geschrieben.",
    failsafe: "Ein Sensor ist nicht verlässlich: die Ladestation bleibt beim Failsafe-Strom.",
    error: "Die Wallbox hat den letzten Sollwert nicht übernommen; neuer Versuch.",
  },
  boost: { armed: "Bereit: wartet auf das Auto", active: "Aktiv" },
};

export const WORDS: Record<Language, Words> = { en, fr, de };

/** The card's language for Home Assistant's (fr-CA → fr; English otherwise). */
export function language(hassLanguage: string | undefined): Language {
  const base = (hassLanguage ?? "en").toLowerCase().split(/[-_]/)[0];
  return base === "fr" || base === "de" ? base : "en";
}

export function words(hassLanguage: string | undefined): Words {
  return WORDS[language(hassLanguage)];
}

/** A state's word in the card's bundle, else the raw state with spaces. */
export function stateWord(
  table: Record<string, string>,
  state: string | undefined,
): string {
  if (state === undefined) {
    return "—";
  }
  return table[state] ?? state.replaceAll("_", " ");
}

/** Why a charger is in this status, in words; empty when there is nothing to say. */
export function reason(hassLanguage: string | undefined, status: string | undefined): string {
  if (status === undefined) {
    return "";
  }
  return words(hassLanguage).reason[status] ?? "";
}
