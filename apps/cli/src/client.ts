/** Minimal REST client for the CLI: bearer key, JSON, the API's error body turned into one line. */
import { ApiErrorBody } from "@trainyard/contracts";
import { CliError } from "./errors.js";

export interface ClientOptions {
  url: string;
  key: string | undefined;
}

export class ApiClient {
  constructor(private readonly opts: ClientOptions) {}

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    if (!this.opts.key)
      throw new CliError("no API key: set TRAINYARD_API_KEY or pass --key (create one with `trainyard keys create --project NAME`)");
    return { authorization: `Bearer ${this.opts.key}`, ...extra };
  }

  async request<T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
    let res: Response;
    try {
      res = await fetch(new URL(path, this.opts.url), {
        method,
        headers: this.headers(body === undefined ? headers : { "content-type": "application/json", ...headers }),
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch (e) {
      throw new CliError(
        `cannot reach the API at ${this.opts.url} (${(e as Error).message}); start it with \`trainyard serve\` or set --url`,
        1,
      );
    }
    const text = await res.text();
    const json: unknown = text ? JSON.parse(text) : null;
    if (!res.ok) {
      const err = ApiErrorBody.safeParse(json);
      if (err.success) {
        const where = err.data.issues?.[0]?.path.length ? ` (field ${err.data.issues[0].path.join(".")})` : "";
        throw new CliError(`${err.data.code}: ${err.data.message}${where}`, 1);
      }
      throw new CliError(`HTTP ${res.status}: ${text.slice(0, 300)}`, 1);
    }
    return json as T;
  }

  /** A GET whose answer is text (CSV). */
  async text(path: string): Promise<string> {
    const res = await fetch(new URL(path, this.opts.url), { headers: this.headers() });
    const body = await res.text();
    if (!res.ok) throw new CliError(`HTTP ${res.status}: ${body.slice(0, 300)}`, 1);
    return body;
  }

  /** Yields SSE events (parsed `data`) until the stream ends. */
  async *stream(path: string): AsyncGenerator<{ id: string; event: string; data: unknown }> {
    let lastId = "";
    for (let attempt = 0; attempt < 20; attempt++) {
      let res: Response;
      try {
        res = await fetch(new URL(path, this.opts.url), { headers: this.headers(lastId ? { "last-event-id": lastId } : {}) });
      } catch {
        await new Promise((r) => setTimeout(r, 1000));
        continue;
      }
      if (!res.ok || !res.body) throw new CliError(`stream failed: HTTP ${res.status}`, 1);
      const reader = res.body.getReader();
      const dec = new TextDecoder();
      let buf = "";
      for (;;) {
        const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true as const }));
        if (done) break;
        buf += dec.decode(value, { stream: true });
        let i;
        while ((i = buf.indexOf("\n\n")) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const f: Record<string, string> = {};
          for (const line of block.split("\n")) {
            const m = /^(\w+): ?(.*)$/.exec(line);
            if (m) f[m[1]!] = m[2]!;
          }
          if (f.event === "end") return;
          if (f.id) lastId = f.id;
          if (f.data && f.event) yield { id: f.id ?? "", event: f.event, data: JSON.parse(f.data) };
        }
      }
      // The connection dropped before `end`: reconnect and resume after the last id.
    }
  }
}
