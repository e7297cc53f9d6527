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

/// Readiness for the network layer, on one epoll set (see Network/ReadinessPoller.swift).
/// Interest and readiness are these bits; a hang-up or an error is reported as both.
#define PETREL_READY_READ 1
#define PETREL_READY_WRITE 2

/// A new epoll set (close-on-exec), or -1 with errno.
int petrel_poll_create(void);

/// Adds `fd` with `interest` (PETREL_READY_* bits), one-shot: after one report it is
/// disabled until `petrel_poll_modify` re-arms it. `token` comes back with each report.
/// 0 or -1 with errno.
int petrel_poll_add(int epfd, int fd, int interest, uint64_t token);

/// Re-arms `fd` with `interest` (may be 0: then only a hang-up or an error is reported).
int petrel_poll_modify(int epfd, int fd, int interest, uint64_t token);

/// Stops watching `fd`.
int petrel_poll_remove(int epfd, int fd);

/// Waits for up to `capacity` (at most 256) reports, `timeout_ms` -1 for ever; fills their
/// tokens and readiness bits. The count, or -1 with errno.
int petrel_poll_wait(int epfd, uint64_t *tokens, int *ready, int capacity, int timeout_ms);

/// Adds `fd` for reading, level-triggered: reported while it is readable (an eventfd).
int petrel_poll_add_level(int epfd, int fd, uint64_t token);

/// The eventfd libdispatch writes when the main queue gets work while the main thread runs its
/// own loop (see Network/MainThreadLoop.swift); -1 when libdispatch is not linked.
int petrel_main_queue_handle(void);

/// Runs the work the main queue holds now (on the main thread only; libdispatch checks).
void petrel_main_queue_drain(void);

/// Resets a non-blocking eventfd to zero (no-op when it already is).
void petrel_eventfd_clear(int fd);

/// 1 on the process's main thread.
int petrel_is_main_thread(void);

/// Names the calling thread (at most 15 bytes show), for debuggers and `top -H`.
void petrel_name_this_thread(const char *name);
