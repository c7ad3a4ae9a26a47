import { OciError } from "./errors.ts";

/** A parsed image reference: `registry/repository[:tag][@sha256:…]`. */
export interface ImageReference {
  /** Registry host with optional port (`localhost:5000`, `ghcr.io`); `docker.io` by default. */
  registry: string;
  /** Repository path (`org/tool`); Docker Hub's one-component names get `library/`. */
  repository: string;
  /** Tag; `latest` when neither tag nor digest is given. */
  tag?: string;
  /** Pinned manifest digest (`sha256:<64 hex>`). */
  digest?: string;
}

// Grammar of distribution's reference package, narrowed to what registries accept.
const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const HOST =
  /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?$/;
/** `sha256:` and 64 lowercase hex digits, the only digest algorithm we accept. */
export const DIGEST = /^sha256:[a-f0-9]{64}$/;

/** Whether a first path component names a registry (docker's rule: a dot, a port, localhost). */
function isRegistryHost(component: string): boolean {
  return component.includes(".") || component.includes(":") || component === "localhost";
}

/**
 * Whether `text` is written as a reference to a registry we can name: its first component is a
 * host (`localhost:5000/x/y:1`, `ghcr.io/org/tool`). `ecli run` asks this before anything else,
 * so `localhost:5000/…` is never taken for a URL with scheme `localhost:`.
 */
export function hasRegistryHost(text: string): boolean {
  if (text.includes("://") || !text.includes("/")) return false;
  return isRegistryHost(text.slice(0, text.indexOf("/")));
}

/** Parses a reference with docker's normalisation; a malformed one throws naming the part. */
export function parseReference(text: string): ImageReference {
  const bad = (why: string) => new OciError(`malformed reference '${text}': ${why}`);
  if (text === "" || /\s/.test(text)) throw bad("empty or contains whitespace");
  if (text.includes("://")) throw bad("a reference has no scheme (write host[:port]/name[:tag])");
  let rest = text;
  let digest: string | undefined;
  const at = rest.indexOf("@");
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) throw bad(`digest '${digest}' is not sha256:<64 hex digits>`);
  }
  let registry = "docker.io";
  const slash = rest.indexOf("/");
  if (slash > 0 && isRegistryHost(rest.slice(0, slash))) {
    registry = rest.slice(0, slash);
    rest = rest.slice(slash + 1);
    if (!HOST.test(registry)) throw bad(`registry '${registry}' is not a host[:port]`);
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(":");
  if (colon >= 0) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw bad(`tag '${tag}' is not valid`);
  }
  if (rest === "") throw bad("no repository name");
  for (const c of rest.split("/")) {
    if (!COMPONENT.test(c)) {
      throw bad(`repository component '${c}' must be lowercase letters, digits and . _ -`);
    }
  }
  if (registry === "docker.io" && !rest.includes("/")) rest = `library/${rest}`;
  return { registry, repository: rest, tag: tag ?? (digest ? undefined : "latest"), digest };
}

/** The reference written back in full (`registry/repo:tag@digest`). */
export function formatReference(ref: ImageReference): string {
  return `${ref.registry}/${ref.repository}${ref.tag ? `:${ref.tag}` : ""}${
    ref.digest ? `@${ref.digest}` : ""
  }`;
}
