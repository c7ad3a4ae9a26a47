/** Section header types (`sh_type`) that BPF objects use. */
export const SHT = {
  NULL: 0,
  PROGBITS: 1,
  SYMTAB: 2,
  STRTAB: 3,
  RELA: 4,
  NOTE: 7,
  NOBITS: 8,
  REL: 9,
  DYNSYM: 11,
} as const;

/** Section flags (`sh_flags`). */
export const SHF = { WRITE: 1, ALLOC: 2, EXECINSTR: 4 } as const;

/** Symbol types (low nibble of `st_info`). */
export const STT = { NOTYPE: 0, OBJECT: 1, FUNC: 2, SECTION: 3, FILE: 4, GNU_IFUNC: 10 } as const;

/** Symbol bindings (high nibble of `st_info`). */
export const STB = { LOCAL: 0, GLOBAL: 1, WEAK: 2 } as const;

/** Symbol visibilities (low two bits of `st_other`). */
export const STV = { DEFAULT: 0, INTERNAL: 1, HIDDEN: 2, PROTECTED: 3 } as const;

/** `e_machine` value of eBPF objects. */
export const EM_BPF = 247;
