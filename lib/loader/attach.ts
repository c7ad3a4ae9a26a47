import process from "node:process";
import { z } from "zod";
import {
  AttachType,
  cString,
  Errno,
  ffi,
  linkCreateOpts,
  type Pointer,
  TcAttachPoint,
  tcHook,
  tcOpts,
  xdpAttachOpts,
} from "../../ffi/mod.ts";
import type { ProgMeta } from "../package/mod.ts";
import { LoaderError, strerror } from "./errors.ts";
import { bpfLsmInactive, missingKernelSupport, programFamily } from "./kernel_support.ts";
import type { LibbpfLog } from "./libbpf_log.ts";
import { type AttachOptions, attachToTarget, retargeted } from "./attach_target.ts";
import { attachPerfEvent, type PerfSampling, perfSampling } from "./perf_event.ts";
import {
  forgetNetlinkAttachment,
  type NetlinkAttachment,
  recordNetlinkAttachment,
} from "./netlink_record.ts";

/** Something attached in the kernel that `detach()` undoes. */
export interface Attachment {
  /** The program's name. */
  readonly program: string;
  /** How it is attached: a BPF link, a tc filter or an XDP program on an interface. */
  readonly kind: "link" | "tc" | "xdp" | "perf_event";
  /** Detaches; returns an error text instead of throwing, and is idempotent. */
  detach(): string | undefined;
  /** For a BPF link: the address of libbpf's `struct bpf_link` (see `ObjectRecord`). */
  readonly linkAddress?: bigint;
}

/** XDP extras of a program entry (upstream's `XDPProgExtraMeta`). */
export const XdpExtrasSchema = z.looseObject({
  ifindex: z.number().int().default(1),
  flags: z.number().int().nonnegative().default(0),
  xdpopts: z.looseObject({ old_prog_fd: z.number().int().default(0) }).default({ old_prog_fd: 0 }),
});

/** TC extras of a program entry (upstream's `TCProgExtraMeta`). */
export const TcExtrasSchema = z.looseObject({
  tchook: z.looseObject({
    ifindex: z.number().int().default(1),
    attach_point: z.enum(["BPF_TC_INGRESS", "BPF_TC_EGRESS", "BPF_TC_CUSTOM"]).default(
      "BPF_TC_INGRESS",
    ),
  }).default({ ifindex: 1, attach_point: "BPF_TC_INGRESS" }),
  tcopts: z.looseObject({
    handle: z.number().int().nonnegative().default(1),
    priority: z.number().int().nonnegative().default(1),
  }).default({ handle: 1, priority: 1 }),
});

function extras<T extends z.ZodType>(schema: T, prog: ProgMeta): z.infer<T> {
  const r = schema.safeParse(prog);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  throw new LoaderError(
    `program '${prog.name}': ${issue.path.join(".") || "extras"}: ${issue.message}`,
  );
}

