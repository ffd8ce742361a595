import type { EvalEpisode, Score } from "./env.js";

/**
 * The evaluation episode of a one-turn task: one prompt, one answer, scored as it stands. An
 * endpoint failure records the reward of an empty answer, so mean reward stays on the task's scale.
 */
export function singleTurnEpisode(prompt: string, score: (completion: string) => Score): EvalEpisode {
  let last: Score | null = null;
  return {
    get done() {
      return last !== null;
    },
    get turn() {
      return last === null ? 0 : 1;
    },
    prompt: () => prompt,
    act(completion) {
      if (last !== null) throw new Error("episode is over");
      const s = score(completion);
      last = s;
      return { action: null, actionId: null, valid: s.valid, reward: s.reward, reason: s.reason };
    },
    end() {
      if (last === null) throw new Error("episode is not over");
      return { success: last.success, validity: last.valid ? 1 : 0, reward: last.reward, reason: last.reason };
    },
    interrupted: () => ({ reward: score("").reward }),
  };
}
