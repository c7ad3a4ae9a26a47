import { registerProgramHandler } from "../source/mod.ts";
import { WasmError } from "./errors.ts";
import { describeWasmModule } from "./module_info.ts";
import { runWasmBytes } from "./run_file.ts";

/**
 * Wasm modules as a program type: wherever a program is accepted (a file, `-p wasm`, an OCI
 * image, a standalone tool) a module runs itself with the guest's arguments.
 */
registerProgramHandler("wasm", {
  run: (program, args, opts) => runWasmBytes(program.bytes, program.source, args, opts),
  describe(program) {
    try {
      return Promise.resolve(describeWasmModule(program.bytes, program.source));
    } catch (e) {
      if (e instanceof WasmError) throw new WasmError(`${program.source}: ${e.message}`);
      throw e;
    }
  },
});
