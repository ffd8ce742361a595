/**
 * Cards, ranks, card strings and the face-card mappings of General Points
 * (spec: docs/gp-rules.md#cards-and-values; reference: debunk `utils/dataset/gp_l/face_card_configs.py`).
 */

/** Values of J, Q, K under one rule. */
export interface FaceCardMapping {
  readonly J: number;
  readonly Q: number;
  readonly K: number;
}

/**
 * Every mapping defined by the reference, in its declaration order (the order matters only for
 * listing; lookups are by name).
 */
export const FACE_CARD_MAPPINGS = {
  all_10: { J: 10, Q: 10, K: 10 },
  all_11: { J: 11, Q: 11, K: 11 },
  all_9: { J: 9, Q: 9, K: 9 },
  all_8: { J: 8, Q: 8, K: 8 },
  all_7: { J: 7, Q: 7, K: 7 },
  all_5: { J: 5, Q: 5, K: 5 },
  all_12: { J: 12, Q: 12, K: 12 },
  all_13: { J: 13, Q: 13, K: 13 },
  mixed_9_10_11: { J: 9, Q: 10, K: 11 },
  mixed_10_11_12: { J: 10, Q: 11, K: 12 },
  mixed_8_9_10: { J: 8, Q: 9, K: 10 },
  mixed_11_12_13: { J: 11, Q: 12, K: 13 },
  mixed_9_11_13: { J: 9, Q: 11, K: 13 },
  mixed_7_9_11: { J: 7, Q: 9, K: 11 },
  mixed_8_10_12: { J: 8, Q: 10, K: 12 },
  sequential_7_8_9: { J: 7, Q: 8, K: 9 },
  sequential_8_9_10: { J: 8, Q: 9, K: 10 },
  skip_6_8_10: { J: 6, Q: 8, K: 10 },
  skip_7_9_11: { J: 7, Q: 9, K: 11 },
  skip_8_10_12: { J: 8, Q: 10, K: 12 },
  skip_9_11_13: { J: 9, Q: 11, K: 13 },
  low_range_5_7_9: { J: 5, Q: 7, K: 9 },
  mid_range_8_10_12: { J: 8, Q: 10, K: 12 },
} as const satisfies Record<string, FaceCardMapping>;

export type MappingName = keyof typeof FACE_CARD_MAPPINGS;

/**
 * The diverse-training preset (`TRAINING_PRESETS["mixed"]`), in the reference's order: task
 * index i of the diverse set uses entry floor(i / 1250).
 */
export const DIVERSE_MAPPINGS: readonly MappingName[] = [
  "all_8",
  "all_9",
  "all_10",
  "mixed_8_9_10",
  "sequential_7_8_9",
  "sequential_8_9_10",
  "low_range_5_7_9",
  "skip_6_8_10",
];

/** 1 → A, 11 → J, 12 → Q, 13 → K, anything else → its decimal string (`10`, `14` … `19`). */
export function rankToString(rank: number): string {
  switch (rank) {
    case 1:
      return "A";
    case 11:
      return "J";
    case 12:
      return "Q";
    case 13:
      return "K";
    default:
      return String(rank);
  }
}

/**
 * Value of a card in arithmetic. `fake` reproduces the reference's `fake_values`: every face card
 * scores 10 whatever the prompt's rule says.
 */
export function rankValue(rank: number, mapping: FaceCardMapping, fake = false): number {
  if (rank === 11) return fake ? 10 : mapping.J;
  if (rank === 12) return fake ? 10 : mapping.Q;
  if (rank === 13) return fake ? 10 : mapping.K;
  return rank;
}

/**
 * The RULE phrase of the prompt as the debunk generator writes it: uniform mappings say
 * "all count as"; others list J, Q, K in that order.
 */
export function ruleMessage(mapping: FaceCardMapping): string {
  if (mapping.J === mapping.Q && mapping.Q === mapping.K) {
    return `'J', 'Q', and 'K' all count as '${mapping.J}'`;
  }
  return `'J' counts as '${mapping.J}', 'Q' counts as '${mapping.Q}', and 'K' counts as '${mapping.K}'`;
}

/**
 * Legacy wording of Chu et al.'s data and the debunk env class (docs/prompts.md#gp-task-prompt):
 * "count as '10'" without "all". Kept verbatim for the frozen training split.
 */
export const LEGACY_RULE_ALL_10 = "'J', 'Q', and 'K' count as '10'";
export const LEGACY_RULE_REGULAR = "'J', 'Q', and 'K' count as '11', '12', and '13' respectively";

/** Python `repr(list_of_str)` for card strings (they never contain quotes or backslashes). */
export function pyStrList(items: readonly string[]): string {
  return `[${items.map((s) => `'${s}'`).join(", ")}]`;
}

/** Python `repr(list_of_int)`, e.g. `[2, 7, 10, 2]`. */
export function pyIntList(items: readonly number[]): string {
  return `[${items.join(", ")}]`;
}

/** `json.dumps(list_of_str)` with the default separators, e.g. `["2", "7", "Q", "2"]`. */
export function jsonStrList(items: readonly string[]): string {
  return `[${items.map((s) => `"${s}"`).join(", ")}]`;
}
