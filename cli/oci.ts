/**
 * `ecli push`, `ecli pull`, `ecli login`, `ecli logout`: argument parsing and output only; the
 * registry client, artifacts and cache are in lib/oci and lib/source.
 * @module
 */
import { parseArgs } from "node:util";
import { writeFileSync } from "node:fs";
import process from "node:process";
import {
  formatReference,
  parseReference,
  pushArtifact,
  RegistryClient,
  removeCredentials,
  storeCredentials,
} from "../lib/oci/mod.ts";
import {
  parseAnnotations,
  parseProgramType,
  programArtifact,
  type ProgramType,
  readProgram,
} from "../mod.ts";

/** A usage mistake; cli.ts prints it with a pointer to --help (it knows parseArgs' codes). */
function usage(message: string): Error {
  return Object.assign(new Error(message), { code: "ERR_PARSE_ARGS_USAGE" });
}

const PUSH_USAGE =
  `Usage: ecli push [OPTIONS] <IMAGE> <package.json|package.yaml|package.tar|module.wasm>

Pushes a package (our media types) or a wasm module (upstream's format) as IMAGE
(host[:port]/name:tag). Credentials: 'ecli login', docker's config, else anonymous.

Options:
  -a, --annotation <KEY=VALUE>  manifest annotation (repeatable)
  -p, --prog-type <TYPE>        json, yaml, tar or wasm (default: from the name, then content)
      --insecure                plain HTTP to a registry other than localhost/127.0.0.1
  -h, --help                    print this help`;

const PULL_USAGE = `Usage: ecli pull [OPTIONS] <IMAGE>

Pulls a package or wasm module (through the cache, $XDG_CACHE_HOME/ecli/oci) and writes it.

Options:
  -o, --output <PATH>  where to write (default: package.json, package.yaml, package.tar or app.wasm)
      --offline        use only the cache
      --insecure       plain HTTP to a registry other than localhost/127.0.0.1
  -h, --help           print this help`;

const LOGIN_USAGE = `Usage: ecli login [OPTIONS] <REGISTRY>

Checks the credentials against REGISTRY and stores them in docker's config
($DOCKER_CONFIG/config.json, else ~/.docker/config.json; a credsStore/credHelpers helper when set).

Options:
  -u, --username <USER>  user name
  -p, --password <PASS>  password (prefer --password-stdin)
      --password-stdin   read the password from stdin
      --insecure         plain HTTP to a registry other than localhost/127.0.0.1
  -h, --help             print this help`;

const DEFAULT_OUTPUT: Record<ProgramType, string> = {
  json: "package.json",
  yaml: "package.yaml",
  tar: "package.tar",
  wasm: "app.wasm",
};

/** `ecli push`. */
export async function pushMain(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      annotation: { type: "string", short: "a", multiple: true },
      annotations: { type: "string", multiple: true },
      "prog-type": { type: "string", short: "p" },
      insecure: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) return print(PUSH_USAGE);
  if (positionals.length !== 2) throw usage("expected <IMAGE> and a package or module file");
  const [image, file] = positionals;
  const ref = parseReference(image);
  const type = values["prog-type"] ? parseProgramType(values["prog-type"]) : undefined;
  const program = await readProgram(file, { type });
  const artifact = await programArtifact(
    program,
    parseAnnotations([...values.annotation ?? [], ...values.annotations ?? []]),
  );
  const digest = await pushArtifact(ref, artifact, { insecure: values.insecure });
  console.log(`${formatReference(ref)}@${digest} (${program.type}, ${program.bytes.length} bytes)`);
  return 0;
}

/** `ecli pull`. */
export async function pullMain(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      output: { type: "string", short: "o" },
      offline: { type: "boolean" },
      insecure: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) return print(PULL_USAGE);
  if (positionals.length !== 1) throw usage("expected one <IMAGE>");
  const ref = parseReference(positionals[0]);
  const program = await readProgram(formatReference(ref), {
    offline: values.offline,
    insecure: values.insecure,
  });
  const out = values.output ?? DEFAULT_OUTPUT[program.type];
  writeFileSync(out, program.bytes);
  console.log(`${out}: ${program.type}, ${program.bytes.length} bytes, ${program.oci!.digest}`);
  return 0;
}

async function readStdin(): Promise<string> {
  const chunks: Uint8Array[] = [];
  for await (const c of process.stdin) chunks.push(c as Uint8Array);
  return new TextDecoder().decode(new Uint8Array(chunks.flatMap((c) => [...c])));
}

/** A registry as given to login/logout: `host[:port]`, an `https://host/` URL accepted. */
function registryName(text: string): string {
  const host = text.replace(/^https?:\/\//, "").replace(/\/.*$/, "");
  if (!/^[A-Za-z0-9.-]+(:\d+)?$|^\[[0-9a-fA-F:.]+\](:\d+)?$/.test(host)) {
    throw usage(`'${text}' is not a registry host[:port]`);
  }
  return host === "index.docker.io" ? "docker.io" : host;
}

/** `ecli login`. */
export async function loginMain(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      username: { type: "string", short: "u" },
      password: { type: "string", short: "p" },
      "password-stdin": { type: "boolean" },
      insecure: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) return print(LOGIN_USAGE);
  if (positionals.length !== 1) throw usage("expected one <REGISTRY>");
  const registry = registryName(positionals[0]);
  if (!values.username) throw usage("give the user name with -u");
  if (values.password !== undefined && values["password-stdin"]) {
    throw usage("--password and --password-stdin are alternatives; give one");
  }
  const password = values["password-stdin"]
    ? (await readStdin()).replace(/\r?\n$/, "")
    : values.password;
  if (password === undefined) throw usage("give the password with --password-stdin (or -p)");
  const credentials = { username: values.username, password };
  // The probe fails on refused credentials, so only working logins are stored.
  await new RegistryClient(registry, "", { insecure: values.insecure, credentials }).probe();
  const file = storeCredentials(registry, credentials);
  console.error(`credentials for ${registry} stored in ${file}`);
  console.log("Login Succeeded");
  return 0;
}

/** `ecli logout`. */
export function logoutMain(args: string[]): number {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { help: { type: "boolean", short: "h" } },
  });
  if (values.help) return print("Usage: ecli logout <REGISTRY>");
  if (positionals.length !== 1) throw usage("expected one <REGISTRY>");
  const registry = registryName(positionals[0]);
  console.log(
    removeCredentials(registry)
      ? `Removing login credentials for ${registry}`
      : `Not logged in to ${registry}`,
  );
  return 0;
}

function print(text: string): number {
  console.log(text);
  return 0;
}
