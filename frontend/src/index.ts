// Entry point: defines the card and its editor and lists the card in the card picker.
//
// Home Assistant loads this module alongside its own code, and its frontend installs
// a scoped custom element registry that replaces window.customElements: an element
// defined before that would be lost. So the card waits for Home Assistant's own root
// element (defined after the registry is in place) and then defines itself in the
// registry of that moment. Outside Home Assistant it defines itself after a while.
import { SmartChargingCard } from "./card.ts";
import { SmartChargingCardEditor } from "./editor.ts";

const ELEMENTS: [string, CustomElementConstructor][] = [
  ["smart-charging-card", SmartChargingCard],
  ["smart-charging-card-editor", SmartChargingCardEditor],
];

function define(): void {
  for (const [name, element] of ELEMENTS) {
    if (!window.customElements.get(name)) {
      window.customElements.define(name, element);
    }
  }
}

const ready = window.customElements.get("home-assistant")
  ? Promise.resolve()
  : Promise.race([
      window.customElements.whenDefined("home-assistant"),
      new Promise((resolve) => setTimeout(resolve, 10000)),
    ]);
void ready.then(define);

interface CustomCard {
  type: string;
  name: string;
  description: string;
  preview?: boolean;
}

const cards = ((window as unknown as { customCards?: CustomCard[] }).customCards ??= []);
if (!cards.some((card) => card.type === "smart-charging-card")) {
  cards.push({
    type: "smart-charging-card",
    name: "Smart Charging",
    description: "A site's power budget and its chargers: mode, profile, status and plan.",
    preview: true,
  });
}
