import type { ReactNode } from "react";
import { NavLink } from "react-router";
import { setApiKey } from "../api/session";

export function Layout({ children }: { children: ReactNode }) {
  return (
    <>
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="top">
        <NavLink to="/experiments" className="brand" aria-label="Trainyard home">
          <span aria-hidden="true" className="logo" />
          Trainyard
        </NavLink>
        <nav aria-label="Main">
          <NavLink to="/experiments" end>
            Experiments
          </NavLink>
          <NavLink to="/experiments/new">New experiment</NavLink>
          <NavLink to="/webhooks">Webhooks</NavLink>
        </nav>
        <button type="button" className="link-button" onClick={() => setApiKey(null)}>
          Sign out
        </button>
      </header>
      <main id="main" tabIndex={-1}>
        {children}
      </main>
    </>
  );
}
