/* SPDX-License-Identifier: MIT */
/* fuzz/fuzz.h: what every fuzz target shares: the entry point libFuzzer
 * (or corpus_main.c) calls, and CHECK, an assertion that stays in release
 * builds and aborts, which the fuzzer reports as a crash with the input. */
#ifndef MEMREGION_FUZZ_H
#define MEMREGION_FUZZ_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c)                                                                \
    do {                                                                        \
        if (!(c)) {                                                             \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #c); \
            abort();                                                            \
        }                                                                       \
    } while (0)

#endif
