// Entry: start the landing page's request, then load the app (see api/early.ts for why).
import { startEarlyFetches } from "./api/early";

startEarlyFetches();
void import("./boot");
