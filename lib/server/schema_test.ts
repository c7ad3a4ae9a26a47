import assert from "node:assert/strict";
import { bearerMatches, isLoopback } from "./auth.ts";
import { decodeBase64 } from "./schema.ts";

const bytes = (s: string) => new TextEncoder().encode(s);

Deno.test("decodeBase64: with or without padding; bad characters and lengths named", () => {
  assert.deepEqual(decodeBase64("aGVsbG8"), bytes("hello"));
  assert.deepEqual(decodeBase64("aGVsbG8="), bytes("hello"));
  assert.deepEqual(decodeBase64("aGk"), bytes("hi"));
  assert.deepEqual(decodeBase64("aGk="), bytes("hi"));
  assert.deepEqual(decodeBase64(""), new Uint8Array(0));
  assert.throws(() => decodeBase64("aGV*bG8"), /^Error: character "\*" at offset 3$/);
  assert.throws(() => decodeBase64("aGVsb"), /malformed padding or length \(5 characters\)/);
  assert.throws(() => decodeBase64("aGk=="), /malformed padding/);
  assert.throws(() => decodeBase64("a=Gk"), /malformed padding/);
});

Deno.test("bearerMatches and isLoopback", () => {
  assert.equal(bearerMatches("Bearer s3cret", "s3cret"), true);
  assert.equal(bearerMatches("bearer s3cret", "s3cret"), true);
  assert.equal(bearerMatches("Bearer s3cre", "s3cret"), false);
  assert.equal(bearerMatches("s3cret", "s3cret"), false);
  assert.equal(bearerMatches(undefined, "s3cret"), false);
  assert.equal(bearerMatches("Bearer ", ""), false);
  for (const a of ["127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost"]) {
    assert.equal(isLoopback(a), true, a);
  }
  for (const a of ["0.0.0.0", "::", "10.0.0.1", "192.168.1.1"]) {
    assert.equal(isLoopback(a), false, a);
  }
});
