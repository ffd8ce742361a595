/**
 * Prompt text, byte for byte (docs/prompts.md#sokoban-prompt, docs/prompts.md#prompt-quirks).
 *
 * Reference quirks kept on purpose:
 *  - evaluation prompts (debunk `SokobanEnvReil.render('complete')`) end the body with
 *    `Decide the next action:\` — a literal backslash (`:\\"""` in the Python source); training
 *    prompts (dataset builders, where `\` + newline is a line continuation) end without it;
 *  - the chat wrapper is the Qwen-style text applied as plain text for every model, with a single
 *    space before `<|im_end|>` and the assistant turn pre-opened with `<think>`;
 *  - the random-word pool has 210 entries with duplicates (fish, mouse, orange, lime twice) and a
 *    sampled vocabulary is never re-drawn, so it can repeat a word (rows 2209 and 3493).
 */
import { NpRandomState } from "../random/nprandom.js";

export type Labels = readonly [string, string, string, string];

export interface Vocabulary {
  /** Variant name: base, cardinal, emoji, empty, numerical, alphabetical, random, words. */
  readonly name: string;
  /** Labels for Up, Down, Left, Right as printed in the prompt. */
  readonly labels: Labels;
  /** Whether the `where L1 is Up, ...` line is printed. */
  readonly where: boolean;
  /** False only for the "empty" variant (no `Answers:` block at all). */
  readonly shown: boolean;
}

const v = (name: string, labels: Labels, where: boolean, shown = true): Vocabulary => ({ name, labels, where, shown });

export const BASE_LABELS: Labels = ["Up", "Down", "Left", "Right"];

export const VOCABULARIES = {
  base: v("base", BASE_LABELS, false),
  cardinal: v("cardinal", ["North", "South", "West", "East"], false),
  // The reference's emoji section prints no `where` line although no label is a direction word.
  emoji: v("emoji", ["\u2B06\uFE0F", "\u2B07\uFE0F", "\u2B05\uFE0F", "\u27A1\uFE0F"], false),
  empty: v("empty", BASE_LABELS, false, false),
  numerical: v("numerical", ["1", "2", "3", "4"], true),
  alphabetical: v("alphabetical", ["A", "B", "C", "D"], true),
  // Deliberate trap of "Rand.": `1` means Left here but Up in the numerical vocabulary.
  random: v("random", ["*", "&", "1", "M"], true),
} as const satisfies Record<string, Vocabulary>;

const STANDARD_WORDS = new Set(["Up", "Down", "Left", "Right", "North", "South", "West", "East"]);

/** The `Answers:` section (without the blank lines around it), or "" for the empty variant. */
export function actionSection(vocab: Vocabulary): string {
  if (!vocab.shown) return "";
  const [u, d, l, r] = vocab.labels;
  let s = `Answers:\n<answer> ${u} </answer> | <answer> ${d} </answer> | <answer> ${l} </answer> | <answer> ${r} </answer>`;
  if (vocab.where) s += `\nwhere ${u} is Up, ${d} is Down, ${l} is Left, ${r} is Right.`;
  return s;
}

/** Instruction body; `evalTrailer` adds the reference env's stray backslash. */
export function instructionBody(observation: string, vocab: Vocabulary, evalTrailer: boolean): string {
  return (
    "You are a Sokoban solver.\n\nSokoban Quick Guide\nGoal: Push all boxes (X) onto targets (O).\n\n" +
    "Symbols:\n# Wall | _ Floor | O Target | X Box | P You | √ = Box on Target | S = You on Target\n\n" +
    "Rules:\n1. Push boxes (can't pull).\n2. Avoid walls (#).\n\n" +
    actionSection(vocab) +
    "\n\nRewards:\nMove: -0.1\nBox on target: +1.0\nAll boxes placed: +10.0\n\n\n" +
    "[Current Observation]:\n" +
    observation +
    "\nDecide the next action:" +
    (evalTrailer ? "\\" : "")
  );
}

/** The Qwen-style chat wrapper, applied as plain text (also for Llama). */
export function chatWrap(body: string): string {
  return (
    "<|im_start|>user\n" +
    body +
    "\nAlways output: <think> [Your thoughts] </think> <answer> [your answer] </answer> with no extra text. Strictly follow this format. <|im_end|>\n<|im_start|>assistant\n<think>"
  );
}

/** Prompt the evaluation env shows for a board (ends `...action:\` + wrapper). */
export function evalPrompt(observation: string, vocab: Vocabulary): string {
  return chatWrap(instructionBody(observation, vocab, true));
}

/** Prompt of a training example (no stray backslash); `vocab` is base or a random-word set. */
export function trainPrompt(observation: string, vocab: Vocabulary = VOCABULARIES.base): string {
  return chatWrap(instructionBody(observation, vocab, false));
}