/** A BPF link made by libbpf's auto-attach (tracepoints, kprobes, uprobes, fentry, …). */
class LinkAttachment implements Attachment {
  readonly kind = "link";
  #link: Pointer;
  readonly linkAddress: bigint;
  constructor(readonly program: string, link: Pointer) {
    this.#link = link;
    this.linkAddress = ffi().memory.address(link);
  }
  detach(): string | undefined {
    if (this.#link === null) return;
    const r = ffi().libbpf.bpf_link__destroy(this.#link);
    this.#link = null;
    return r < 0 ? `destroying the link of '${this.program}': ${strerror(r)}` : undefined;
  }
}

/**
 * A BPF link made from the program's fd (XDP, tcx). Closing the fd detaches it, and the kernel
 * closes it when the process dies, so even SIGKILL leaves nothing on the interface.
 */
class LinkFdAttachment implements Attachment {
  #fd: number;
  constructor(readonly program: string, readonly kind: "tc" | "xdp", fd: number) {
    this.#fd = fd;
  }
  detach(): string | undefined {
    if (this.#fd < 0) return;
    const r = ffi().libc.close(this.#fd);
    this.#fd = -1;
    return r < 0 ? `closing the ${this.kind} link of '${this.program}' failed` : undefined;
  }
}

/** `ECLI_ATTACH=netlink` forces the netlink tc/XDP attachment kernels without links use. */
function linksAllowed(): boolean {
  return process.env.ECLI_ATTACH !== "netlink";
}

/** A link for `fd` on `ifindex`, or the negative errno (EINVAL: this kernel has no such link). */
function createLink(fd: number, ifindex: number, attachType: number, flags = 0): number {
  return ffi().libbpf.bpf_link_create(fd, ifindex, attachType, linkCreateOpts(flags));
}

/** A tc filter; removes the clsact qdisc too when this attachment created it. */
class TcAttachment implements Attachment {
  readonly kind = "tc";
  #attached = true;
  constructor(
    readonly program: string,
    readonly hook: Uint8Array,
    readonly handle: number,
    readonly priority: number,
    readonly createdHook: boolean,
    readonly ifindex: number,
    readonly attachPoint: number,
    readonly record: NetlinkAttachment,
  ) {
    recordNetlinkAttachment(record);
  }
  detach(): string | undefined {
    if (!this.#attached) return;
    this.#attached = false;
    forgetNetlinkAttachment(this.record);
    const { libbpf } = ffi();
    const problems: string[] = [];
    const r = libbpf.bpf_tc_detach(this.hook, tcOpts(this));
    if (r < 0 && r !== -Errno.ENOENT) problems.push(`tc detach: ${strerror(r)}`);
    if (this.createdHook) {
      const d = destroyHook(this.ifindex, this.attachPoint);
      if (d < 0 && d !== -Errno.ENOENT && d !== -Errno.EINVAL) {
        problems.push(`tc hook destroy: ${strerror(d)}`);
      }
    }
    return problems.length ? `'${this.program}': ${problems.join("; ")}` : undefined;
  }
}

/** Removes a hook we created: INGRESS|EGRESS makes libbpf delete the clsact qdisc itself. */
function destroyHook(ifindex: number, attachPoint: number): number {
  if (attachPoint === TcAttachPoint.CUSTOM) return 0;
  const both = tcHook(ifindex, TcAttachPoint.INGRESS | TcAttachPoint.EGRESS);
  return ffi().libbpf.bpf_tc_hook_destroy(both);
}

/** An XDP program on an interface (netlink). */
class XdpAttachment implements Attachment {
  readonly kind = "xdp";
  #attached = true;
  constructor(
    readonly program: string,
    readonly ifindex: number,
    readonly flags: number,
    readonly progFd: number,
    readonly record: NetlinkAttachment,
  ) {
    recordNetlinkAttachment(record);
  }
  detach(): string | undefined {
    if (!this.#attached) return;
    this.#attached = false;
    forgetNetlinkAttachment(this.record);
    // old_prog_fd = ours turns on XDP_FLAGS_REPLACE: someone else's program is never removed.
    // XDP_FLAGS_UPDATE_IF_NOEXIST (1) cannot be combined with it.
    const r = ffi().libbpf.bpf_xdp_detach(
      this.ifindex,
      this.flags & ~1,
      xdpAttachOpts(this.progFd),
    );
    return r < 0 ? `XDP detach of '${this.program}': ${strerror(r)}` : undefined;
  }
}

const ATTACH_POINTS = {
  BPF_TC_INGRESS: TcAttachPoint.INGRESS,
  BPF_TC_EGRESS: TcAttachPoint.EGRESS,
  BPF_TC_CUSTOM: TcAttachPoint.CUSTOM,
} as const;

/** Errors of a kernel that lacks the link type (tcx before 6.6): use netlink instead. */
const NO_SUCH_LINK = new Set([-Errno.EINVAL, -Errno.EOPNOTSUPP, -524 /* ENOTSUPP */]);

function attachTc(prog: ProgMeta, fd: number, log: LibbpfLog): Attachment {
  const x = extras(TcExtrasSchema, prog);
  const point = ATTACH_POINTS[x.tchook.attach_point];
  const { libbpf } = ffi();
  // tcx (6.6+): a link, gone with the process. handle/priority have no meaning there.
  if (linksAllowed() && point !== TcAttachPoint.CUSTOM) {
    const type = point === TcAttachPoint.INGRESS ? AttachType.TCX_INGRESS : AttachType.TCX_EGRESS;
    const link = createLink(fd, x.tchook.ifindex, type);
    if (link >= 0) return new LinkFdAttachment(prog.name, "tc", link);
    if (!NO_SUCH_LINK.has(link)) {
      throw new LoaderError(
        `Failed to attach tc program '${prog.name}' to ifindex ${x.tchook.ifindex}: ${
          strerror(link)
        }`,
        undefined,
        -link,
      );
    }
  }
  const hook = tcHook(x.tchook.ifindex, point);
  const created = log.run(
    () => libbpf.bpf_tc_hook_create(hook),
    (r) => r < 0 && r !== -Errno.EEXIST,
  );
  if (created < 0 && created !== -Errno.EEXIST) {
    throw new LoaderError(
      `Failed to create the tc hook for '${prog.name}' on ifindex ${x.tchook.ifindex}: ${
        strerror(created)
      }`,
      log.text(),
      -created,
    );
  }
  const opts = tcOpts({ progFd: fd, handle: x.tcopts.handle, priority: x.tcopts.priority });
  const r = log.run(() => libbpf.bpf_tc_attach(hook, opts), (r) => r < 0);
  if (r < 0) {
    const details = log.text();
    if (created === 0) destroyHook(x.tchook.ifindex, point);
    throw new LoaderError(
      `Failed to attach tc program '${prog.name}': ${strerror(r)}`,
      details,
      -r,
    );
  }
  return new TcAttachment(
    prog.name,
    hook,
    x.tcopts.handle,
    x.tcopts.priority,
    created === 0,
    x.tchook.ifindex,
    point,
    {
      kind: "tc",
      program: prog.name,
      // bpf_tc_attach wrote the attached program's id into the options.
      progId: new DataView(opts.buffer).getUint32(16, true),
      ifindex: x.tchook.ifindex,
      attachPoint: point,
      handle: x.tcopts.handle,
      priority: x.tcopts.priority,
    },
  );
}

/** XDP_FLAGS_SKB_MODE | DRV_MODE | HW_MODE: the flags an XDP link takes. */
const XDP_MODES = 0xe;

function attachXdp(prog: ProgMeta, fd: number, log: LibbpfLog): Attachment {
  const x = extras(XdpExtrasSchema, prog);
  const { libbpf } = ffi();
  // An XDP link (5.9+) goes with the process, and never replaces someone else's program
  // (EBUSY). Replacing a given old program (old_prog_fd) needs netlink.
  if (linksAllowed() && x.xdpopts.old_prog_fd === 0) {
    const link = createLink(fd, x.ifindex, AttachType.XDP, x.flags & XDP_MODES);
    if (link >= 0) return new LinkFdAttachment(prog.name, "xdp", link);
    if (!NO_SUCH_LINK.has(link)) {
      throw new LoaderError(
        `Failed to attach XDP program '${prog.name}' to ifindex ${x.ifindex}: ${strerror(link)}`,
        undefined,
        -link,
      );
    }
  }
  const opts = xdpAttachOpts(x.xdpopts.old_prog_fd);
  const r = log.run(() => libbpf.bpf_xdp_attach(x.ifindex, fd, x.flags, opts), (r) => r < 0);
  if (r < 0) {
    throw new LoaderError(
      `Failed to attach XDP program '${prog.name}' to ifindex ${x.ifindex}: ${strerror(r)}`,
      log.text(),
      -r,
    );
  }
  const id = new Uint32Array(1);
  libbpf.bpf_xdp_query_id(x.ifindex, x.flags & XDP_MODES, id);
  return new XdpAttachment(prog.name, x.ifindex, x.flags, fd, {
    kind: "xdp",
    program: prog.name,
    progId: id[0],
    ifindex: x.ifindex,
    flags: x.flags & XDP_MODES,
  });
}

/** A hint for attach errors whose cause is not obvious from the errno text. */
function attachHint(section: string, err: number): string {
  if (err === Errno.EACCES && /^(tp|tracepoint)\//.test(section)) {
    return " (the program reads past the tracepoint's record: check its ctx struct against " +
      "the tracepoint's format file)";
  }
  if (err === Errno.ENOENT && /^k(ret)?probe\//.test(section)) {
    return " (no such kernel function)";
  }
  return "";
}

/** Run-time choices for attaching one program (`--attach`, `--pid`, `--freq`/`--period`). */
export interface ProgramAttachOptions extends AttachOptions {
  /** Overrides the `perf_event` program's `@perf` sampling. */
  perf?: Partial<PerfSampling>;
}

/**
 * Attaches one loaded program the way upstream does: libbpf auto-attach; when libbpf says the
 * section has no auto-attach (EOPNOTSUPP), `tc` and `xdp` are attached with the program
 * entry's extras, `perf_event` on a sampling event per CPU, anything else is
 * `Unsupported attach type: <section>`. A run-time target (`opts.target`) replaces the
 * section's uprobe/USDT target or the entry's interface.
 */
export function attachProgram(
  program: Pointer,
  prog: ProgMeta,
  log: LibbpfLog,
  opts: ProgramAttachOptions = {},
): Attachment {
  const backend = ffi();
  const { libbpf } = backend;
  const section = backend.memory.cString(libbpf.bpf_program__section_name(program));
  const cannot = (why: string, details?: string, errno?: number) =>
    new LoaderError(
      `Cannot attach program '${prog.name}' (SEC("${section}")): ${why}`,
      details,
      errno,
    );
  // An LSM program attaches fine where the BPF LSM is inactive, and then never runs.
  const inactive = programFamily(section) === "lsm" ? bpfLsmInactive() : undefined;
  if (inactive) throw cannot(inactive);
  const targeted = attachToTarget(program, prog, opts, log);
  if (targeted) return new LinkAttachment(prog.name, targeted);
  prog = retargeted(prog, opts.target);
  let err = 0;
  const link = log.run(() => {
    const l = libbpf.bpf_program__attach(program);
    err = l === null ? backend.errno() : 0;
    return l;
  }, (l) => l === null && err !== Errno.EOPNOTSUPP);
  if (link !== null) return new LinkAttachment(prog.name, link);
  if (err !== Errno.EOPNOTSUPP) {
    const unsupported = missingKernelSupport(section, err);
    if (unsupported) throw cannot(unsupported, log.text(), err);
    const why = log.warnings().at(-1);
    throw new LoaderError(
      `Failed to attach program '${prog.name}' (SEC("${section}")): ${strerror(err)}` +
        attachHint(section, err) + (why ? ` [libbpf: ${why}]` : ""),
      log.text(),
      err,
    );
  }
  const fd = libbpf.bpf_program__fd(program);
  if (section === "tc") return attachTc(prog, fd, log);
  if (section === "xdp") return attachXdp(prog, fd, log);
  if (section === "perf_event") {
    return attachPerfEvent(program, prog, perfSampling(prog, opts.perf), log);
  }
  throw new LoaderError(`Unsupported attach type: ${section}`);
}

/** Looks a program up by name; undefined when the object has none. */
export function findProgram(object: Pointer, name: string): Pointer | undefined {
  const p = ffi().libbpf.bpf_object__find_program_by_name(object, cString(name));
  return p === null ? undefined : p;
}
