import { statusWord } from "../messages.ts";
import { h } from "./dom.ts";

/** The status in words, its class naming the status itself (styles and tests read it). */
export const statusBadge = (status: string) =>
  h("span", { class: `status ${status}`, "data-testid": "status", "data-status": status }, statusWord(status));
