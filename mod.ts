/**
 * ecli-ts: the eunomia-bpf toolchain as a TypeScript library.
 *
 * ```ts
 * import { compile, loadPackage, run } from "./mod.ts";
 *
 * // ecc: C source (+ event header) → package.json, <name>.d.ts, …
 * const { files } = await compile("examples/procsnoop/procsnoop.bpf.c", {
 *   exportHeader: "examples/procsnoop/procsnoop.h",
 *   outputDir: "out",
 * });
 *
 * // ecli: load, attach, and iterate over decoded events; leaving the block detaches.
 * {
 *   await using prog = await run(await loadPackage(files.package!), {
 *     args: ["--min_duration_ns", "1000000"],
 *   });
 *   for await (const event of prog) console.log(event);
 * }
 * ```
 * @module
 */
export { compile, type CompileOptions, type CompileResult } from "./compile/mod.ts";
export { CompileError } from "./compile/mod.ts";
export { buildPackageTar, tailorBtf, type TailoredBtf } from "./compile/btfgen/mod.ts";
export {
  decodePackage,
  decodePackageText,
  describePackage,
  encodePackage,
  loadPackage,
  type Meta,
  type Package,
  PackageError,
  parseMeta,
} from "./lib/package/mod.ts";
export { type Btf, BtfError, parseBtf, readBpfObject, typeName } from "./lib/btf/mod.ts";
export { ElfError, parseElf } from "./lib/elf/mod.ts";
export { type CleanupReport, removeLeftovers } from "./lib/loader/mod.ts";
export {
  compileFilter,
  evalHandler,
  type ExecSink,
  type Handler,
  type HandlerContext,
  HandlerError,
  type HandlerHooks,
  loadHandler,
  makeExecSink,
  makeShell,
  type MapHandle,
  parseCommandTemplate,
  type SampleEntry,
  type Shell,
  shellQuote,
  type ShellResult,
  templateFields,
} from "./lib/handler/mod.ts";
export {
  type ConsumerSetup,
  type EventConsumer,
  FdOutput,
  handlerConsumer,
  mapHandles,
  MemoryOutput,
  type Output,
  type OutputFormat,
  PASS_EVENTS,
  printingConsumer,
  Program,
  type ProgramOptions,
  run,
  RunError,
  RunningProgram,
  type RunOptions,
  runPackage,
  type RunSummary,
  type SampleRound,
  type StartOptions,
  startProgram,
} from "./lib/run/mod.ts";
export {
  type BundleOptions,
  type BundleResult,
  bundleTool,
  describeTool,
  type EmbeddedTool,
  readEmbeddedTool,
  StandaloneError,
  toolHandler,
  type ToolPayload,
  toolProgram,
} from "./lib/standalone/mod.ts";
export {
  MetricRegistry,
  MetricsError,
  parseMetricsConfig,
  renderMetrics,
  type RunMetrics,
  type RunMetricsOptions,
  scrape,
  serveMetrics,
  startRunMetrics,
} from "./lib/metrics/mod.ts";
export {
  BlobCache,
  type Credentials,
  type ImageReference,
  OciError,
  parseReference,
  type PulledProgram,
  pullProgram,
  pushArtifact,
  RegistryClient,
  type RegistryOptions,
} from "./lib/oci/mod.ts";
export {
  describeProgram,
  parseAnnotations,
  parseProgramType,
  programArtifact,
  type ProgramHandler,
  programHandler,
  type ProgramSource,
  type ProgramType,
  readProgram,
  registerProgramHandler,
} from "./lib/source/mod.ts";
export {
  ElfSymbols,
  foldStack,
  formatStackTrace,
  type Frame,
  KernelSymbols,
  type StackTraceEvent,
  Symbolizer,
} from "./lib/symbols/mod.ts";
export {
  describeWasmModule,
  type GuestResult,
  inspectWasmModule,
  isWasmModule,
  runWasmFile,
  startWasmModule,
  WasmError,
  type WasmRun,
  type WasmRunOptions,
} from "./lib/wasm/mod.ts";
export { VERSION } from "./version.ts";
export {
  DEFAULT_LOG_LINES,
  defaultSources,
  type LogEntry,
  LogOutput,
  packageSource,
  type Runnable,
  type SourceContext,
  Task,
  TaskError,
  type TaskInfo,
  TaskLog,
  TaskManager,
  type TaskManagerOptions,
  type TaskSource,
  type TaskSpec,
  type TaskStatus,
  unsupportedSource,
} from "./lib/tasks/mod.ts";
export {
  ClientError,
  type RunningServer,
  runServer,
  serverApp,
  ServerError,
  type ServerOptions,
  startServer,
  TaskClient,
} from "./lib/server/mod.ts";
export {
  buildTrace,
  listProbes,
  type Probe,
  type ProbeField,
  resolveProbes,
  type TraceBuild,
  TraceError,
  type TraceMode,
  type TraceOptions,
  traceProgram,
} from "./compile/trace/mod.ts";
export { countsHandler, histHandler } from "./lib/trace/mod.ts";
