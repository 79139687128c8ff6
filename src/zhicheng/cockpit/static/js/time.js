// Times as people read them: in the city's time zone (Asia/Shanghai unless the server says
// otherwise) as "2017-02-28 15:00", and how old they are ("9 年前").
import { state, t } from "./state.js";

const DEFAULT_ZONE = "Asia/Shanghai";
const formats = new Map();

function formatter(zone) {
  if (!formats.has(zone)) {
    formats.set(zone, new Intl.DateTimeFormat("en-CA", {
      timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hourCycle: "h23",
    }));
  }
  return formats.get(zone);
}

/** ``iso`` (an ISO 8601 instant) as "YYYY-MM-DD HH:MM" in the city's zone; "—" when absent. */
export function cityTime(iso) {
  if (!iso) return "—";
  const when = new Date(iso);
  if (Number.isNaN(when.getTime())) return "—";
  const parts = Object.fromEntries(formatter(state.timeZone ?? DEFAULT_ZONE).formatToParts(when).map((p) => [p.type, p.value]));
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}`;
}

/** ``iso`` as a date "YYYY-MM-DD" in the city's zone. */
export function cityDate(iso) {
  return cityTime(iso).slice(0, 10);
}

const SPANS = [["year", 365.25 * 86400], ["month", 30.44 * 86400], ["day", 86400], ["hour", 3600], ["minute", 60]];

/** A duration [s] in the largest whole unit ("3 天", "5 hours"). */
export function span(seconds) {
  const s = Math.abs(seconds);
  if (s >= 86400) return t("in.day", { n: Math.floor(s / 86400) });
  if (s >= 3600) return t("in.hour", { n: Math.floor(s / 3600) });
  return t("in.minute", { n: Math.max(1, Math.floor(s / 60)) });
}

/** How long ago ``iso`` was ("9 年前", "3 hours ago"). */
export function age(iso, now = Date.now()) {
  const seconds = (now - new Date(iso).getTime()) / 1000;
  for (const [unit, size] of SPANS) {
    if (seconds >= size) return t(`ago.${unit}`, { n: Math.floor(seconds / size) });
  }
  return t("ago.now");
}

/** "数据时间 2017-02-28 15:00，9 年前": when the data are from and how old they are. */
export function dataTime(iso) {
  if (!iso) return "";
  return t("dataTime", { time: cityTime(iso), age: age(iso) });
}
