/** The dashboard reads boards and cards from the same text the environments write. */
import { describe, expect, it } from "vitest";
import { gp, generalPointsEnv, sokoban } from "@trainyard/envs";
import { boardFromPrompt, describeBoard, parseBoard, rowsFromPrompt } from "./sokoban";
import { cardValue, cardsFromPrompt, faceValues, promptText, ruleFromPrompt } from "./gp";

describe("Sokoban boards", () => {
  it("reads every turn's board back from the evaluation prompt, on every setting", () => {
    for (const split of ["id", "alpha", "rand", "large", "two-boxes", "complex", "fake", "emoji", "empty"]) {
      const ep = sokoban.SokobanEpisode.fromSeed(split, 123);
      for (const action of ["<answer> Down </answer>", "<answer> Left </answer>", "<answer> Up </answer>"]) {
        if (ep.done) break;
        expect(rowsFromPrompt(ep.prompt()), split).toEqual(ep.rows());
        ep.act(action);
      }
    }
  });

  it("draws rows of the dataset's symbol set and refuses anything else", () => {
    const b = parseBoard(["#####", "#P√O#", "#_XS#", "#####"])!;
    expect(b.tiles[1]).toEqual(["wall", "player", "box-on-target", "target", "wall"]);
    expect(b.tiles[2]![3]).toBe("player-on-target");
    expect(describeBoard(parseBoard(["####", "#PX#", "#_O#", "####"])!)).toBe(
      "Sokoban board 4×4: player at row 2, column 2, 1 box, 1 target, 0 on target",
    );
    expect(parseBoard(["##", "#"])).toBeNull();
    expect(parseBoard(["#?#"])).toBeNull();
    expect(boardFromPrompt("no observation here")).toBeNull();
  });
});

describe("General Points cards", () => {
  it("reads cards and the face-card rule from prompts of every split", () => {
    for (const split of ["id", "all-5", "all-7", "all-12", "regular", "large", "five", "fake", "all-5-fake"]) {
      for (const index of [0, 1, 7]) {
        const item = generalPointsEnv.generate(split, index) as unknown as {
          prompt: unknown;
          cards: string[];
          promptValues: number[];
          rule: string;
        };
        const text = promptText(item.prompt);
        expect(cardsFromPrompt(text), `${split}/${index}`).toEqual(item.cards);
        const rule = ruleFromPrompt(text)!;
        expect(rule, `${split}/${index}`).toBeTruthy();
        const faces = faceValues(rule);
        expect(
          item.cards.map((c) => cardValue(c, faces)),
          `${split}/${index}: ${rule}`,
        ).toEqual(item.promptValues);
      }
    }
  });

  it("knows every rule wording the environment writes", () => {
    for (const m of Object.values(gp.FACE_CARD_MAPPINGS)) expect(faceValues(gp.ruleMessage(m))).toEqual({ J: m.J, Q: m.Q, K: m.K });
    expect(faceValues(gp.LEGACY_RULE_ALL_10)).toEqual({ J: 10, Q: 10, K: 10 });
    expect(faceValues(gp.LEGACY_RULE_REGULAR)).toEqual({ J: 11, Q: 12, K: 13 });
    expect(faceValues("no rule")).toBeNull();
  });
});
