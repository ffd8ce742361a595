// Paper-exact randomness: ports of MT19937, CPython 3.11 `random.Random` and NumPy 1.24 legacy
// `RandomState`, so generated levels/tasks match the Python reference seed for seed.
export { MT19937, type MT19937State } from "./mt19937.js";
export { PyRandom, pySeedKey } from "./pyrandom.js";
export { NpRandomState } from "./nprandom.js";