/** The 210-entry word pool of the diverse builder, in order (duplicates included on purpose). */
export const WORD_POOL: readonly string[] = [
  ...["cat", "dog", "bird", "fish", "lion", "tiger", "bear", "wolf", "fox", "deer"],
  ...["eagle", "hawk", "owl", "duck", "swan", "frog", "snake", "turtle", "rabbit", "mouse"],
  ...["elephant", "giraffe", "zebra", "monkey", "panda", "koala", "dolphin", "whale", "shark", "butterfly"],
  ...["tree", "flower", "leaf", "rock", "stone", "water", "fire", "wind", "earth", "sun"],
  ...["moon", "star", "cloud", "rain", "snow", "mountain", "valley", "river", "ocean", "forest"],
  ...["desert", "island", "beach", "cave", "volcano", "meadow", "field", "garden", "pond", "lake"],
  ...["red", "blue", "green", "yellow", "orange", "purple", "pink", "brown", "black", "white"],
  ...["gray", "silver", "gold", "copper", "bronze", "maroon", "navy", "teal", "lime", "olive"],
  ...["aqua", "crimson", "scarlet", "amber", "jade", "ruby", "sapphire", "emerald", "pearl", "coral"],
  ...["book", "pen", "cup", "key", "phone", "chair", "table", "lamp", "door", "window"],
  ...["box", "bag", "hat", "shoe", "clock", "mirror", "brush", "knife", "fork", "spoon"],
  ...["plate", "bowl", "bottle", "glass", "camera", "computer", "keyboard", "mouse", "screen", "speaker"],
  ...["apple", "banana", "orange", "grape", "cherry", "strawberry", "peach", "pear", "lemon", "lime"],
  ...["bread", "cheese", "milk", "egg", "meat", "fish", "rice", "pasta", "pizza", "burger"],
  ...["salad", "soup", "cake", "cookie", "candy", "chocolate", "honey", "sugar", "salt", "pepper"],
  ...["run", "jump", "fly", "swim", "walk", "dance", "sing", "laugh", "cry", "sleep"],
  ...["wake", "eat", "drink", "play", "work", "study", "read", "write", "draw", "paint"],
  ...["build", "create", "fix", "open", "close", "start", "stop", "move", "push", "pull"],
  ...["happy", "quick", "bright", "calm", "strong", "wise", "kind", "brave", "gentle", "fierce"],
  ...["magic", "power", "energy", "force", "spirit", "dream", "hope", "love", "peace", "freedom"],
  ...["truth", "beauty", "wonder", "mystery", "secret", "destiny", "luck", "chance", "victory", "glory"],
];

const npWords = new NpRandomState(0);

/**
 * Random-word labels of diverse training row `row` (0-based position in the expanded dataset):
 * NumPy legacy seed 42 + row, then `np.random.choice(pool, 4, replace=False)` (= a full
 * permutation of the 210 indices, first four kept) for Up, Down, Left, Right.
 */
export function vocabulary(row: number): Labels {
  if (!Number.isInteger(row) || row < 0 || row > 0xffffffff - 42) throw new RangeError(`bad row ${row}`);
  npWords.seed(42 + row);
  const idx = npWords.choice(WORD_POOL.length, 4, false);
  return idx.map((i) => WORD_POOL[i]!) as unknown as Labels;
}

/** The random-word vocabulary of a diverse training row (always with the `where` line). */
export function wordVocabulary(labels: Labels): Vocabulary {
  const where = !labels.some((l) => STANDARD_WORDS.has(l));
  return v("words", labels, where);
}

/**
 * Every text outside a level that a from-scratch tokenizer should know, as a pretrained tokenizer
 * already covers its language: each vocabulary's action section and the line after the board in
 * both its forms. None holds a grid, so no evaluation item can leak through them.
 */
export function renderableTexts(): string[] {
  return [...renderableActionSections(), ...observationTrailers()];
}

/**
 * The text after the board, as training rows and as the evaluation env render it (the latter with
 * the reference's stray backslash), without any level. A tokenizer that never saw the evaluation
 * form cuts the backslash into a token of its own: one position more between the board and the
 * answer than in every training row, which a from-scratch model that locates the answer by its
 * distance from this line does not survive (docs/demo.md). Learnt from this text, the line is one
 * token in both forms.
 */
export function observationTrailers(): string[] {
  const marker = "[Current Observation]:\n";
  return [false, true].map((evalTrailer) => {
    const body = instructionBody("", VOCABULARIES.base, evalTrailer);
    return body.slice(body.indexOf(marker) + marker.length);
  });
}

/**
 * The action section of every vocabulary the environment can render (each named vocabulary,
 * and the word pool four words at a time), without any level: text a from-scratch tokenizer
 * learns its label pieces from, as a pretrained tokenizer already covers its language. It
 * holds no grid, so no evaluation item can leak through it.
 */
export function renderableActionSections(): string[] {
  const out = Object.values(VOCABULARIES)
    .map(actionSection)
    .filter((s) => s !== "");
  for (let i = 0; i < WORD_POOL.length; i += 4) {
    const labels = [0, 1, 2, 3].map((k) => WORD_POOL[(i + k) % WORD_POOL.length]!) as unknown as Labels;
    out.push(actionSection(wordVocabulary(labels)));
  }
  return out;
}
