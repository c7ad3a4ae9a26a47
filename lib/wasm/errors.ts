/** A Wasm module cannot run here: not Wasm, unknown imports, a trap, a missing export. */
export class WasmError extends Error {
  /** Creates the error; `message` is one line for the user. */
  constructor(message: string) {
    super(message);
    this.name = "WasmError";
  }
}

/** A guest pointer or length outside its linear memory: the import call fails with EFAULT. */
export class GuestFault extends Error {
  /** Creates the fault; `message` says which argument was out of range. */
  constructor(message: string) {
    super(message);
    this.name = "GuestFault";
  }
}

/** Thrown through the guest's stack when the host stops it (it is no trap). */
export class GuestStopped extends Error {
  constructor() {
    super("stopped");
    this.name = "GuestStopped";
  }
}

/** The guest called `proc_exit(code)`. */
export class GuestExit extends Error {
  /** Creates the exit with its status. */
  constructor(readonly code: number) {
    super(`exit ${code}`);
    this.name = "GuestExit";
  }
}
