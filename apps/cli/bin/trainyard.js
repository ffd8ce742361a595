#!/usr/bin/env node
// Thin launcher: the CLI is compiled to dist/ by `npm run build`.
import { main } from "../dist/main.js";
import { endQuietlyOnClosedPipe } from "../dist/pipe.js";

endQuietlyOnClosedPipe();
main(process.argv).catch((err) => {
  process.stderr.write(`trainyard: ${err?.message ?? err}\n`);
  process.exit(typeof err?.exitCode === "number" ? err.exitCode : 1);
});
