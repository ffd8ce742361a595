import { useId, useState, type FormEvent } from "react";
import { api, ApiError } from "../api/client";
import { setApiKey } from "../api/session";

/** One field: the API key. It is checked against the API before it is kept in this tab. */
export function SignIn() {
  const [key, setKey] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const errId = useId();

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const k = key.trim();
    if (!k) return setError("Enter an API key.");
    setBusy(true);
    setError(null);
    try {
      await api("/v1/experiments?limit=1&view=summary", { key: k });
      setApiKey(k);
    } catch (err) {
      setError(
        err instanceof ApiError && err.status === 401
          ? "That key is unknown or revoked. Create one with `trainyard keys create --project NAME`."
          : err instanceof Error
            ? err.message
            : String(err),
      );
    } finally {
      setBusy(false);
    }
  };

  return (
    <main id="main" className="signin">
      <form onSubmit={submit} aria-labelledby="signin-title" noValidate>
        <h1 id="signin-title" tabIndex={-1}>
          <span aria-hidden="true" className="logo" /> Trainyard
        </h1>
        <p className="muted">Sign in with an API key of your project. It is kept in this tab only and sent as a bearer header.</p>
        <label htmlFor="api-key">API key</label>
        <input
          id="api-key"
          name="api-key"
          type="password"
          autoComplete="off"
          spellCheck={false}
          value={key}
          onChange={(e) => setKey(e.target.value)}
          aria-invalid={error ? true : undefined}
          aria-describedby={error ? errId : undefined}
          autoFocus
        />
        {error && (
          <p id={errId} className="field-error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" className="primary" disabled={busy}>
          {busy ? "Checking…" : "Sign in"}
        </button>
      </form>
    </main>
  );
}
