/**
 * General Points cards drawn as playing cards, each with the value it counts for; face cards
 * carry the rule's value, and where the scored values differ from the stated rule (the Fake
 * splits) both are shown.
 */
import { cardValue, faceValues, isFace } from "../lib/gp";

export function GpCards({ cards, rule, values }: { cards: string[]; rule: string | null; values?: number[] | null }) {
  const faces = rule ? faceValues(rule) : null;
  const stated = cards.map((c) => cardValue(c, faces));
  const differs = values ? values.some((v, i) => v !== stated[i]) : false;
  return (
    <figure className="gp">
      <ul className="cards" aria-label={`Cards ${cards.join(", ")}`}>
        {cards.map((c, i) => (
          <li key={i} className={`card${isFace(c) ? " face" : ""}`} data-card={c}>
            <span className="corner" aria-hidden="true">
              {c}
            </span>
            <span className="rank">{c}</span>
            <span className="counts">
              = {stated[i] ?? "?"}
              {differs && values && values[i] !== stated[i] ? <span className="scored"> (scored {values[i]})</span> : null}
            </span>
          </li>
        ))}
      </ul>
      <figcaption>
        {rule ? (
          <>
            Face-card rule: <q>{rule}</q>
          </>
        ) : (
          "No face-card rule stated."
        )}
        {differs && <strong className="fake-note"> The environment scores a different rule than the prompt states (a Fake split).</strong>}
      </figcaption>
    </figure>
  );
}
