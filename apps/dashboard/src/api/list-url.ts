/** The experiment list's request URL for the page's URL search string (one place for both callers). */
export const PAGE_SIZE = 50;
export const LIST_FILTERS = ["state", "task", "preset", "q", "cursor"] as const;

export function experimentsListUrl(search: string): string {
  const page = new URLSearchParams(search);
  const p = new URLSearchParams();
  for (const k of LIST_FILTERS) {
    const v = page.get(k);
    if (v) p.set(k, v);
  }
  p.set("limit", String(PAGE_SIZE));
  p.set("view", "summary");
  return `/v1/experiments?${p}`;
}
