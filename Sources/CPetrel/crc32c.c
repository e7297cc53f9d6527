// CRC-32C (Castagnoli), the checksum of Kafka's magic-2 record batches.
//
// Every produced batch is checked once on the broker's hot path, so the CRC runs with the CPU's
// own instruction where there is one: SSE4.2 `crc32` on x86-64 and the ARMv8 CRC32C
// instructions on aarch64, eight bytes per instruction. Both are chosen at run time (the binary
// must still run on a CPU without them) and fall back to slice-by-8 tables, which are also kept
// callable on their own so tests and benchmarks can compare the two paths.
//
// Convention (the same as zlib's crc32): the value passed in and returned is the finished CRC,
// starting from 0, so a buffer may be checksummed in pieces:
//     crc = petrel_crc32c(0, a, n); crc = petrel_crc32c(crc, b, m);
// gives the CRC of a followed by b. petrel_crc32c(0, "123456789", 9) == 0xE3069283.

#include "CPetrel.h"

#include <pthread.h>
#include <stdint.h>
#include <string.h>

#if defined(__x86_64__)
#include <nmmintrin.h>
#elif defined(__aarch64__)
#include <arm_acle.h>
#include <sys/auxv.h>
#ifndef HWCAP_CRC32
#define HWCAP_CRC32 (1UL << 7)
#endif
#endif

/// Reflected form of the Castagnoli polynomial 0x1EDC6F41.
#define CRC32C_POLY 0x82F63B78u

/// table[k][b]: the CRC contribution of byte b followed by k zero bytes.
static uint32_t table[8][256];
static int hardware_available;
static pthread_once_t init_once = PTHREAD_ONCE_INIT;

static void build_tables(void) {
    for (uint32_t b = 0; b < 256; b++) {
        uint32_t crc = b;
        for (int bit = 0; bit < 8; bit++) {
            crc = (crc & 1u) ? (crc >> 1) ^ CRC32C_POLY : crc >> 1;
        }
        table[0][b] = crc;
    }
    for (uint32_t b = 0; b < 256; b++) {
        for (int k = 1; k < 8; k++) {
            uint32_t prev = table[k - 1][b];
            table[k][b] = (prev >> 8) ^ table[0][prev & 0xFFu];
        }
    }
}

static int detect_hardware(void) {
#if defined(__x86_64__)
    return __builtin_cpu_supports("sse4.2") ? 1 : 0;
#elif defined(__aarch64__)
    return (getauxval(AT_HWCAP) & HWCAP_CRC32) ? 1 : 0;
#else
    return 0;
#endif
}

static void initialize(void) {
    build_tables();
    hardware_available = detect_hardware();
}

/// Eight bytes as a little-endian integer, whatever the host's byte order (one load on x86-64
/// and aarch64).
static inline uint64_t load_le64(const uint8_t *p) {
    return (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 | (uint64_t)p[3] << 24 |
           (uint64_t)p[4] << 32 | (uint64_t)p[5] << 40 | (uint64_t)p[6] << 48 |
           (uint64_t)p[7] << 56;
}

/// Slice-by-8 over the raw (not inverted) register value.
static uint32_t crc32c_tables(uint32_t crc, const uint8_t *p, size_t length) {
    while (length >= 8) {
        uint64_t word = load_le64(p) ^ (uint64_t)crc;
        crc = table[7][word & 0xFF] ^ table[6][(word >> 8) & 0xFF] ^
              table[5][(word >> 16) & 0xFF] ^ table[4][(word >> 24) & 0xFF] ^
              table[3][(word >> 32) & 0xFF] ^ table[2][(word >> 40) & 0xFF] ^
              table[1][(word >> 48) & 0xFF] ^ table[0][word >> 56];
        p += 8;
        length -= 8;
    }
    while (length > 0) {
        crc = (crc >> 8) ^ table[0][(crc ^ *p) & 0xFF];
        p++;
        length--;
    }
    return crc;
}

#if defined(__x86_64__)
__attribute__((target("sse4.2")))
static uint32_t crc32c_instructions(uint32_t crc, const uint8_t *p, size_t length) {
    uint64_t crc64 = crc;
    while (length >= 8) {
        uint64_t word;
        memcpy(&word, p, sizeof word);
        crc64 = _mm_crc32_u64(crc64, word);
        p += 8;
        length -= 8;
    }
    uint32_t crc32 = (uint32_t)crc64;
    while (length > 0) {
        crc32 = _mm_crc32_u8(crc32, *p);
        p++;
        length--;
    }
    return crc32;
}
#elif defined(__aarch64__)
__attribute__((target("crc")))
static uint32_t crc32c_instructions(uint32_t crc, const uint8_t *p, size_t length) {
    while (length >= 8) {
        crc = __crc32cd(crc, load_le64(p));
        p += 8;
        length -= 8;
    }
    while (length > 0) {
        crc = __crc32cb(crc, *p);
        p++;
        length--;
    }
    return crc;
}
#endif

uint32_t petrel_crc32c_portable(uint32_t crc, const void *data, size_t length) {
    pthread_once(&init_once, initialize);
    if (length == 0) return crc;
    return ~crc32c_tables(~crc, (const uint8_t *)data, length);
}

uint32_t petrel_crc32c(uint32_t crc, const void *data, size_t length) {
    pthread_once(&init_once, initialize);
    if (length == 0) return crc;
#if defined(__x86_64__) || defined(__aarch64__)
    if (hardware_available) {
        return ~crc32c_instructions(~crc, (const uint8_t *)data, length);
    }
#endif
    return ~crc32c_tables(~crc, (const uint8_t *)data, length);
}

int petrel_crc32c_hardware(void) {
    pthread_once(&init_once, initialize);
    return hardware_available;
}
