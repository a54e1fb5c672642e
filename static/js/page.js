// Simple server-rendered pages (such as "session not found"): only the language switch.
import { setupLanguageSwitch } from "./i18n.js";

setupLanguageSwitch();
