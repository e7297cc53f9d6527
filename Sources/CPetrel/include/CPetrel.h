#include <stdint.h>
#include <stddef.h>

/// CRC-32C (Castagnoli) of `length` bytes, continuing from `crc` (start with 0).
/// Uses SSE4.2 / ARMv8 CRC instructions when the CPU has them, else slice-by-8 tables.
uint32_t petrel_crc32c(uint32_t crc, const void *data, size_t length);

/// CRC-32C with the portable table code only (for tests and the benchmark baseline).
uint32_t petrel_crc32c_portable(uint32_t crc, const void *data, size_t length);

/// 1 when petrel_crc32c uses CPU instructions on this machine.
int petrel_crc32c_hardware(void);

/// Allocations of at least `bytes` get their own mapping, returned to the system when freed.
/// Setting it also stops glibc from raising the threshold by itself (it raises it up to
/// 32 MiB after such a block is freed, so later large blocks come from the heap and their
/// pages stay with the process). Returns 1 on success, 0 where it is not glibc's malloc.
int petrel_set_mmap_threshold(int bytes);
