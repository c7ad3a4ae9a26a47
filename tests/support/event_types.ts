/**
 * The decoder tests' C types (every BTF kind and encoding the decoders handle), shared by the
 * compiler cross-check and the event view tests.
 * @module
 */

/** C types covering every kind the decoder handles, with `struct event` using them all. */
export const TYPES = `
enum color { RED, GREEN = 5, BLUE = -1 };
struct bits {
  unsigned int a: 3;
  int b: 5;
  unsigned int c: 20;
  int d: 4;
  unsigned long long e: 40;
  long long f: 23;
  _Bool g: 1;
  enum color h: 4;
};
struct event {
  unsigned int pid;
  _Bool ok;
  char comm[16];
  union { unsigned int as_u32; float as_f32; };
  struct { unsigned short x; short y; } point;
  int grid[2][3];
  char names[2][8];
  enum color color;
  float f;
  double d;
  const char *ptr;
  struct bits bits;
  unsigned __int128 big;
  long long neg;
  unsigned char mac[6];
};
`;

/** A native program that fills a `struct event` with known values and writes its bytes. */
export const FILL = `
#include <stdio.h>
#include <string.h>
${TYPES}
int main(void) {
  struct event e;
  memset(&e, 0, sizeof e);
  e.pid = 4294967295u;
  e.ok = 1;
  strcpy(e.comm, "ecli-test");
  e.as_u32 = 0x3f800000;
  e.point.x = 65535;
  e.point.y = -2;
  for (int i = 0; i < 2; i++)
    for (int j = 0; j < 3; j++) e.grid[i][j] = i * 10 - j;
  strcpy(e.names[0], "alpha");
  memcpy(e.names[1], "12345678", 8);
  e.color = BLUE;
  e.f = 1.5f;
  e.d = -0.25;
  e.ptr = (const char *)0xffff888012345678ull;
  e.bits.a = 5;
  e.bits.b = -16;
  e.bits.c = 0xfffff;
  e.bits.d = -3;
  e.bits.e = 0xfedcba9876ull;
  e.bits.f = -4194304;
  e.bits.g = 1;
  e.bits.h = BLUE;
  e.big = ((unsigned __int128)1 << 100) + 7;
  e.neg = -9007199254740993LL;
  memcpy(e.mac, "\\x00\\x11\\x22\\x33\\x44\\xff", 6);
  fwrite(&e, sizeof e, 1, stdout);
  return 0;
}
`;
